"""How a REPL result looks: the core's plain data turned into Rich renderables.

The core (:mod:`tenant_console.core.repl.render`) gives strings and rows; only
here do they get colours, borders and highlighting.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tenant_console.core.repl.render import Rendered
from tenant_console.core.repl.runner import RunResult
from tenant_console.core.repl.sqlecho import QueryRecord
from tenant_console.ui.repl.table import FittedTable

PROMPT_STYLE = "bold cyan"
WRITABLE_PROMPT_STYLE = "bold red"


def render_input(number: int, source: str, writable: bool) -> RenderableType:
    prompt = Text(f"In [{number}]", style=WRITABLE_PROMPT_STYLE if writable else PROMPT_STYLE)
    if writable:
        prompt.append(" (writable)", style="red")
    code = Syntax(source, "python", theme="monokai", background_color="default", word_wrap=True)
    return Group(prompt, Padding(code, (0, 0, 0, 2)))


def render_output(chunks: list[tuple[str, str]]) -> RenderableType:
    """Printed output (stderr in yellow), indented like the rest of a result."""
    parts = [Text(text.rstrip("\n"), style="yellow" if stream == "stderr" else "") for stream, text in chunks]
    return Padding(Group(*parts), (0, 0, 0, 2))


def render_value(value: Rendered) -> RenderableType:
    if value.kind == "text":
        return Syntax(value.text, "python", theme="monokai", background_color="default", word_wrap=True)
    table: RenderableType
    if value.kind == "object":
        table = Table(show_edge=False, show_header=False, caption=value.note or None, caption_justify="left",
                      caption_style="dim", pad_edge=False, expand=False)
        table.add_column(style="cyan", no_wrap=True)
        table.add_column(overflow="fold")
        for row in value.rows:
            table.add_row(*row)
    else:  # the columns that fit the log's width, the key and the first-read ones whole
        table = FittedTable(value)
    parts: list[RenderableType] = [Text(value.title, style="bold")] if value.title else []
    parts.append(table)
    if value.warning:  # another tenant's object, reached around the scope (a forward FK)
        parts.append(Text(value.warning, style="bold red"))
    return Group(*parts) if len(parts) > 1 else table


def render_queries(queries: list[QueryRecord], *, timings: bool = True) -> RenderableType:
    out = Text()
    total = sum(q.seconds for q in queries)
    head = f"SQL: {len(queries)} quer{'y' if len(queries) == 1 else 'ies'}"
    checks = sum(1 for q in queries if q.check)
    if checks:
        head += f" ({checks} by the console's tenant check)"
    if timings:
        head += f", {total * 1000:.1f} ms"
    out.append(head + "\n", style="bold magenta")
    for q in queries:
        if timings:
            out.append(f"  {q.milliseconds:8.2f} ms  ", style="magenta")
        else:
            out.append("  ")
        style = "red" if q.error else ("yellow" if q.writes else "dim")
        out.append(q.sql, style=style)
        if q.error:
            out.append(f"  [{q.error}]", style="red")
        if q.check:
            out.append("  [tenant check]", style="dim italic")
        out.append("\n")
    out.rstrip()
    return out


def render_result(result: RunResult, *, sql_echo: bool = False, timings: bool = True,
                  output: bool = True) -> RenderableType:
    """Everything under an input: its output (unless streamed already), value or error, queries and time."""
    parts: list[RenderableType] = []
    if output:
        for stream, text in result.output:
            parts.append(Text(text.rstrip("\n"), style="yellow" if stream == "stderr" else ""))
    if result.truncated_output:
        parts.append(Text(f"… {result.truncated_output:,} more characters of output not kept", style="dim"))
    if result.error:
        if result.error_kind == "refused":
            parts.append(Text.assemble(("REFUSED ", "bold white on red"), (" " + result.error, "bold red")))
        elif result.error_kind == "interrupted":
            parts.append(Text(result.error, style="bold yellow"))
        else:
            parts.append(Text(result.error, style="red"))
    elif result.value is not None:
        parts.append(render_value(result.value))
    if result.write_warning:
        parts.append(Text.assemble(("OTHER TENANT ", "bold white on red"), (" " + result.write_warning, "bold red")))
    if sql_echo and result.queries:
        parts.append(render_queries(result.queries, timings=timings))
    footer = Text(style="dim")
    if result.writable and result.ok and result.writes:
        footer.append(f"{result.writes} writing statement{'s' if result.writes != 1 else ''}, not committed",
                      style="bold red")
    elif result.writable and not result.ok:
        footer.append("this input's changes were rolled back (its savepoint); earlier ones are kept", style="red")
    if timings:
        if footer:
            footer.append(" · ")
        footer.append(f"{result.seconds * 1000:.0f} ms")
    if footer:
        parts.append(footer)
    return Padding(Group(*parts), (0, 0, 1, 2))
