"""The scoped REPL, Django side: namespace, input handling, execution, rendering.

Nothing here imports Textual: the UI pane (``tenant_console.ui.repl``) and the
headless ``shell`` command build on the same pieces. All user code runs on a
:class:`~tenant_console.core.session.Session` thread, inside its scope.
"""
