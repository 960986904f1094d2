"""The first screen: shown at once while Django loads and the database is checked."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static


class LoadingScreen(Screen[None]):
    tenant_bound = "follow"  # shows no tenant's data (the scope may be set while it is up, at start-up)
    DEFAULT_CSS = """
    LoadingScreen { align: center middle; }
    LoadingScreen #loading-box {
        width: 72; height: auto; border: round $primary; padding: 1 2; background: $panel;
    }
    """

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(f"[b]tenant-console[/b]\n\n{self.what}\n\nLoading Django and checking the database…",
                         id="loading-box")

    def step(self, text: str) -> None:
        self.query_one("#loading-box", Static).update(f"[b]tenant-console[/b]\n\n{self.what}\n\n{text}")


class LoadErrorScreen(Screen[None]):
    """A load error in full (one paragraph), with the offer to quit."""

    tenant_bound = "follow"

    BINDINGS = [("q", "quit_with_code", "Quit"), ("enter", "quit_with_code", "Quit")]
    DEFAULT_CSS = """
    LoadErrorScreen { align: center middle; }
    LoadErrorScreen #error-box {
        width: 80; height: auto; border: heavy $error; padding: 1 2; background: $panel;
    }
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__()
        self.message = message
        self.exit_code = exit_code

    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(f"[b red]The console cannot start[/]\n\n{_escape(self.message)}\n\n"
                         f"Press [b]q[/b] or [b]enter[/b] to quit (exit code {self.exit_code}).", id="error-box")

    def action_quit_with_code(self) -> None:
        self.app.exit(return_code=self.exit_code, message=self.message)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
