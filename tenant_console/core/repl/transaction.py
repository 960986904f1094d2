"""Writable mode: one transaction that stays open across inputs until commit or rollback.

A session is one dedicated thread with one connection, so an atomic block can
be entered by one session call and left by a later one: inputs run inside it,
each in its own savepoint, so an input that fails (or is interrupted) is undone
on its own and does not poison the transaction. Nothing reaches other
connections until :meth:`WriteTransaction.commit`. Every method here must run
on the session thread with the read-only layer off.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from tenant_console.core.errors import ConsoleError


@dataclass(frozen=True)
class WriteInput:
    """An input that ran in the transaction, and how many writing statements it sent."""

    number: int
    source: str
    writes: int
    #: Rows it wrote that belong to another tenant (:class:`~.crosswrite.ForeignWrite`).
    foreign: tuple[Any, ...] = ()
    #: The cross-tenant check of its writes failed: treated as foreign (fail closed).
    unchecked: bool = False
    time: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


class WriteTransaction:
    """The open transaction of a writable REPL, with the inputs that ran in it."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._atomic: Any = None
        self.inputs: list[WriteInput] = []

    @property
    def is_open(self) -> bool:
        return self._atomic is not None

    @property
    def writes(self) -> int:
        return sum(i.writes for i in self.inputs)

    @property
    def dirty(self) -> bool:
        """Whether a successful input sent a statement that may have written."""
        return self.writes > 0

    def begin(self) -> None:
        conn = connections[self.alias]
        if self._atomic is not None:
            return
        if conn.in_atomic_block:
            raise ConsoleError(
                f"A transaction is already open on database {self.alias!r}; writable mode needs its own."
            )
        atomic = transaction.atomic(using=self.alias, durable=True)
        atomic.__enter__()
        self._atomic = atomic
        self.inputs = []

    @contextlib.contextmanager
    def savepoint(self) -> Iterator[None]:
        """One input: undone alone if it raises, kept in the open transaction if not."""
        if self._atomic is None:
            raise ConsoleError("Writable mode is not on; there is no transaction to run in.")
        self.check_alive()
        with transaction.atomic(using=self.alias):
            yield

    def check_alive(self) -> None:
        """Fail loudly if the transaction was ended behind Django's back (a raw COMMIT)."""
        conn = connections[self.alias]
        raw = conn.connection
        if raw is None:
            raise ConsoleError("The database connection of the writable session was lost; "
                               "the open transaction and its uncommitted changes are gone.")
        ended = False
        if conn.vendor == "sqlite":
            ended = not raw.in_transaction and bool(self.inputs)
        elif conn.vendor == "postgresql":
            # psycopg2 and psycopg 3 both report it as ``info.transaction_status``; 0 is IDLE.
            ended = raw.info.transaction_status == 0 and bool(self.inputs)
        if ended:
            self._abandon()
            raise ConsoleError(
                "The transaction of writable mode was ended from inside an input (a raw COMMIT or ROLLBACK); "
                "changes made before that point may already be committed. Writable mode is now off."
            )

    def note(self, number: int, source: str, writes: int, foreign: tuple[Any, ...] = (),
             unchecked: bool = False) -> None:
        self.inputs.append(WriteInput(number, source, writes, foreign, unchecked))

    @property
    def unchecked(self) -> list[int]:
        """The numbers of the inputs whose writes could not be checked for another tenant."""
        return [i.number for i in self.inputs if i.unchecked]

    @property
    def foreign(self) -> list[Any]:
        """The rows written in this transaction that belong to another tenant."""
        return [w for i in self.inputs for w in i.foreign]

    def commit(self) -> list[WriteInput]:
        """Commit; returns the inputs that made the changes. On failure everything is rolled back."""
        atomic, inputs = self._take()
        atomic.__exit__(None, None, None)  # commits, or rolls back and raises
        return inputs

    def rollback(self) -> list[WriteInput]:
        atomic, inputs = self._take()
        transaction.set_rollback(True, using=self.alias)
        atomic.__exit__(None, None, None)
        return inputs

    def _take(self) -> tuple[Any, list[WriteInput]]:
        if self._atomic is None:
            raise ConsoleError("There is no open transaction: writable mode is off.")
        atomic, inputs = self._atomic, self.inputs
        self._atomic, self.inputs = None, []
        return atomic, inputs

    def _abandon(self) -> None:
        atomic, _ = self._take()
        with contextlib.suppress(Exception):
            transaction.set_rollback(True, using=self.alias)
            atomic.__exit__(None, None, None)
