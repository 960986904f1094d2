"""The boundary between the Django core and the UI, checked on every test run."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "tenant_console" / "core"
UI = ROOT / "tenant_console" / "ui"


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_never_imports_textual_or_the_ui():
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = {n for n in _imports(path) if n.split(".")[0] in {"textual", "rich"} or n.startswith("tenant_console.ui")}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_ui_never_touches_the_orm_directly():
    """The UI gets data through core functions run on a Session thread, never django.db itself.

    This checks imports; that the UI never *calls* the database on the event loop (through a core
    function run straight from a handler, say) is checked at run time, by every test in tests/ui
    (the autouse guard of tests/ui/conftest.py, tests/ui/loopguard.py)."""
    offenders = {}
    for path in UI.rglob("*.py"):
        bad = {n for n in _imports(path) if n == "django.db" or n.startswith("django.db.")}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_import_contracts_hold():
    """import-linter checks indirect imports too (pyproject.toml [tool.importlinter])."""
    exe = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_the_runtime_check_is_on_for_the_whole_ui_suite():
    """The event-loop guard is an autouse fixture of tests/ui, so no UI test can leave it out."""
    conftest = ROOT / "tests" / "ui" / "conftest.py"
    tree = ast.parse(conftest.read_text())
    guards = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "no_orm_on_the_event_loop"]
    assert guards, "tests/ui/conftest.py lost its event-loop guard"
    autouse = [kw for d in guards[0].decorator_list if isinstance(d, ast.Call) for kw in d.keywords
               if kw.arg == "autouse" and getattr(kw.value, "value", False) is True]
    assert autouse, "the event-loop guard must be autouse"
