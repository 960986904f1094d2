"""``detach`` for references to rows that exist nowhere (``missing_ref``).

An export made with ``--cross-tenant omit`` and loaded into another database references rows that
are neither in the file nor in the target. Where every such reference is a nullable FK or a
many-to-many link, ``detach`` imports the object without them; a non-nullable one can only be skipped.
"""

from __future__ import annotations

from typing import Any

from tenant_console.core.importer import Decisions
from tenant_console.core.importer.decisions import allowed
from tests.importer.exports import rewrite

NOWHERE = 987_654


def test_detach_imports_without_references_that_exist_nowhere(importer, make_export, tmp_path):
    state: dict[str, Any] = {}

    def edit(objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        sub = next(o for o in objs if o["model"] == "conference.submission" and o["fields"]["tags"])
        state.update(ref=f"conference.submission:{sub['pk']}", tags=len(sub["fields"]["tags"]), pk=sub["pk"])
        sub["fields"]["track"] = NOWHERE  # nullable FK
        sub["fields"]["tags"] = [*sub["fields"]["tags"], NOWHERE]  # m2m link
        review = next(o for o in objs if o["model"] == "conference.review" and o["pk"] != sub["pk"])
        review["fields"]["submission"] = NOWHERE  # non-nullable FK: cannot be detached
        state["review"] = f"conference.review:{review['pk']}"
        return objs

    path = rewrite(make_export(importer.source), tmp_path / "nowhere.jsonl.gz", edit)
    plan = importer.plan(path)
    sub = plan.index[("conference.submission", state["pk"])]
    review = next(it for it in plan.all_items() if it.ref == state["review"])
    assert sub.cls == "missing_ref" and sorted(f for f, _to, _n in sub.missing) == ["tags", "track"]
    assert allowed(sub, plan.infos[sub.label]) == ("skip", "detach")
    assert review.cls == "missing_ref" and "detach" not in allowed(review, plan.infos[review.label])
    d = Decisions()
    d.set_default("detach", "missing_ref")
    d.set_default("skip", "dependent")
    res = importer.resolve(plan, d)
    # Detach does not apply where a reference is non-nullable (the edited review, and the seed's review
    # of another tenant's submission, missing from this target): those are still to decide.
    assert state["review"] in {u.item.ref for u in res.undecided}
    for u in res.undecided:
        assert u.item.cls == "missing_ref" and "detach" not in u.possible, u
        d.set_object(u.item.ref, "skip")
    report = importer.apply(plan, importer.resolve(plan, d))
    assert any(e["ref"] == state["ref"] for e in report.detached)

    def check() -> tuple[Any, int]:
        from conference.models import Submission

        s = Submission._base_manager.get(pk=state["pk"])
        return s.track_id, s.tags.count()

    assert importer.run(check) == (None, state["tags"])
