"""One input run in the REPL log: the input, its printed output while it runs, then its result."""

from __future__ import annotations

import asyncio

from textual.widgets import RichLog

from tenant_console.core.repl.runner import InputFuture, ReplRunner, RunResult
from tenant_console.ui.repl.output import render_output

#: How often printed output of a running input is moved to the log (seconds).
STREAM_INTERVAL = 0.1


async def stream_output(runner: ReplRunner, pending: InputFuture, log: RichLog,
                        interval: float = STREAM_INTERVAL) -> RunResult:
    """Wait for ``pending`` (input number ``pending.number``), moving its printed output to ``log`` as it
    comes (whole lines while it runs, the rest when it ends); return its result."""
    number = pending.number
    shown = 0
    future = asyncio.wrap_future(pending)
    while not future.done():
        await asyncio.wait([future], timeout=interval)
        live = runner.live_output
        if live is not None and live.owner == number and not future.done():
            chunks, shown = live.since(shown, whole_lines=True)
            if chunks:
                log.write(render_output(chunks), expand=True)
    result = future.result()
    live = runner.live_output
    if live is not None and live.owner == number:
        chunks, shown = live.since(shown)
        if chunks:
            log.write(render_output(chunks), expand=True)
    return result
