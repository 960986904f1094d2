"""The move's journal: a private file that says which phase a move reached, so it can be resumed or undone.

One JSON file (``journal.json``, ``0600``, in a ``0700`` folder that also holds the
export and the delete backups), replaced atomically after every step
(:func:`~tenant_console.core.private.replace_private`), so a process killed at any
point leaves the last complete state. A ``journal.lock`` beside it is held
(``flock``) while a process works on the move; the kernel releases it when the
process dies, so a killed move can be taken up at once and two processes never
work on one move.

A journal decides what is deleted (the source after a move, the target in a
rollback), so reading one is treated like reading a hostile file: it must be a
regular file of the current user that nobody else can write or read, at most
4 MiB, of this format with every field of the expected type, its file names plain
names beside it, its digests well formed, and it must name this project's
settings and the very databases (vendor, host, port, name) its aliases lead to
now. Anything else is refused in one paragraph before any database is touched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenant_console.core.errors import ConsoleError
from tenant_console.core.private import open_private, private_dir, write_private_text

FORMAT = "tenant-console-move-journal"
VERSION = 1
MAX_BYTES = 4 << 20
JOURNAL_NAME = "journal.json"
EXPORT_NAME = "tenant.jsonl.gz"
SOURCE_BACKUP_NAME = "source-deleted.jsonl.gz"
TARGET_BACKUP_NAME = "target-removed.jsonl.gz"

#: The phases of a move, in order (``verify_failed`` stands beside ``verified``).
FORWARD = ("planned", "exported", "importing", "imported", "verified", "deleting", "done")
#: The phases of a rollback, in order. All but the last are a rollback under way: a resume is refused,
#: ``--rollback`` finishes it.
ROLLBACK = ("restoring_source", "source_restored", "removing_target", "rolled_back")
ROLLING_BACK = ROLLBACK[:-1]
#: Every phase a journal can be in.
PHASES = (*FORWARD, "verify_failed", *ROLLBACK)
#: Why a resume was refused and will be again (``Journal.blocked``): the import refused because the move's
#: decisions leave conflicts undecided (models changed since the export included; not a decisions file that
#: could not be read, which a resume may find again), the source changed since the export (the target's copy is stale),
#: the target's copy gone, or no longer the verified one, before the source was deleted, the delete's own
#: refusals (blockers, cross-tenant).
BLOCKED = ("import_refused", "source_changed", "target_missing", "target_changed", "delete_refused")

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class JournalError(ConsoleError):
    """A journal that cannot be used; nothing was done."""

    exit_code = 2


@dataclass
class Journal:
    path: Path
    id: str
    settings: str
    tenant: dict[str, str]
    tenant_label: str
    tenant_slug: str
    source: dict[str, Any]
    target: dict[str, Any]
    options: dict[str, Any]
    phase: str = "planned"
    created: str = ""
    export: dict[str, Any] | None = None
    source_digest: dict[str, Any] | None = None
    target_digest: dict[str, Any] | None = None
    imported: dict[str, Any] | None = None
    deleted: dict[str, Any] | None = None
    #: Why the last attempt to go on from this phase was refused, when resuming cannot succeed as things
    #: stand (``{"reason": one of BLOCKED, "time": ..., "details": [...]}``); cleared by the next phase.
    #: ``--status`` reads it to advise what works instead of "resume".
    blocked: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    # -- places -------------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.path.parent

    def file(self, name: str) -> Path:
        return self.folder / name

    @property
    def source_alias(self) -> str:
        return str(self.source["alias"])

    @property
    def target_alias(self) -> str:
        return str(self.target["alias"])

    @property
    def wrote_nothing(self) -> bool:
        """Nothing of this move is in either database: before the import, or in ``importing`` with the import
        refused at its decisions (a journal of an older console kept that phase when a resume of a killed
        import was refused; nothing was written then). A tenant in the target is then not this move's."""
        return self.phase in ("planned", "exported") or (
            self.phase == "importing" and (self.blocked or {}).get("reason") == "import_refused")

    @property
    def delete_source(self) -> bool:
        return bool(self.options.get("delete_source"))

    # -- writing ---------------------------------------------------------------------
    def set_phase(self, phase: str, note: str | None = None, **fields: Any) -> None:
        """Record that the move reached ``phase`` (atomically: the old state or the new one, never half).

        A refusal recorded in ``blocked`` belongs to the phase it was met in: it is cleared unless given again.
        """
        assert phase in PHASES, phase
        self.blocked = None
        for key, value in fields.items():
            setattr(self, key, value)
        self.phase = phase
        entry = {"time": _now(), "phase": phase, "pid": os.getpid()}
        if note:
            entry["note"] = note
            self.notes.append(note)
        self.history.append(entry)
        self.save()

    def block(self, reason: str, details: list[str]) -> None:
        """Record, without changing the phase, that going on from it was refused for ``reason``."""
        self.blocked = refusal(reason, details)
        self.save()

    def save(self) -> None:
        write_private_text(self.path, json.dumps(self.as_dict(), indent=1, sort_keys=True, default=str) + "\n")

    def as_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": VERSION, "id": self.id, "created": self.created,
                "settings": self.settings, "tenant": self.tenant, "tenant_label": self.tenant_label,
                "tenant_slug": self.tenant_slug, "source": self.source, "target": self.target,
                "options": self.options, "phase": self.phase, "export": self.export,
                "source_digest": self.source_digest, "target_digest": self.target_digest,
                "imported": self.imported, "deleted": self.deleted, "blocked": self.blocked, "notes": self.notes[-50:],
                "history": self.history[-200:]}

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the move's lock (one process per move); refused at once if another process holds it."""
        import fcntl

        fh = open_private(self.folder / "journal.lock", "a")
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise JournalError(f"Another process is working on the move in {self.folder} right now (its lock "
                                   "is held); wait for it to finish, or check it with --status.") from None
            yield
        finally:
            fh.close()


def digest_rows(digest: Mapping[str, Any] | None) -> int | None:
    """The rows a journal's digest counts (``source_digest``: rows exported; ``target_digest``: rows verified in
    the target); None without one."""
    return sum(int(d["count"]) for d in digest.values()) if digest else None


def refusal(reason: str, details: list[str]) -> dict[str, Any]:
    """A ``Journal.blocked`` entry: why going on was refused (one of :data:`BLOCKED`), when, and the details."""
    assert reason in BLOCKED, reason
    return {"reason": reason, "time": _now(), "details": [str(d)[:500] for d in details[:20]]}


def new_journal(folder: Path, *, settings: str, tenant: Mapping[str, Any], tenant_label: str, tenant_slug: str,
                source: dict[str, Any], target: dict[str, Any], options: dict[str, Any]) -> Journal:
    """Create the move's folder (0700; refused if it holds a journal already) and its first journal."""
    folder = private_dir(folder)
    path = folder / JOURNAL_NAME
    if path.exists():
        raise JournalError(f"{path} already exists: that folder holds another move. Resume it (--resume {path}) "
                           "or choose another --journal.")
    j = Journal(path=path, id=uuid.uuid4().hex[:16], settings=settings,
                tenant={d: str(pk) for d, pk in tenant.items()}, tenant_label=tenant_label, tenant_slug=tenant_slug,
                source=source, target=target, options=options, created=_now())
    j.history.append({"time": j.created, "phase": "planned", "pid": os.getpid()})
    j.save()
    return j


def default_folder(state_dir: Path, tenant_slug: str, source: str, target: str) -> Path:
    """``STATE_DIR/moves/<time>-<tenant>-<from>-to-<to>``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = "-".join(re.sub(r"[^A-Za-z0-9_.]+", "_", p)[:40] for p in (stamp, tenant_slug, source, "to", target))
    return Path(state_dir).expanduser() / "moves" / name


def load_journal(path: str | os.PathLike[str]) -> Journal:
    """Read and check a journal (see the module doc); the databases are checked by :func:`check_databases`."""
    p = Path(path)
    if p.is_dir():
        p = p / JOURNAL_NAME
    shown = str(p)
    try:
        st = os.lstat(p)
    except OSError as exc:
        raise JournalError(f"The move journal {shown} cannot be read ({exc.strerror or exc}). Give the "
                           f"journal.json a move printed when it started.") from None
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise JournalError(f"The move journal {shown} is not a regular file (a link, folder or device); a journal "
                           "decides what is deleted, so only the file the move wrote is accepted.")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise JournalError(f"The move journal {shown} belongs to another user (uid {st.st_uid}); a journal decides "
                           "what is deleted, so only one written by you is accepted.")
    if st.st_mode & 0o077:
        raise JournalError(f"The move journal {shown} can be read or written by other users (mode "
                           f"{stat.S_IMODE(st.st_mode):04o}); a move writes it 0600, and one that others could have "
                           "changed is not trusted. Nothing was done.")
    if st.st_size > MAX_BYTES:
        raise JournalError(f"The move journal {shown} is {st.st_size:,} bytes; a journal is far smaller. Nothing "
                           "was done.")
    try:
        with open(p, "rb") as fh:
            data = json.loads(fh.read(MAX_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise JournalError(f"The move journal {shown} is not a journal (not JSON: {exc}). Nothing was done.") from None
    return _parse(p.resolve(), data, shown)


def _parse(path: Path, data: Any, shown: str) -> Journal:
    def bad(what: str) -> JournalError:
        return JournalError(f"The move journal {shown} is damaged or not a move journal ({what}); nothing was done. "
                            "A journal is only ever written by the move itself.")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise bad(f"its format is not {FORMAT!r}")
    if data.get("version") != VERSION:
        raise bad(f"version {data.get('version')!r}, this console reads version {VERSION}")
    for key in ("id", "settings", "tenant_label", "tenant_slug", "phase", "created"):
        if not isinstance(data.get(key), str):
            raise bad(f"{key!r} is not text")
    if data["phase"] not in PHASES:
        raise bad(f"unknown phase {data['phase']!r}")
    tenant = data.get("tenant")
    if not isinstance(tenant, dict) or not tenant or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) < 200 for k, v in tenant.items()):
        raise bad("'tenant' is not {dimension: key}")
    for side in ("source", "target"):
        value = data.get(side)
        if not isinstance(value, dict) or not isinstance(value.get("alias"), str) or not isinstance(
                value.get("db"), dict):
            raise bad(f"{side!r} does not name a database")
    options = data.get("options")
    if not isinstance(options, dict) or not isinstance(options.get("delete_source"), bool):
        raise bad("'options' is not the move's options")
    jobs = options.get("jobs", 1)
    if not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= 64:
        raise bad("'options.jobs' is not a number of connections")
    if not all(isinstance(options.get(k), (str, type(None))) for k in ("cross_tenant", "decisions")) or not all(
            isinstance(d, str) for d in options.get("defaults") or []):
        raise bad("'options' is not the move's options")
    export = data.get("export")
    if export is not None and not _export_entry_ok(export):
        raise bad("'export' does not name a file beside the journal with its SHA-256")
    for key in ("source_digest", "target_digest"):
        _check_digest(data.get(key), bad, key)
    for key in ("imported", "deleted"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise bad(f"{key!r} is not an object")
    blocked = data.get("blocked")
    if blocked is not None and not (
            isinstance(blocked, dict) and blocked.get("reason") in BLOCKED and isinstance(blocked.get("time"), str)
            and isinstance(blocked.get("details"), list) and all(isinstance(d, str) for d in blocked["details"])):
        raise bad("'blocked' is not a refusal of this format")
    deleted = data.get("deleted") or {}
    if "backup" in deleted and (not isinstance(deleted["backup"], str) or not _PLAIN.match(deleted["backup"])):
        raise bad("the delete's backup is not a file beside the journal")
    notes, history = data.get("notes", []), data.get("history", [])
    if not isinstance(notes, list) or not isinstance(history, list):
        raise bad("'notes' or 'history' is not a list")
    return Journal(path=path, id=data["id"], settings=data["settings"], tenant=dict(tenant),
                   tenant_label=data["tenant_label"], tenant_slug=data["tenant_slug"], source=data["source"],
                   target=data["target"], options=options, phase=data["phase"], created=data["created"],
                   export=export, source_digest=data.get("source_digest"), target_digest=data.get("target_digest"),
                   imported=data.get("imported"), deleted=data.get("deleted"), blocked=blocked,
                   notes=[str(n) for n in notes], history=[h for h in history if isinstance(h, dict)])


def _export_entry_ok(export: Any) -> bool:
    return (isinstance(export, dict) and isinstance(export.get("file"), str) and bool(_PLAIN.match(export["file"]))
            and isinstance(export.get("sha256"), str) and bool(_HEX64.match(export["sha256"])))


def _check_digest(value: Any, bad: Any, key: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        raise bad(f"{key!r} is not a digest")
    for label, d in value.items():
        if not isinstance(label, str) or not isinstance(d, dict):
            raise bad(f"{key!r} is not a digest")
        if not all(isinstance(d.get(k), int) and not isinstance(d.get(k), bool) and d[k] >= 0
                   for k in ("count", "links")):
            raise bad(f"{key!r}: {label} has no whole-number count")
        if not isinstance(d.get("checksum"), str) or not _HEX32.match(d["checksum"]):
            raise bad(f"{key!r}: {label} has no checksum")


def check_databases(journal: Journal, settings_module: str, registry: Any) -> None:
    """The journal must be of this project, name known dimensions, and its aliases lead to the same databases."""
    from django.conf import settings

    from tenant_console.core.audit import database_identity

    shown = str(journal.path)
    if journal.settings != settings_module:
        raise JournalError(f"The move journal {shown} was written for the settings {journal.settings!r}, not "
                           f"{settings_module!r}; run it with --settings {journal.settings}.")
    unknown = [d for d in journal.tenant if d not in registry.dimensions]
    if unknown:
        raise JournalError(f"The move journal {shown} names the dimension(s) {', '.join(unknown)}, which this project "
                           f"does not have ({', '.join(registry.dimensions) or 'none'}).")
    for side, entry in (("source", journal.source), ("target", journal.target)):
        alias = entry["alias"]
        if alias not in settings.DATABASES:
            raise JournalError(f"The move journal {shown} moves {'from' if side == 'source' else 'to'} the database "
                               f"alias {alias!r}, which is not in DATABASES now; nothing was done.")
        now = database_identity(alias)
        if now != entry["db"]:
            raise JournalError(f"The move journal {shown} was written for another {side} database: {alias!r} was "
                               f"{_db_text(entry['db'])} and is now {_db_text(now)}. A journal only applies to the "
                               "databases it was written for; nothing was done.")


def _db_text(db: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={db.get(k)}" for k in ("vendor", "host", "port", "name") if db.get(k) is not None)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
