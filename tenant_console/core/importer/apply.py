"""Applying a resolved plan: one transaction, all or nothing.

Inside one durable atomic block on the target: the tables to be written are locked
against other writers (PostgreSQL ``SHARE ROW EXCLUSIVE``; SQLite's write lock, taken
first; MariaDB/MySQL a SERIALIZABLE transaction, whose reads lock what they read), the
target rows the plan looked at are read again and compared with what the review saw (if
any changed, nothing is applied and the rows are named), new keys are given, rows are
inserted and updated in bulk per model in dependency order, foreign keys are checked
(deferred constraints; on MariaDB/MySQL, which cannot defer them, checking is off for the
writes; then every written table is checked explicitly, with the offending row named), and
sequences are reset on PostgreSQL (MariaDB/MySQL's AUTO_INCREMENT follows explicit keys by
itself). A dry run does all of it and rolls back; a dry run or a failed import also puts
PostgreSQL's sequences back and MariaDB/MySQL's AUTO_INCREMENT counters (neither is
transactional: a rolled-back insert leaves them advanced). Killing the process at any point
leaves the target as it was: the transaction never commits.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, IntegrityError, connections, models, transaction

from tenant_console.core.importer.decisions import Resolution
from tenant_console.core.importer.errors import ApplyFailed, TargetChanged
from tenant_console.core.importer.meta import ModelInfo, get_model, is_integer_pk
from tenant_console.core.importer.plan import Item, Plan, batch_size, chunks, ordered, snapshot
from tenant_console.core.importer.reader import key_text
from tenant_console.core.importer.refs import Ref, RefReader, ref_key
from tenant_console.core.importer.report import ImportReport

Progress = Callable[[str, int, int], None]
WRITES = ("insert", "new_key", "rename", "overwrite")


class _Alloc:
    def __repr__(self) -> str:
        return "<new key>"


ALLOC: Any = _Alloc()


def dependency_order(labels: list[str], infos: dict[str, ModelInfo]) -> list[str]:
    """Models ordered parents first (non-nullable FKs and parent links before nullable FKs); the same sort
    as the export's, so cycles are broken at a nullable reference."""
    from tenant_console.core.export.relations import sort_by_dependencies

    hard: dict[str, set[str]] = {lb: set() for lb in labels}
    soft: dict[str, set[str]] = {lb: set() for lb in labels}
    for lb in labels:
        info = infos[lb]
        for fk in info.fks:
            (soft if fk.null else hard)[lb].add(fk.target)
        if info.parent_link is not None:
            hard[lb].add(info.parent_link.target)
    position = {lb: f"{n:06d}" for n, lb in enumerate(labels)}  # ties keep the file's order
    return sort_by_dependencies(labels, hard, soft, key=position.__getitem__)


class Applier:
    def __init__(self, plan: Plan, resolution: Resolution, *, dry_run: bool = False,
                 progress: Progress | None = None, pause: Callable[[], None] | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.plan = plan
        self.res = resolution
        self.alias = plan.alias
        self.conn = connections[plan.alias]
        self.dry_run = dry_run
        self.progress = progress or (lambda stage, done, total: None)
        self.pause = pause  # a hook called between batches (tests use it to kill the process mid-apply)
        #: Set to stop (ctrl+c): checked between batches and just before the commit, inside the
        #: transaction, so a stopped import is always rolled back and a finished one never reported stopped.
        self.cancel = cancel
        self.refs = RefReader(plan.infos)
        self.batch = batch_size(plan.alias)
        #: id(item) -> final key in the target (None: not there); an object inserted with the key the file
        #: gives it (nearly all of a large import) is not stored: see :meth:`key`.
        self.keys: dict[int, Any] = {}
        self.report = ImportReport(file=str(plan.export.data_path), sha256=plan.export.sha256, database=self.alias,
                                   vendor=plan.vendor, target=plan.retarget.describe(), dry_run=dry_run)

    # -- entry -----------------------------------------------------------------
    def run(self) -> ImportReport:
        if not self.res.complete:
            from tenant_console.core.importer.errors import UndecidedConflicts

            raise UndecidedConflicts(f"{len(self.res.undecided):,} conflicts have no decision; nothing was applied.")
        started = time.perf_counter()
        labels = dependency_order(list(self.plan.items), self.plan.infos)
        written = [lb for lb in labels if any(self.res.effective(it) in WRITES for it in self.plan.items[lb])]
        counters: dict[str, int] = {}
        try:
            with self._auto_increments_restored(counters):
                self._transaction(labels, written, counters)
        except DatabaseError as exc:
            if self.cancel is not None and self.cancel.is_set():  # the statement was cancelled on the database
                from tenant_console.core.errors import Cancelled

                raise Cancelled("The import was cancelled on the database; the transaction was rolled back and "
                                "nothing was written.") from exc
            self._refused(exc)
        self.report.counts = self.res.counts(self.plan)
        self.report.cross_tenant = [{"ref": it.ref, "references": [c.text() for c in it.cross]}
                                    for it in self.res.allowed_cross_tenant(self.plan)]
        self.report.detached = [
            {"ref": it.ref, "references": [c.text() for c in it.cross]
             + [f"{name} -> {to}, which exists nowhere" for name, to, _n in it.missing]}
            for it in self.plan.all_items() if self.res.decision(it) == "detach"]
        self.report.dropped_links = list(self.res.dropped_links)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _unchecked_hint(self) -> str:
        """What the plan said it could not check (unique constraints over expressions), for a refusal."""
        if not self.plan.unchecked:
            return ""
        names = "; ".join(line.split(" is over ")[0] for line in self.plan.unchecked)
        return f" The plan could not check {names}: change the file's values that the constraint refuses, or skip them."

    def _refused(self, exc: DatabaseError) -> None:
        if isinstance(exc, IntegrityError):
            raise ApplyFailed(
                f"The database refused the import, so nothing was written (the transaction was rolled back): "
                f"{' '.join(str(exc).split())}.{self._unchecked_hint()}"
            )
        raise ApplyFailed(  # DataError and the like: a value the plan should have refused
            "The database refused a value of the import, so nothing was written (the transaction was rolled "
            f"back): {' '.join(str(exc).split())[:500]}. The plan checks every value with its field's rules; "
            "please report this file."
        )

    def _transaction(self, labels: list[str], written: list[str], counters: dict[str, int]) -> None:
        with transaction.atomic(using=self.alias, durable=True):
            self._lock(written)
            self._recheck()
            sequences = self._read_sequences(written)
            counters.update(self._read_auto_increments(written))
            try:
                # A savepoint, so that after a failure the transaction can still put the sequences back.
                with transaction.atomic(using=self.alias):
                    self._assign_keys(labels)
                    self._rename()
                    total = sum(1 for it in self.plan.all_items() if self.res.effective(it) in WRITES)
                    done = 0
                    with self._references_checked_at_the_end():
                        for lb in labels:
                            done = self._write_model(lb, done, total)
                    self._reset_sequences(written)
                    self._check_constraints(written)
                    self._check_cancel()
            except BaseException:
                try:
                    self._restore_sequences(sequences)
                except DatabaseError:
                    pass  # the connection is gone; the first error is the one to report
                raise
            if self.dry_run:
                self._restore_sequences(sequences)
                transaction.set_rollback(True, using=self.alias)

    @contextlib.contextmanager
    def _auto_increments_restored(self, counters: dict[str, int]) -> Iterator[None]:
        """MariaDB/MySQL: after a dry run or a failed import (rolled back), put the written tables'
        ``AUTO_INCREMENT`` back to what :meth:`_read_auto_increments` read (``counters``). InnoDB never
        sets it below the largest key in the table plus one, so a key another writer took meanwhile is
        safe. ``ALTER TABLE`` commits, so this runs after the transaction, never inside it."""
        try:
            yield
        except BaseException:
            with contextlib.suppress(Exception):
                self._restore_auto_increments(counters)
            raise
        if self.dry_run:
            try:
                self._restore_auto_increments(counters)
            except DatabaseError as exc:
                self.report.notes.append(f"AUTO_INCREMENT could not be put back ({' '.join(str(exc).split())}); "
                                         "the next new rows' keys will leave a gap")

    # -- steps -----------------------------------------------------------------
    def _lock(self, labels: list[str]) -> None:
        tables = {self.plan.infos[lb].model._meta.db_table for lb in labels}
        for lb in labels:
            for m in self.plan.infos[lb].m2ms:
                tables.add(m.through._meta.db_table)
        with self.conn.cursor() as cur:
            if self.conn.vendor == "postgresql":
                for t in sorted(tables):
                    cur.execute(f"LOCK TABLE {self.conn.ops.quote_name(t)} IN SHARE ROW EXCLUSIVE MODE")
            elif self.conn.vendor == "mysql":
                # LOCK TABLES would commit; a SERIALIZABLE InnoDB transaction turns the re-check's reads
                # into locking reads (rows read are share-locked, pk ranges gap-locked against inserts).
                # It can only be set before the transaction's first statement, which this is.
                cur.execute("SELECT @@in_transaction")
                if not cur.fetchone()[0]:
                    cur.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            elif self.conn.vendor == "sqlite" and tables:
                # A deferred SQLite transaction takes the write lock at its first write; take it now, so
                # that nobody can change the target between the re-check and the writes.
                cur.execute(f"DELETE FROM {self.conn.ops.quote_name(sorted(tables)[0])} WHERE 1 = 0")

    def _recheck(self) -> None:
        changed: list[str] = []
        for label, seen in self.plan.seen.items():
            if not seen:
                continue
            now = snapshot(self.plan, label, list(seen))
            for pk, digest in seen.items():
                if now.get(pk) != digest:
                    changed.append(f"{label} {pk} ({'deleted' if pk not in now else 'changed'})")
        for label, free in self.plan.free.items():
            model = self.plan.infos[label].model
            for chunk in chunks(ordered(free), self.batch):
                for pk in model._base_manager.using(self.alias).filter(pk__in=chunk).values_list("pk", flat=True):
                    changed.append(f"{label} {pk} (created since the review)")
        if changed:
            shown = ", ".join(changed[:10]) + (f" and {len(changed) - 10:,} more" if len(changed) > 10 else "")
            raise TargetChanged(
                f"The target changed since the plan was made, so nothing was applied: {shown}. Plan and review the "
                "import again."
            )

    def _assign_keys(self, labels: list[str]) -> None:
        plan = self.plan
        alloc: dict[str, list[Item]] = {}
        own: dict[str, int] = {}  # the largest integer key the file's own inserts take, per model
        for lb in labels:
            info = plan.infos[lb]
            for it in plan.items[lb]:
                d = self.res.effective(it)
                if d in ("new_key", "rename") or (d == "insert" and it.row.pk is None):
                    if info.parent_link is None:
                        alloc.setdefault(lb, []).append(it)
                    self.keys[id(it)] = ALLOC
                elif d == "insert":
                    mapped = plan.retarget.map_ref((lb, it.key))
                    if mapped is not None:
                        self.keys[id(it)] = mapped
                    if isinstance(it.key, int) and it.key > own.get(lb, it.key - 1):
                        own[lb] = it.key
                elif d in ("keep", "overwrite", "use_existing"):
                    self.keys[id(it)] = it.target_pk
                elif d == "skip" and (lb, it.key) not in self.res.broken:
                    self.keys[id(it)] = it.target_pk  # the same object is already there
                else:
                    self.keys[id(it)] = None
        for lb, items in alloc.items():
            info = plan.infos[lb]
            model = info.model
            if isinstance(model._meta.pk, models.UUIDField):
                for it in items:
                    self.keys[id(it)] = uuid.uuid4()
            elif is_integer_pk(model):
                current = model._base_manager.using(self.alias).aggregate(m=models.Max("pk"))["m"] or 0
                start = max(current, own.get(lb, current)) + 1
                for n, it in enumerate(items):
                    self.keys[id(it)] = start + n
            else:
                raise ApplyFailed(f"{lb} has a {type(model._meta.pk).__name__} primary key; new keys cannot be given.")
        # Multi-table inheritance: children take their parent's key.
        for lb in labels:
            info = plan.infos[lb]
            if info.parent_link is None:
                continue
            for it in plan.items[lb]:
                if self.keys.get(id(it)) is ALLOC:
                    parent = plan.index.get((info.parent_link.target, it.row.pk))
                    self.keys[id(it)] = self.key(parent) if parent is not None else None
        for lb in labels:
            for it in plan.items[lb]:
                d = self.res.effective(it)
                if d in ("new_key", "rename"):
                    self.report.new_keys[it.ref] = key_text(self.key(it))

    def _rename(self) -> None:
        """Give renamed rows fresh values in every clashing unique set: text ``value-2``, ``value-3``...
        (checked against the target and the other rows of the file, in batches), a UUID a new one, and a code
        the project draws at random a new random one of the same alphabet and length (:mod:`.codes`)."""
        from django.db.models.functions import Lower

        from tenant_console.core.importer.codes import generated_code
        from tenant_console.core.importer.decisions import renameable

        by_field: dict[tuple[str, str], list[Item]] = {}
        for it in self.plan.all_items():
            if self.res.effective(it) != "rename":
                continue
            info = self.plan.infos[it.label]
            for f in info.local_fields:
                if f.attname in it.clash and renameable(f):
                    by_field.setdefault((it.label, f.attname), []).append(it)
        self.renames: dict[int, dict[str, Any]] = {}
        for (label, attname), items in by_field.items():
            info = self.plan.infos[label]
            text_field: Any = info.model._meta.get_field(attname)
            if isinstance(text_field, models.UUIDField):
                for it in items:
                    value = uuid.uuid4()
                    self.renames.setdefault(id(it), {})[attname] = value
                    self.report.renamed.setdefault(it.ref, {})[text_field.name] = str(value)
                continue
            renamed = {id(it) for it in items}
            # Compared as the target compares them: a unique constraint over lower()/upper() of the column, or a
            # MariaDB/MySQL collation (``*_ci`` by default), holds "python-2" and "PYTHON-2" to be the same value.
            fold = self.plan.vendor == "mysql" or any(
                fn is not None and n == attname for rule in info.unique_rules
                for n, fn in zip(rule.names, rule.functions, strict=False))
            same: Callable[[str], str] = (lambda v: v.rstrip(" ").lower()) if fold else str
            # Values other rows of the file will write (a file with "A" and "A-2": "A" must become "A-3").
            taken: set[str] = {same(str(it.row.fields.get(text_field.name))) for it in self.plan.items[label]
                               if id(it) not in renamed and self.res.effective(it) in WRITES
                               and it.row.fields.get(text_field.name) is not None}
            # One new value per original value: rows that shared a value in a multi-column set (the slots of
            # one room) share the new one, which no row of the target or the file holds, so every set that
            # was unique in the file stays unique.
            by_value: dict[str, list[Item]] = {}
            for it in items:
                by_value.setdefault(str(it.row.fields.get(text_field.name) or ""), []).append(it)
            pending = list(by_value)
            code = generated_code(info.model, text_field)
            n = 2
            # "-2", "-3"... first (what people expect); a target that already holds a long run of them (a
            # tenant imported again and again) gets a random suffix instead of one query per number.
            for rounds in range(SEQUENTIAL_ROUNDS + RANDOM_ROUNDS):
                if not pending:
                    break
                # A suffix longer than the field has no candidate (the value stays pending: refused below).
                candidates = {v: c for v in pending if (c := code.make() if code is not None else _suffixed(
                    v, n if rounds < SEQUENTIAL_ROUNDS else random_suffix(text_field.max_length),
                    text_field.max_length)) is not None}
                for chunk in chunks(list(candidates.values()), self.batch):
                    target = info.model._base_manager.using(self.alias)
                    if fold:
                        found = target.annotate(_tc_same=Lower(attname)).filter(
                            _tc_same__in=sorted({same(c) for c in chunk})).values_list(attname, flat=True)
                    else:
                        found = target.filter(**{f"{attname}__in": chunk}).values_list(attname, flat=True)
                    taken.update(same(str(v)) for v in found)
                left = []
                for v in pending:
                    c = candidates.get(v)
                    if c is None or same(c) in taken:
                        left.append(v)
                        continue
                    taken.add(same(c))
                    for it in by_value[v]:
                        self.renames.setdefault(id(it), {})[attname] = c
                        self.report.renamed.setdefault(it.ref, {})[text_field.name] = c
                pending = left
                n += 1
            if pending:
                raise ApplyFailed(
                    f"No free value was found to rename {len(pending):,} row(s) of {label} (field "
                    f"{text_field.name!r}, e.g. {pending[0][:60]!r}) after {SEQUENTIAL_ROUNDS + RANDOM_ROUNDS} "
                    "tries: every candidate is taken in the target or the file"
                    + (f", or the field's {text_field.max_length} characters leave no room for a suffix"
                       if text_field.max_length is not None else "")
                    + ". Nothing was written; decide skip or overwrite for those rows instead.")

    def key(self, item: Item) -> Any:
        """The item's key in the target once :meth:`_assign_keys` has run."""
        return self.keys.get(id(item), item.key)

    def ref_target(self, ref: Ref) -> Any:
        item = self.plan.index.get(ref)
        if item is not None:
            return self.key(item)
        mapped = self.plan.retarget.map_ref(ref)
        if mapped is not None:
            return mapped
        if isinstance(ref[1], tuple):
            return self.plan.natural.get(ref)
        return ref[1]

    def _values(self, info: ModelInfo, it: Item) -> dict[str, Any]:
        fields = it.row.fields
        out: dict[str, Any] = {info.pk_attname: self.key(it)}
        for f in info.plain:
            if f.name in fields:
                out[f.attname] = f.to_python(fields[f.name])
        detached = self._detached(it)
        for fk in info.fks:
            if fk.name not in fields:
                continue
            raw = fields[fk.name]
            if raw is None or fk.name in detached:
                out[fk.attname] = None
                continue
            target = self.ref_target((fk.target, ref_key(fk.natural, raw, get_model(fk.target))))
            if target is None:
                raise ApplyFailed(f"{it.ref}: {fk.name} points at {fk.target} {key_text(raw)}, which will not exist "
                                  "after the import (it is skipped or missing). Skip this object too.")
            out[fk.attname] = target
        for name, ref in self.refs.gfk_refs(it.row):
            target = self.ref_target(ref)
            if target is not None:
                out[name] = target
        if it.overrides:
            for name, value in it.overrides.items():
                override: Any = info.model._meta.get_field(name)
                out[override.attname] = override.to_python(value)
        out.update(self.renames.get(id(it), {}))
        return out

    def _detached(self, it: Item) -> dict[str, set[str]]:
        """``detach``: the references to drop (into another tenant, or to rows that exist nowhere),
        ``{field: {"label:key", ...}}``."""
        if self.res.decision(it) != "detach":
            return {}
        out: dict[str, set[str]] = {}
        for c in it.cross:
            out.setdefault(c.field, set()).add(c.to)
        for name, to, _nullable in it.missing:
            out.setdefault(name, set()).add(to)
        return out

    def _write_model(self, label: str, done: int, total: int) -> int:
        """Insert and update the model's rows batch by batch: instances exist for one batch at a time."""
        info = self.plan.infos[label]
        model = info.model
        inserts: list[Any] = []
        updates: list[Any] = []
        update_fields: set[str] = set()
        links: dict[str, list[tuple[Any, Any]]] = {}
        replaced: dict[str, list[Any]] = {}
        written = 0
        qs: Any = model._base_manager.using(self.alias)
        fields = [f for f in info.local_fields]
        batch = max(1, min(2000, self.conn.ops.bulk_batch_size(fields, [None])))

        def flush_inserts() -> None:
            nonlocal done
            qs._insert(inserts, fields=fields, using=self.alias, raw=True)
            done += len(inserts)
            inserts.clear()
            self._tick(label, done, total)

        def flush_updates() -> None:
            nonlocal done
            self._update(info, updates, sorted(update_fields))
            done += len(updates)
            updates.clear()
            update_fields.clear()
            self._tick(label, done, total)

        try:
            for it in self.plan.items[label]:
                d = self.res.effective(it)
                if d not in WRITES:
                    continue
                values = self._values(info, it)
                obj = _instance(model, values)
                written += 1
                if d == "overwrite":
                    updates.append(obj)
                    update_fields.update(f.name for f in info.local_fields
                                         if not f.primary_key and (f.attname in values))
                    if len(updates) >= 500:
                        flush_updates()
                else:
                    inserts.append(obj)
                    if len(inserts) >= batch:
                        flush_inserts()
                pk = values[info.pk_attname]
                for m in info.m2ms:
                    if m.name not in it.row.fields:
                        continue
                    if d == "overwrite":
                        replaced.setdefault(m.name, []).append(pk)
                    target_model = get_model(m.target)
                    detached = self._detached(it).get(m.name, set())
                    for raw in it.row.fields.get(m.name) or ():
                        ref = (m.target, ref_key(m.natural, raw, target_model))
                        if ref in self.res.broken or f"{ref[0]}:{key_text(ref[1])}" in detached:
                            continue
                        target = self.ref_target(ref)
                        if target is not None:
                            links.setdefault(m.name, []).append((pk, target))
            if inserts:
                flush_inserts()
            if updates:
                flush_updates()
            for m in info.m2ms:
                through = m.through._base_manager.using(self.alias)
                for chunk in chunks(replaced.get(m.name, []), self.batch):
                    through.filter(**{f"{m.source_col}__in": chunk}).delete()
                for pairs in chunks(links.get(m.name, []), 2000):
                    through.bulk_create([m.through(**{m.source_col: s, m.target_col: t}) for s, t in pairs])
                    self._tick(label, done, total)
        except IntegrityError as exc:
            raise ApplyFailed(
                f"The database refused the {label} rows, so nothing was written (the transaction was rolled back): "
                f"{' '.join(str(exc).split())}.{self._unchecked_hint()}"
            )
        if written:
            self.report.written[label] = written
        return done

    def _update(self, info: ModelInfo, objs: list[Any], names: list[str]) -> None:
        """One parametrised ``UPDATE ... WHERE pk = %s`` run with ``executemany``.

        ``QuerySet.bulk_update`` builds a ``CASE WHEN`` per field and row, which is slow for
        thousands of rows; the statement here is prepared once and fed row by row.
        """
        if not names:
            return
        qn = self.conn.ops.quote_name
        fields: list[Any] = [info.model._meta.get_field(n) for n in names]
        pk: Any = info.model._meta.pk
        sql = (f"UPDATE {qn(str(info.model._meta.db_table))} SET "
               + ", ".join(f"{qn(f.column)} = %s" for f in fields) + f" WHERE {qn(pk.column)} = %s")
        params = [[f.get_db_prep_save(getattr(o, f.attname), connection=self.conn) for f in fields]
                  + [pk.get_db_prep_save(getattr(o, pk.attname), connection=self.conn)] for o in objs]
        with self.conn.cursor() as cur:
            cur.executemany(sql, params)

    def _tick(self, label: str, done: int, total: int) -> None:
        self.progress(label, done, total)
        if self.pause is not None:
            self.pause()
        self._check_cancel()

    def _check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            from tenant_console.core.errors import Cancelled

            raise Cancelled("The import was interrupted before its commit; the transaction was rolled back and "
                            "nothing was written.")

    def _reset_sequences(self, labels: list[str]) -> None:
        if self.conn.vendor != "postgresql" or not labels:
            return
        models_ = [self.plan.infos[lb].model for lb in labels]
        extra = [m.through for lb in labels for m in self.plan.infos[lb].m2ms]
        sql = self.conn.ops.sequence_reset_sql(no_style(), models_ + extra)
        with self.conn.cursor() as cur:
            for statement in sql:
                cur.execute(statement)

    def _sequence_tables(self, labels: list[str]) -> list[str]:
        tables = [str(self.plan.infos[lb].model._meta.db_table) for lb in labels]
        tables += [str(m.through._meta.db_table) for lb in labels for m in self.plan.infos[lb].m2ms]
        return sorted(set(tables))

    def _read_sequences(self, labels: list[str]) -> list[tuple[str, int, bool]]:
        """PostgreSQL: ``(sequence, last_value, is_called)`` of the written tables' sequences.

        ``nextval`` (many-to-many rows) and ``setval`` (the reset after writing) are not undone by a
        rollback, so a dry run or a failed import puts them back (:meth:`_restore_sequences`). It does so
        while the tables are still locked against other writers, whose inserts would take values.
        """
        if self.conn.vendor != "postgresql" or not labels:
            return []
        out: list[tuple[str, int, bool]] = []
        qn = self.conn.ops.quote_name
        with self.conn.cursor() as cur:
            for table in self._sequence_tables(labels):
                for seq in self.conn.introspection.get_sequences(cur, table):
                    name = qn(seq["name"])
                    cur.execute(f"SELECT last_value, is_called FROM {name}")
                    last, called = cur.fetchone()
                    out.append((name, int(last), bool(called)))
        return out

    def _read_auto_increments(self, labels: list[str]) -> dict[str, int]:
        """MariaDB/MySQL: the written tables' ``AUTO_INCREMENT`` (the next key InnoDB would give)."""
        if self.conn.vendor != "mysql" or not labels:
            return {}
        return self._read_auto_increments_of(self._sequence_tables(labels))

    def _restore_auto_increments(self, counters: dict[str, int]) -> None:
        if not counters:
            return
        now = self._read_auto_increments_of(list(counters))
        qn = self.conn.ops.quote_name
        with self.conn.cursor() as cur:
            cur.execute("SELECT @@SESSION.lock_wait_timeout")
            (wait,) = cur.fetchone()
            cur.execute("SET SESSION lock_wait_timeout = 10")  # a long transaction on the table: give up
            try:
                for table, value in sorted(counters.items()):
                    if now.get(table, value) != value:
                        cur.execute(f"ALTER TABLE {qn(table)} AUTO_INCREMENT = {int(value)}")
            finally:
                cur.execute(f"SET SESSION lock_wait_timeout = {int(wait)}")

    def _read_auto_increments_of(self, tables: list[str]) -> dict[str, int]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                        f"DATABASE() AND TABLE_NAME IN ({', '.join(['%s'] * len(tables))})", tables)
            return {str(name): int(value) for name, value in cur.fetchall() if value is not None}

    def _restore_sequences(self, sequences: list[tuple[str, int, bool]]) -> None:
        if not sequences:
            return
        with self.conn.cursor() as cur:
            for name, last, called in sequences:
                cur.execute("SELECT setval(%s::regclass, %s, %s)", [name, last, called])

    @contextlib.contextmanager
    def _references_checked_at_the_end(self) -> Iterator[None]:
        """Let rows refer to rows written later (forward references, cycles); checked afterwards.

        PostgreSQL's and SQLite's foreign keys (as Django creates them) are deferred to the commit.
        MariaDB/MySQL (InnoDB) checks each row at once and has no deferrable constraints: there,
        as Django's ``loaddata`` does, checking is switched off for the writes (``SET
        FOREIGN_KEY_CHECKS = 0``, on this connection, inside this transaction) and switched back on
        even when a write fails; :meth:`_check_constraints` then checks every written table
        explicitly, so a dangling reference still fails the import and rolls it back.
        """
        if self.conn.features.can_defer_constraint_checks:
            yield
            return
        with self.conn.constraint_checks_disabled():
            yield

    def _check_constraints(self, labels: list[str]) -> None:
        tables = [self.plan.infos[lb].model._meta.db_table for lb in labels]
        tables += [m.through._meta.db_table for lb in labels for m in self.plan.infos[lb].m2ms]
        try:
            self.conn.check_constraints(table_names=tables)
        except (IntegrityError, DatabaseError) as exc:
            raise ApplyFailed(
                "A foreign key check failed after writing, so nothing was written (the transaction was rolled "
                f"back): {' '.join(str(exc).split())}"
            )


def _instance(model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """A model instance carrying exactly ``values`` (attnames), without running ``__init__``.

    Bulk inserts (``raw=True``) and ``bulk_update`` only read attributes; skipping
    ``Model.__init__`` (defaults, descriptors, signals) makes building a million rows cheap,
    and no ``pre_init``/``post_init`` signal fires, as with ``loaddata``'s raw saves.
    """
    obj = model.__new__(model)
    obj.__dict__.update(values)
    obj._state = models.base.ModelState()
    obj._state.db = None
    return obj


#: Rounds of a rename's search for a free value: numbered suffixes, then random ones.
SEQUENTIAL_ROUNDS = 20
RANDOM_ROUNDS = 20


def random_suffix(max_length: int | None) -> str:
    """Six random hex digits, fewer when the field leaves less room beside the dash ("" when it leaves none)."""
    room = 6 if max_length is None else max(0, min(6, max_length - 1))
    return secrets.token_hex(3)[:room]


def _suffixed(value: str, n: int | str, max_length: int | None) -> str | None:
    """``value-n``, the value cut so that it fits ``max_length``; None when ``-n`` alone does not fit (or ``n``
    is empty): a candidate is never longer than the field."""
    suffix = f"-{n}"
    if n == "" or (max_length is not None and len(suffix) > max_length):
        return None
    if max_length is not None and len(value) + len(suffix) > max_length:
        value = value[: max_length - len(suffix)]
    return value + suffix


def apply_import(plan: Plan, resolution: Resolution, *, dry_run: bool = False, progress: Progress | None = None,
                 pause: Callable[[], None] | None = None, cancel: threading.Event | None = None) -> ImportReport:
    """Apply ``resolution`` to the target (call on a session thread with ``readonly=False, scoped=False``).

    Setting ``cancel`` stops it between batches, rolled back (:class:`Cancelled`).
    """
    return Applier(plan, resolution, dry_run=dry_run, progress=progress, pause=pause, cancel=cancel).run()
