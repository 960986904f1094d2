"""The REPL pane of the console (issue 5): Python inside the active scope, read-only by default."""

from __future__ import annotations

from tenant_console.ui.repl.pane import ReplPane

__all__ = ["ReplPane"]
