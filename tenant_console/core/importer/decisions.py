"""Decisions: what to do with each conflict, per object, per model or as a default.

``keep`` the existing row, ``overwrite`` it, give the incoming row a ``new_key`` (every
reference to it in the file follows), ``use_existing`` (a unique clash: incoming
references are pointed at the row that holds the value), ``rename`` (a unique clash on
a text value: new key and the value suffixed), or ``skip`` (the object is not
imported; whatever in the file depends on it is listed and must be decided too).
``insert`` (new objects) and ``keep`` (identical ones) are implied.

``detach`` imports such an object without its references into another tenant, where every one of
them can be dropped: a nullable FK is set to NULL, a many-to-many link is left out (a non-nullable
or generic FK cannot be detached). It writes the object as ``allow_cross_tenant`` would, but
creates no reference between tenants, so it may be given as a default.

``detach`` also imports a ``missing_ref`` object whose references to rows that exist nowhere are
all nullable FKs or many-to-many links (an export made with ``--cross-tenant omit``, loaded into
another database): those FKs are set to NULL, those links left out.

``allow_cross_tenant`` is the only way to import an object that references another
tenant's row (class ``cross_tenant_reference``): it keeps the reference and writes the
object as its class without the reference would (``new``: insert, ``changed``:
overwrite, ``key_clash``: new key, ``unique_clash``: rename). It is never implied and
never taken from a ``*`` selector: it must name the object, or the class
``cross_tenant_reference`` of a model or the default, explicitly.

A key clash with another tenant's row can never be overwritten, and a unique clash
with another tenant's row can never be used or overwritten: both would make one
tenant's data reference or replace another's.

Decisions are saved as JSON and validated against the plan when loaded, so a
headless run with ``--decisions`` applies exactly what was reviewed or refuses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models

from tenant_console.core.importer.errors import ImportInputError
from tenant_console.core.importer.meta import ModelInfo, is_integer_pk
from tenant_console.core.importer.plan import CLASSES, Item, Plan
from tenant_console.core.importer.reader import key_text
from tenant_console.core.private import write_private_text

DECISIONS = ("insert", "keep", "overwrite", "new_key", "use_existing", "rename", "skip", "allow_cross_tenant",
             "detach")
CROSS = "cross_tenant_reference"
#: What ``allow_cross_tenant`` writes, by the class the object had before the cross-tenant check.
ALLOW_EFFECT = {"new": "insert", "changed": "overwrite", "key_clash": "new_key", "unique_clash": "rename"}
#: Keys a default or model decision may be given for: every class, ``dependent`` (objects
#: that reference a skipped object) and ``*`` (anything the decision is allowed for).
SELECTORS = (*CLASSES, "dependent", "*")
FORMAT = "tenant-console-import-decisions"
IMPLICIT = {"new": "insert", "identical": "keep"}
#: Every decision an object of each class (and ``dependent``) can ever take: what :func:`allowed` may offer.
#: Which of them one object takes depends on it (``new_key`` needs an integer or UUID key, ``overwrite`` a row
#: of the same tenant...); a default or model decision outside its class's list could never take effect, and is
#: refused (:func:`pair_refusal`).
ACCEPTS: dict[str, tuple[str, ...]] = {
    "new": ("insert", "new_key", "skip"),
    "identical": ("keep", "skip"),
    "changed": ("keep", "overwrite", "new_key", "skip"),
    "key_clash": ("new_key", "overwrite", "skip"),
    "unique_clash": ("use_existing", "overwrite", "rename", "skip"),
    "missing_ref": ("keep", "skip", "detach"),
    "cross_tenant_reference": ("keep", "use_existing", "skip", "detach", "allow_cross_tenant"),
    "schema": ("skip",),
    "invalid_value": ("skip",),
    "duplicate": ("skip",),
    "dependent": ("skip",),
}


def accepts_text() -> str:
    """``new: insert, new_key, skip; identical: keep, skip; ...`` (for messages)."""
    return "; ".join(f"{cls}: {', '.join(ds)}" for cls, ds in ACCEPTS.items())


def pair_refusal(selector: str, decision: str) -> str | None:
    """Why ``selector=decision`` (a default or a model's decision) can never take effect, or None if it can.

    One paragraph, for ``--default`` and for the entries of a decisions file.
    """
    if selector not in SELECTORS or decision not in DECISIONS:
        return (f"write DECISION or CLASS=DECISION with a decision among {', '.join(DECISIONS)} and a class among "
                f"{', '.join(SELECTORS)}.")
    if decision == "allow_cross_tenant" and selector != CROSS:
        return ("references into another tenant are only allowed where they are named: write "
                f"{CROSS}=allow_cross_tenant, or decide the objects one by one in a decisions file.")
    if selector == "*" or decision in ACCEPTS[selector]:
        return None
    if selector == "identical" and decision in ("new_key", "insert", "rename"):
        return ("an identical object already exists in the target exactly as it is in the file, so it can only be "
                "kept (keep, what happens without a decision) or skipped (skip); the import does not write a second "
                "copy of it under a new key (the copy's unique values would clash with the original's, and which of "
                "them to change is not something a default can decide). To copy a tenant under new keys, import "
                "the file as a new tenant (--new-tenant FIELD=VALUE): every row gets a new key, references follow, "
                "and clashing unique values are renamed. Copying rows into the very tenant they were exported from "
                "is not something import does; use the project's own copy feature for that.")
    return (f"{selector} objects never take {decision}; the decisions each class accepts are {accepts_text()} "
            "(which of them one object takes depends on it: the import lists the possible ones per object).")


def can_new_key(info: ModelInfo) -> bool:
    pk = info.model._meta.pk
    if info.natural:
        return False
    if info.parent_link is not None:
        return False  # follows the parent's key
    return is_integer_pk(info.model) or isinstance(pk, models.UUIDField)


def renameable(f: Any) -> bool:
    """A unique column a rename can give a fresh value: text (suffixed ``-2``...) or a UUID (a new one)."""
    return not f.is_relation and not f.primary_key and isinstance(
        f, (models.CharField, models.TextField, models.UUIDField))


def can_rename(info: ModelInfo, item: Item) -> bool:
    """Every clashing unique set has a column the rename can change (else the database would refuse it)."""
    if not item.clash or not can_new_key(info):
        return False
    fields = info.fields_by_attname
    sets = [names for names, _pk in item.clash_sets] or [item.clash]
    return all(any(renameable(fields[n]) for n in names if n in fields) for names in sets)


def single_holder(item: Item) -> bool:
    """The clashing values are all held by one row (so "use it" or "overwrite it" means one thing)."""
    return len({str(pk) for _names, pk in item.clash_sets} or {str(item.target_pk)}) == 1


def allowed(item: Item, info: ModelInfo) -> tuple[str, ...]:
    """The decisions that make sense for this item (in the order the review screen offers them)."""
    if item.forced:
        return (item.forced,)
    new_key = ("new_key",) if can_new_key(info) else ()
    cls = item.cls
    if cls == "new":
        return ("insert", *new_key, "skip")
    if cls == "identical":
        return ("keep", "skip")
    if cls == "changed":
        return ("keep", "overwrite", *new_key, "skip")
    if cls == "key_clash":
        return (*new_key, *(() if item.other_tenant else ("overwrite",)), "skip")
    if cls == "unique_clash":
        same = () if item.other_tenant or not single_holder(item) else ("use_existing", "overwrite")
        return (*same, *(("rename",) if can_rename(info, item) else ()), "skip")
    if cls == "missing_ref":
        # detach: written without the references to rows that exist nowhere, where each is nullable.
        detach = ("detach",) if (item.base in ("new", "changed") and item.missing
                                 and all(nullable for _f, _to, nullable in item.missing)) else ()
        return (("keep", "skip") if item.target_pk is not None else ("skip",)) + detach
    if cls == CROSS:
        return _allowed_cross(item, info)
    return ("skip",)


def _allowed_cross(item: Item, info: ModelInfo) -> tuple[str, ...]:
    """Skip is always possible; keeping the existing row where there is one of the same tenant;
    allowing the reference only where the object can then be written."""
    base = item.base
    safe: tuple[str, ...] = ()
    if base == "changed":
        safe = ("keep",)
    elif base == "unique_clash" and not item.other_tenant and single_holder(item):
        safe = ("use_existing",)
    can_write = (base in ("new", "changed") or (base == "key_clash" and can_new_key(info))
                 or (base == "unique_clash" and can_rename(info, item)))
    detach = ("detach",) if can_write and item.cross and all(c.detachable for c in item.cross) else ()
    return (*safe, "skip", *detach, *(("allow_cross_tenant",) if can_write else ()))


def effective(item: Item, decision: str | None) -> str | None:
    """The write a decision stands for (``allow_cross_tenant`` and ``detach`` become insert/overwrite/new
    key/rename: ``detach`` writes the object with its references into another tenant dropped)."""
    if decision in ("allow_cross_tenant", "detach"):
        return ALLOW_EFFECT.get(item.base)
    return decision


@dataclass
class Decisions:
    """The user's decisions; ``implied`` holds the retarget's defaults (below the user's)."""

    default: dict[str, str] = field(default_factory=dict)
    models: dict[str, dict[str, str]] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)
    implied: dict[str, str] = field(default_factory=dict)

    def set_object(self, ref: str, decision: str | None) -> None:
        if decision is None:
            self.objects.pop(ref, None)
        else:
            self.objects[ref] = decision

    def set_model(self, label: str, decision: str | None, selector: str = "*") -> None:
        entry = self.models.setdefault(label, {})
        if decision is None:
            entry.pop(selector, None)
        else:
            entry[selector] = decision

    def set_default(self, decision: str | None, selector: str = "*") -> None:
        if decision is None:
            self.default.pop(selector, None)
        else:
            self.default[selector] = decision

    def explicit(self, item: Item, ok: tuple[str, ...], dependent: bool = False) -> str | None:
        """The user's decision for ``item`` (object > model > default), if one applies."""
        found = self.source(item, ok, dependent)
        return None if found is None else found[2]

    def source(self, item: Item, ok: tuple[str, ...], dependent: bool = False) -> tuple[str, str, str] | None:
        """Where the user's decision for ``item`` comes from: ``(layer, selector, decision)`` with layer
        ``object``, ``model`` or ``default``, or None if none of them applies."""
        d = self.objects.get(item.ref)
        if d is not None and d in ok:
            return ("object", item.ref, d)
        selectors = ("dependent", "*") if dependent else (item.cls, "*")
        for name, layer in (("model", self.models.get(item.label, {})), ("default", self.default)):
            for sel in selectors:
                d = layer.get(sel)
                if d == "allow_cross_tenant" and sel != CROSS:
                    continue  # never through a catch-all: only where cross-tenant references are named
                if d is not None and d in ok:
                    return (name, sel, d)
        return None

    def unapplied(self, plan: Plan, flagged: Iterable[str] = (), most: int = 5) -> list[str]:
        """A sentence for each default and each model decision that would not take effect on this plan
        without a word; empty if every one of them does. Call with :attr:`implied` set.

        ``CLASS=DECISION`` (a default, or a model's in a decisions file): objects of the class (of the model)
        for which the decision is not possible, that no more specific decision covers, and that would get
        another decision instead (the implied one, the retarget's, a ``*`` default's); those left undecided are
        listed as undecided anyway. ``DECISION`` (``*``): the decision is possible for none of the objects it
        is for. ``flagged``: the selectors of the defaults given as ``--default`` (the others came from the
        decisions file, and are named as its entries).
        """
        flagged = set(flagged)
        out: list[str] = []
        everything = [it for it in plan.all_items() if not it.forced]
        for sel, decision in self.default.items():
            if sel == "dependent":
                continue
            name = (f"--default {decision if sel == '*' else f'{sel}={decision}'}" if sel in flagged
                    else f"the decisions file's default {sel}={decision}")
            out += self._unapplied_entry(plan, name, sel, decision, everything, None, most)
        for label, entry in self.models.items():
            items = [it for it in plan.items.get(label, ()) if not it.forced]
            for sel, decision in entry.items():
                if sel == "dependent":
                    continue
                name = f"the decisions file's {sel}={decision} for {label} (\"models\")"
                out += self._unapplied_entry(plan, name, sel, decision, items, label, most)
        return out

    def _unapplied_entry(self, plan: Plan, name: str, sel: str, decision: str, items: list[Item],
                         label: str | None, most: int) -> list[str]:
        """The sentence for one default (``label`` None) or one model decision, if it would not take effect."""
        of = f" of {label}" if label else ""
        if sel == "*":
            if items and not any(decision in allowed(it, plan.infos[it.label]) for it in items):
                counts: dict[str, int] = {}
                for it in items:
                    counts[it.cls] = counts.get(it.cls, 0) + 1
                text = ", ".join(f"{c} {n:,}" for c, n in counts.items())
                return [f"{name} is possible for none of the {len(items):,} objects{of} it is for ({text}); the "
                        f"decisions each class accepts are {accepts_text()}."]
            return []
        missed: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}  # (model, instead, possible) -> refs
        total = 0
        for it in items:
            if it.cls != sel:
                continue
            total += 1
            info = plan.infos[it.label]
            ok = allowed(it, info)
            found = self.source(it, ok)
            if found is not None and (found[0] == "object" or (found[0] == "model" and label is None)
                                      or (found[0] == ("default" if label is None else "model")
                                          and found[1] == sel)):
                continue  # a more specific decision, or this one, applies
            instead = self.decide(it, info)
            if instead is not None:
                missed.setdefault((it.label, instead, ok), []).append(it.ref)
        if not missed:
            return []
        groups = list(missed.items())
        shown = "; ".join(f"{lbl} {len(refs):,} (e.g. {refs[0]}; {instead} instead, possible: {', '.join(ok)})"
                          for (lbl, instead, ok), refs in groups[:most])
        more = f"; and {len(groups) - most:,} more models" if len(groups) > most else ""
        n = sum(len(refs) for refs in missed.values())
        where = ("\"objects\", which come before a model's decision" if label else
                 "\"objects\", or \"models\": {\"LABEL\": {\"CLASS\": \"DECISION\"}}, which come before a default")
        return [f"{name} is not possible for {n:,} of the {total:,} {sel} objects{of}, which would get another "
                f"decision without a word: {shown}{more}. Give those objects a decision of their own in a "
                f"decisions file (--decisions FILE: {where}), or use a decision they accept."]

    def decide(self, item: Item, info: ModelInfo) -> str | None:
        ok = allowed(item, info)
        if item.forced:
            return item.forced
        d = self.explicit(item, ok)
        if d is not None:
            return d
        d = self._implied(item, info, ok)
        if d is not None:
            return d
        return IMPLICIT.get(item.cls)

    def _implied(self, item: Item, info: ModelInfo, ok: tuple[str, ...]) -> str | None:
        if not self.implied:
            return None
        if item.cls == "changed" and not info.scoped:
            return "keep" if "keep" in ok else None
        d = self.implied.get(item.cls)
        if d == "rename_or_use_existing":
            return "use_existing" if "use_existing" in ok else ("rename" if "rename" in ok else None)
        return d if d in ok else None

    # -- files -----------------------------------------------------------------
    def to_json(self, plan: Plan) -> dict[str, Any]:
        index = {it.ref: it for it in plan.all_items()}
        return {
            "format": FORMAT,
            "version": 1,
            "export": {"file": plan.export.data_path.name, "sha256": plan.export.sha256},
            "target": {"database": plan.alias, "vendor": plan.vendor, "retarget": plan.retarget.describe()},
            "plan": plan.digest(),
            "default": dict(self.default),
            "models": {k: dict(v) for k, v in self.models.items() if v},
            "objects": {ref: {"decision": d, "class": index[ref].cls if ref in index else None}
                        for ref, d in sorted(self.objects.items())},
        }

    def to_json_with_undecided(self, plan: Plan, undecided: Iterable[Undecided]) -> dict[str, Any]:
        """The file plus every undecided object as a key of ``objects`` with ``"decision": null``
        (a placeholder to edit; null means still undecided when the file is loaded)."""
        data = self.to_json(plan)
        listed = list(undecided)
        for u in listed:
            data["objects"].setdefault(u.item.ref, {"decision": None, "class": u.item.cls,
                                                    "possible": list(u.possible), "reason": u.reason})
        data["objects"] = dict(sorted(data["objects"].items()))
        data["undecided"] = [u.as_dict() for u in listed]
        return data

    def save(self, path: str | Path, plan: Plan, undecided: Iterable[Undecided] | None = None) -> Path:
        """Write the decisions (atomically); with ``undecided``, also placeholders to fill in."""
        path = Path(path)
        data = self.to_json(plan) if undecided is None else self.to_json_with_undecided(plan, undecided)
        write_private_text(path, json.dumps(data, indent=2, default=str) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path, plan: Plan) -> Decisions:
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ImportInputError(f"The decisions file {path} does not exist.")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ImportInputError(f"The decisions file {path} is not valid JSON ({exc}).")
        return cls.from_json(data, plan, str(path))

    @classmethod
    def from_json(cls, data: Any, plan: Plan, where: str = "the decisions file") -> Decisions:
        def bad(msg: str) -> ImportInputError:
            return ImportInputError(f"{where} does not match this import: {msg} Nothing was imported; review the "
                                    "import again and save new decisions.")

        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ImportInputError(f"{where} is not a tenant-console decisions file (format {FORMAT!r}).")
        sha = (data.get("export") or {}).get("sha256")
        if sha != plan.export.sha256:
            raise bad(f"it was made for another export (SHA-256 {str(sha)[:12]}..., this file is "
                      f"{plan.export.sha256[:12]}...).")
        if (data.get("target") or {}).get("retarget", {"mode": "same"}) != _normalise(plan.retarget.describe()):
            raise bad(f"it was made for importing {(data.get('target') or {}).get('retarget')}, this import goes "
                      f"{plan.retarget.text()}.")
        out = cls()
        for selector, decision in _dict(data.get("default"), "default", bad).items():
            _check_selector(selector, decision, "the default", bad)
            out.default[selector] = decision
        for label, entry in _dict(data.get("models"), "models", bad).items():
            if label not in plan.items:
                raise bad(f"it has decisions for the model {label!r}, which is not in the file.")
            for selector, decision in _dict(entry, f"models[{label!r}]", bad).items():
                _check_selector(selector, decision, label, bad)
                out.models.setdefault(label, {})[selector] = decision
        index = {it.ref: it for it in plan.all_items()}
        for ref, entry in _dict(data.get("objects"), "objects", bad).items():
            decision = entry.get("decision") if isinstance(entry, dict) else entry
            was = entry.get("class") if isinstance(entry, dict) else None
            item = index.get(ref)
            if item is None:
                raise bad(f"it has a decision for {ref}, which is not in the file.")
            if decision is None:
                continue  # a placeholder (--save-decisions lists undecided objects this way): still undecided
            if was is not None and was != item.cls:
                raise bad(f"{ref} was {was!r} when the decisions were made and is {item.cls!r} now (the target "
                          "changed since).")
            ok = allowed(item, plan.infos[item.label])
            if decision not in ok:
                raise bad(f"{decision!r} is not possible for {ref} ({item.cls}); possible: {', '.join(ok)}.")
            out.objects[ref] = decision
        return out


def _normalise(d: dict[str, Any]) -> Any:
    return json.loads(json.dumps(d, default=str))


def _dict(value: Any, where: str, bad: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad(f"{where!r} must be a JSON object.")
    return value


def _check_selector(selector: str, decision: Any, where: str, bad: Any) -> None:
    if decision in DECISIONS and selector in SELECTORS:
        why = pair_refusal(selector, decision)
        if why is not None and decision != "allow_cross_tenant":
            raise bad(f"{selector}={decision} in {where} can never take effect: {why}")
    if selector not in SELECTORS:
        raise bad(f"{selector!r} in {where} is not a class (use one of {', '.join(SELECTORS)}).")
    if decision not in DECISIONS:
        raise bad(f"{decision!r} in {where} is not a decision (use one of {', '.join(DECISIONS)}).")
    if decision == "allow_cross_tenant" and selector != CROSS:
        raise bad(f"allow_cross_tenant in {where} must name the class {CROSS!r}, not {selector!r}: references into "
                  "another tenant are only allowed where they are named.")


# -- resolution ------------------------------------------------------------------

@dataclass(frozen=True)
class Undecided:
    item: Item
    reason: str
    possible: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.item.as_dict(), "reason": self.reason, "possible": list(self.possible)}


class Final:
    """Every item's decision (keyed by the item itself, which the plan holds).

    The implied ones (``insert`` a new object, ``keep`` an identical one: nearly every object of a
    large import) are not stored: the class says them. Only other decisions cost memory.
    """

    __slots__ = ("_none", "_set")

    def __init__(self) -> None:
        self._set: dict[int, str] = {}  # id(item) -> a decision other than the implied one
        self._none: set[int] = set()  # items of an implied class that have no decision (undecided)

    def get(self, item: Item, default: str | None = None) -> str | None:
        key = id(item)
        d = self._set.get(key)
        if d is not None:
            return d
        if key in self._none:
            return default
        implied = IMPLICIT.get(item.cls)
        return default if implied is None else implied

    def set(self, item: Item, decision: str) -> None:
        key = id(item)
        self._none.discard(key)
        if decision == IMPLICIT.get(item.cls):
            self._set.pop(key, None)
        else:
            self._set[key] = decision

    def pop(self, item: Item) -> None:
        key = id(item)
        self._set.pop(key, None)
        if item.cls in IMPLICIT:
            self._none.add(key)


@dataclass
class Resolution:
    """Every item's final decision, what is still undecided, and what depends on skipped objects."""

    final: Final  # every item's decision
    undecided: list[Undecided]
    broken: set[tuple[str, Any]]  # refs that will not exist in the target
    dropped_links: list[tuple[str, str, str]]  # (from ref, m2m field, to ref)

    def decision(self, item: Item) -> str | None:
        return self.final.get(item)

    def effective(self, item: Item) -> str | None:
        """What is written for ``item`` (``allow_cross_tenant`` resolved to insert, overwrite, new key...)."""
        return effective(item, self.final.get(item))

    def allowed_cross_tenant(self, plan: Plan) -> list[Item]:
        """Objects imported with their references into another tenant (``allow_cross_tenant``)."""
        return [it for it in plan.all_items() if self.final.get(it) == "allow_cross_tenant"]

    @property
    def complete(self) -> bool:
        return not self.undecided

    def counts(self, plan: Plan) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for label, items in plan.items.items():
            c: dict[str, int] = {}
            for it in items:
                d = self.final.get(it) or "undecided"
                c[d] = c.get(d, 0) + 1
            out[label] = c
        return out


def _is_broken(item: Item, decision: str | None) -> bool:
    if decision != "skip":
        return False
    return item.target_pk is None or item.base in ("key_clash", "unique_clash", "schema")


def resolve(plan: Plan, decisions: Decisions) -> Resolution:
    """Apply decisions to the plan: final decisions, undecided conflicts, dependents of skipped objects."""
    from tenant_console.core.importer.refs import RefReader

    final = Final()
    undecided: dict[int, Undecided] = {}
    for it in plan.all_items():
        d = decisions.decide(it, plan.infos[it.label])
        if d is None:
            undecided[id(it)] = Undecided(it, f"{it.cls}: {it.detail}" if it.detail else it.cls,
                                          allowed(it, plan.infos[it.label]))
            final.pop(it)
        else:
            final.set(it, d)
    # Multi-table inheritance: a child row follows its parent's key.
    for label, items in plan.items.items():
        info = plan.infos[label]
        if info.parent_link is None:
            continue
        for it in items:
            parent = plan.index.get((info.parent_link.target, it.row.pk))
            pd = effective(parent, final.get(parent)) if parent is not None else None
            if pd in ("new_key", "rename"):
                final.set(it, "new_key")
                undecided.pop(id(it), None)
            elif pd == "use_existing":
                final.set(it, "keep" if it.target_pk is not None else "insert")
                undecided.pop(id(it), None)
    reader = RefReader(plan.infos)
    broken: set[tuple[str, Any]] = set(plan.missing)
    for it in plan.all_items():
        if _is_broken(it, final.get(it)) or (id(it) in undecided and it.target_pk is None):
            broken.add((it.label, it.key))
    dropped: list[tuple[str, str, str]] = []
    changed = bool(broken)
    while changed:
        changed = False
        for it in plan.all_items():
            d = final.get(it)
            if d == "skip" or id(it) in undecided:
                continue
            for kind, name, ref, _detachable in reader.all_refs(it.row):
                if ref not in broken or (it.cls == "missing_ref" and ref in plan.missing):
                    continue
                if kind == "m2m":
                    continue
                parent_link = plan.infos[it.label].parent_link
                if parent_link is not None and name == parent_link.name:
                    final.set(it, "skip")
                else:
                    ok = ("skip",)
                    chosen = decisions.explicit(it, ok, dependent=True) or decisions.explicit(it, ok)
                    if chosen == "skip":
                        final.set(it, "skip")
                    else:
                        final.pop(it)
                        undecided[id(it)] = Undecided(
                            it, f"depends on {ref[0]}:{key_text(ref[1])} (through {name}), which is skipped or "
                                "missing; skip it too", ("skip",))
                if _is_broken(it, final.get(it)) or id(it) in undecided:
                    broken.add((it.label, it.key))
                changed = True
                break
    for it in plan.all_items() if broken else ():
        if final.get(it) in (None, "skip"):
            continue
        for kind, name, ref, _d in reader.m2m_refs_kinds(it.row):
            if kind == "m2m" and ref in broken:
                dropped.append((it.ref, name, f"{ref[0]}:{key_text(ref[1])}"))
    return Resolution(final=final, undecided=list(undecided.values()), broken=broken, dropped_links=dropped)


def undecided_refs(items: Iterable[Undecided]) -> list[str]:
    return [u.item.ref for u in items]
