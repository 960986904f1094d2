"""``tenant-console ... import FILE --review``: the console opened straight on the review screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tenant_console.ui import app as app_module
from tenant_console.ui.app import StartupSpec, TenantConsoleApp


class ReviewApp(TenantConsoleApp):
    """The console, which opens the import review of ``path`` as soon as it is ready."""

    # Textual resolves a relative CSS_PATH next to the subclass; point at the console's own file.
    CSS_PATH = str(Path(app_module.__file__).parent / str(TenantConsoleApp.CSS_PATH))

    def __init__(self, project: Any, path: str, **kwargs: Any) -> None:
        super().__init__(project, **kwargs)
        self.review_path = path

    def on_mount(self) -> None:
        # Textual also calls the console's own on_mount (handlers run for every class in the MRO);
        # calling super() here would start the console twice.
        self._review_timer = self.set_interval(0.05, self._open_review)

    def _open_review(self) -> None:
        if getattr(self, "ready", False):
            self._review_timer.stop()
            self.open_screen("import", path=self.review_path)


def launch_review(ctx: Any) -> int:
    app = ReviewApp(ctx.project, str(ctx.args.file),
                    startup=StartupSpec(scope_flags=ctx.scope_flags, disabled=bool(getattr(ctx.args, "disabled", 0))))
    try:
        app.run()
    finally:
        app.close_session()
    return app.return_code or 0
