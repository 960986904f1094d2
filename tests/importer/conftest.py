"""Fixtures for the import tests: export files of seeded tenants, and helpers to plan and apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.importer.exports import export_tenant, serializer_export


@pytest.fixture(scope="session")
def exports_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


_cache: dict[tuple[str, str, str], Path] = {}


@pytest.fixture
def make_export(exports_dir):
    """``make_export(alias, slug)`` -> path of an export of that tenant (cached per run)."""

    def make(alias: str, slug: str = "democon", *, real: bool = True) -> Path:
        key = (alias, slug, "real" if real else "serializer")
        if key not in _cache:
            path = exports_dir / f"{alias}-{slug}-{key[2]}.jsonl.gz"
            _cache[key] = export_tenant(alias, slug, path) if real else serializer_export(alias, slug, path)
        return _cache[key]

    return make


class Importer:
    """Plan/resolve/apply through a session, as the CLI does."""

    def __init__(self, project: Any, alias: str) -> None:
        self.project = project
        self.alias = alias
        #: The seeded database of the same vendor (exports are made from it).
        self.source = next((v for v in ("postgres", "mariadb") if alias.startswith(v)), "default")
        self.session = project.session("import-test", alias=alias)

    def plan(self, path: Path, retarget: Any = None) -> Any:
        from tenant_console.core.importer import build_plan, read_export

        export = read_export(path)
        return self.session.run(build_plan, export, self.alias, self.project.registry, retarget,
                                readonly=True, scoped=False)

    def resolve(self, plan: Any, decisions: Any = None) -> Any:
        from tenant_console.core.importer import Decisions, resolve

        decisions = decisions or Decisions()
        decisions.implied = plan.retarget.implied()
        return resolve(plan, decisions)

    def apply(self, plan: Any, resolution: Any, **kw: Any) -> Any:
        from tenant_console.core.importer import apply_import

        return self.session.run(apply_import, plan, resolution, readonly=False, scoped=False, **kw)

    def run(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """Test set-up and checks on the target, with scopes deliberately off."""
        from django_scopes import scopes_disabled

        def call() -> Any:
            with scopes_disabled():
                return fn(*args, **kw)

        return self.session.run(call, readonly=False, scoped=False)

    def close(self) -> None:
        self.session.close()


@pytest.fixture
def importer(project, target_alias):
    imp = Importer(project, target_alias)
    yield imp
    imp.close()


def table_state(alias: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every demo table (and users), for before/after comparisons."""
    from django.apps import apps
    from django_scopes import scopes_disabled

    out: dict[str, list[tuple[Any, ...]]] = {}
    with scopes_disabled():
        for model in [*apps.get_app_config("conference").get_models(), apps.get_model("auth", "User")]:
            out[model._meta.label] = sorted(map(repr, model._base_manager.using(alias).values_list()))
            for f in model._meta.local_many_to_many:
                t = f.remote_field.through
                cols = [f.m2m_column_name(), f.m2m_reverse_name()]  # link ids are not part of an export
                out[t._meta.label] = sorted(map(repr, t._base_manager.using(alias).values_list(*cols)))
    return out


def load_base(importer: Importer, path: Path) -> Any:
    """Import ``path`` into the (empty) target, skipping what has missing references; returns the report."""
    from tenant_console.core.importer import Decisions

    plan = importer.plan(path)
    d = Decisions()
    d.set_default("skip", "missing_ref")
    d.set_default("skip", "dependent")
    return importer.apply(plan, importer.resolve(plan, d))


@pytest.fixture
def loaded(importer, make_export):
    """The target holding an import of democon; returns the export path."""
    path = make_export(importer.source)
    load_base(importer, path)
    return path
