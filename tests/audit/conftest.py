"""The audit tests reuse the REPL, importer and delete fixtures."""

from tests.delete.conftest import deleter  # noqa: F401
from tests.importer.conftest import exports_dir, importer, loaded, make_export  # noqa: F401
from tests.repl.conftest import other_session, repl  # noqa: F401
