"""What the REPL says about itself: its keys, its own ``:`` commands, the help text, the writable hint."""

from __future__ import annotations

#: The REPL's keys, for :help, f1 and the footer (the console's own letter keys type into the editor here).
KEYS: tuple[tuple[str, str], ...] = (
    ("enter", "run the input (or continue an open block)"),
    ("ctrl+j", "newline inside a block"),
    ("tab", "complete names, attributes, fields and lookups"),
    ("up / down", "history"),
    ("ctrl+r", "search the history"),
    ("ctrl+c / ctrl+x", "interrupt the running input (cancels a query); clears the input when idle"),
    ("f2", "SQL echo on/off"),
    ("f3", "writable / read-only (asks first)"),
    ("ctrl+s", "commit the open transaction (writable mode)"),
    ("ctrl+l", "clear the log"),
    ("ctrl+f", "full screen on/off"),
    ("esc", "hide the REPL (everything is kept)"),
    ("f1", "help"),
    ("ctrl+q", "quit the console (asks first about uncommitted changes)"),
)
#: The REPL's own ``:`` commands; any other ``:command`` is the console's (``:tenant``, ``:q`` …).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("commit", "commit the open transaction"),
    ("rollback", "roll the open transaction back"),
    ("write", "switch to writable mode (asks first)"),
    ("readonly", "back to read-only"),
    ("sql", "SQL echo on/off"),
    ("clear", "clear the log"),
    ("help", "this text"),
    ("q", "quit the console (asks first about uncommitted changes)"),
)
HELP_TEXT = (
    "Python runs on the REPL's own database session, inside the active scope: {model}.objects.count() just "
    "works.\nEvery model is imported (clashing names as app_Model), with Q, F, Count, Sum, transaction, timezone, "
    "settings;\nthe tenant is bound to its dimension's name ({dimensions}). The last expression's value is shown; _ "
    "holds it.\nA shown object that belongs to another tenant (a foreign key can lead out of the scope) is flagged in "
    "red.\nKeys:\n" + "\n".join(f"  {k:<16} {d}" for k, d in KEYS)
    + "\nCommands (other :commands go to the console):\n" + "\n".join(f"  :{c:<15} {d}" for c, d in COMMANDS)
)


def help_text(model: str, dimensions: list[str]) -> str:
    """:data:`HELP_TEXT` with a model and the dimensions of the project at hand (not the demo's)."""
    return HELP_TEXT.replace("{model}", model).replace("{dimensions}", ", ".join(dimensions) or "none")


#: A refusal's last sentence in the pane: the key that makes the REPL writable.
WRITABLE_HINT = "Press f3 to switch to writable mode (it asks first)."
