"""The queries an input ran, with their time, like ``shell_plus --print-sql``.

A Django ``execute_wrapper`` on the session's connection records every
statement that reached the database (a statement refused by the read-only
guard never does; the runner reports that one itself). The recorder also tells
the interrupt logic whether a query is on the wire right now, so ctrl+c can
cancel it on the database instead of raising inside the driver. Statements the
console runs itself while showing a value (the tenant checks of
:mod:`.tenancy`) are recorded too, marked :attr:`QueryRecord.check`, so the echo
tells them from the input's own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tenant_console.core.sqlguard import classify

#: Statements of transaction bookkeeping: not writes of data.
TRANSACTION_CONTROL = {"SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT"}

#: Longest statement text kept per query; echoing a 50 kB IN-list helps nobody.
MAX_SQL_CHARS = 2000


@dataclass(frozen=True)
class QueryRecord:
    sql: str
    seconds: float
    many: bool = False
    error: str | None = None
    #: Whether the statement may have written (anything the read-only guard would refuse,
    #: except the savepoint bookkeeping of transactions).
    writes: bool = False
    #: Run by the console's tenant check while showing the value, not by the input itself.
    check: bool = False

    @property
    def milliseconds(self) -> float:
        return self.seconds * 1000


class QueryRecorder:
    """``execute_wrapper`` that records statements and whether one is running now."""

    def __init__(self, vendor: str = "") -> None:
        self.vendor = vendor
        self.queries: list[QueryRecord] = []
        self._in_query = threading.Event()
        self._checking = False

    @contextlib.contextmanager
    def checking(self) -> Iterator[None]:
        """Statements in this block are the console's tenant check (:attr:`QueryRecord.check`)."""
        outer, self._checking = self._checking, True
        try:
            yield
        finally:
            self._checking = outer

    @property
    def in_query(self) -> bool:
        return self._in_query.is_set()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        error: str | None = None
        self._in_query.set()
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
            raise
        finally:
            self._in_query.clear()
            elapsed = time.perf_counter() - start
            self.queries.append(QueryRecord(_display_sql(context, sql, params, many), elapsed, many, error,
                                            writes=error is None and may_write(str(sql), many),
                                            check=self._checking))

    @property
    def write_count(self) -> int:
        return sum(1 for q in self.queries if q.writes)

    @property
    def total_seconds(self) -> float:
        return sum(q.seconds for q in self.queries)


def may_write(sql: str, many: bool = False) -> bool:
    """True unless the read-only guard would let the statement through (or it is a savepoint)."""
    verdict = classify(sql, many=many)
    return not verdict.allowed and verdict.kind not in TRANSACTION_CONTROL


def _display_sql(context: Any, sql: str, params: Any, many: bool) -> str:
    """The statement with its parameters filled in where the driver can tell us (display only)."""
    text = str(sql)
    cursor = (context or {}).get("cursor") if isinstance(context, dict) else None
    connection = (context or {}).get("connection") if isinstance(context, dict) else None
    if cursor is not None and connection is not None and not many:
        try:
            text = connection.ops.last_executed_query(cursor, sql, params) or text
        except Exception:
            pass
    if len(text) > MAX_SQL_CHARS:
        text = text[:MAX_SQL_CHARS] + f" … ({len(text) - MAX_SQL_CHARS} more characters)"
    return str(text)
