"""Objects marked in the graph browser for a later export, kept on the app.

The set lives on the app (not the screen), so it survives leaving the graph
and the export screen can read it::

    from tenant_console.ui.graph.marks import marked_specs
    specs = marked_specs(app)      # ["conference.Submission.12", "conference.Review.7"]
"""

from __future__ import annotations

from typing import Any

ATTRIBUTE = "graph_marked"


def marked(app: Any) -> dict[tuple[str, str], str]:
    """``{(model label, str(pk)): object label}`` in marking order (created on first use)."""
    found = getattr(app, ATTRIBUTE, None)
    if found is None:
        found = {}
        setattr(app, ATTRIBUTE, found)
    return found


def toggle(app: Any, model_label: str, pk: Any, label: str = "") -> bool:
    """Mark or unmark an object; returns whether it is marked now."""
    marks = marked(app)
    key = (model_label, str(pk))
    if key in marks:
        del marks[key]
        return False
    marks[key] = label
    return True


def is_marked(app: Any, model_label: str, pk: Any) -> bool:
    return (model_label, str(pk)) in marked(app)


def marked_specs(app: Any) -> list[str]:
    """The marked objects as ``app_label.Model.pk`` specs (the export's ``--objects`` syntax)."""
    return [f"{model}.{pk}" for model, pk in marked(app)]
