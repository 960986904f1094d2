"""Related-object graphs: relations of a model, the batched walker, the isolation audit.

Public API (all ORM work; call it on a session thread):

* :func:`relations_of` (``relations.py``) — every relation of a model, with its kind.
* :func:`walk` (``walker.py``) — the closure of some root objects under :class:`WalkRules`,
  in a number of queries independent of the number of objects; returns a :class:`GraphResult`.
* :func:`related_page`, :func:`relation_counts` (``browse.py``) — one relation of one object,
  a keyset page at a time, for the graph browser.
* :func:`parse_object_spec` (``objects.py``) — ``app_label.Model.pk`` from the command line.
* :func:`run_audit` (``isolation_audit.py``) — every cross-tenant reference in the database.
"""

from tenant_console.core.graph.browse import RelatedItem, RelatedPage, related_page, related_queryset, relation_counts
from tenant_console.core.graph.classify import Classification
from tenant_console.core.graph.objects import fetch_object, parse_object_spec, spec_of
from tenant_console.core.graph.relations import Kind, Relation, relations_of
from tenant_console.core.graph.result import CrossTenantEdge, Edge, GraphResult, MissingTarget, Node, NodeKey
from tenant_console.core.graph.rules import WalkRules
from tenant_console.core.graph.walker import WalkProgress, walk

__all__ = [
    "Classification",
    "CrossTenantEdge",
    "Edge",
    "GraphResult",
    "Kind",
    "MissingTarget",
    "Node",
    "NodeKey",
    "RelatedItem",
    "RelatedPage",
    "Relation",
    "WalkProgress",
    "WalkRules",
    "fetch_object",
    "parse_object_spec",
    "related_page",
    "related_queryset",
    "relation_counts",
    "relations_of",
    "spec_of",
    "walk",
]
