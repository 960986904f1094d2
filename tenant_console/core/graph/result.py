"""What a walk returns: nodes, edges, counts, cross-tenant edges, missing targets.

Plain data with no ORM instances in it, so it can cross threads (the session
thread computes it, the UI or the CLI reads it) and be dumped as JSON.
A node is identified by ``(model key, pk)``: ``("conference.submission", 12)``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from tenant_console.core.graph.classify import Classification

NodeKey = tuple[str, Any]


def key_text(key: NodeKey) -> str:
    """``conference.submission:12``."""
    return f"{key[0]}:{key[1]}"


@dataclass(slots=True)
class Node:
    key: NodeKey
    classification: Classification
    #: ``{dimension: tenant pk}``; None for a shared model.
    tenant: dict[str, Any] | None
    depth: int
    #: Reached as part of what belongs to the roots (as opposed to only needed by them).
    owned: bool
    root: bool = False

    @property
    def model(self) -> str:
        return self.key[0]

    @property
    def pk(self) -> Any:
        return self.key[1]

    def as_dict(self) -> dict[str, Any]:
        return {"model": self.key[0], "pk": _jsonable(self.key[1]), "classification": self.classification.value,
                "tenant": {d: _jsonable(v) for d, v in self.tenant.items()} if self.tenant is not None else None,
                "depth": self.depth, "owned": self.owned, "root": self.root}


class Edge(NamedTuple):
    """``source --relation--> target``. A named tuple: millions of them hash at C speed."""

    source: NodeKey
    relation: str
    target: NodeKey

    def as_dict(self) -> dict[str, Any]:
        return {"from": key_text(self.source), "relation": self.relation, "to": key_text(self.target)}


@dataclass(frozen=True, slots=True)
class CrossTenantEdge:
    """An edge whose two ends belong to different tenants (on ``dimensions``)."""

    edge: Edge
    source_tenant: dict[str, Any]
    target_tenant: dict[str, Any]
    dimensions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.edge.as_dict(), "dimensions": list(self.dimensions),
                "from_tenant": {d: _jsonable(v) for d, v in self.source_tenant.items()},
                "to_tenant": {d: _jsonable(v) for d, v in self.target_tenant.items()}}


@dataclass(frozen=True, slots=True)
class MissingTarget:
    """A reference to a row that does not exist (a dangling FK or generic FK)."""

    source: NodeKey
    relation: str
    target_model: str
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"from": key_text(self.source), "relation": self.relation, "to_model": self.target_model,
                "value": _jsonable(self.value)}


@dataclass(slots=True)
class GraphResult:
    roots: list[NodeKey]
    reference: dict[str, Any]
    nodes: dict[NodeKey, Node] = field(default_factory=dict)
    edges: set[Edge] = field(default_factory=set)
    cross_tenant: list[CrossTenantEdge] = field(default_factory=list)
    missing: list[MissingTarget] = field(default_factory=list)
    queries: int = 0
    levels: int = 0
    #: Nodes whose relations were not followed because of the depth limit or ``max_nodes``.
    unexpanded: int = 0
    truncated: bool = False
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """Nodes per model key, largest first."""
        return dict(Counter(k[0] for k in self.nodes).most_common())

    def counts_by_classification(self) -> dict[str, dict[str, int]]:
        """``{model: {classification: n}}``."""
        out: dict[str, Counter[str]] = {}
        for node in self.nodes.values():
            out.setdefault(node.model, Counter())[node.classification.value] += 1
        return {m: dict(c) for m, c in sorted(out.items())}

    def of(self, classification: Classification) -> list[Node]:
        return [n for n in self.nodes.values() if n.classification is classification]

    def pks_by_model(self) -> dict[str, list[Any]]:
        """``{model key: [pk, ...]}`` sorted: what an object export reads."""
        out: dict[str, list[Any]] = {}
        for model, pk in self.nodes:
            out.setdefault(model, []).append(pk)
        for pks in out.values():
            pks.sort(key=lambda v: (str(type(v)), v))
        return out

    def as_dict(self, *, with_nodes: bool = False, with_edges: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roots": [key_text(k) for k in self.roots],
            "reference_tenant": {d: _jsonable(v) for d, v in self.reference.items()},
            "counts": self.counts(),
            "classification": self.counts_by_classification(),
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "cross_tenant_edges": [c.as_dict() for c in self.cross_tenant],
            "shared": {m: [_jsonable(pk) for pk in pks] for m, pks in _group(self.of(Classification.SHARED)).items()},
            "other_tenant": {m: [_jsonable(pk) for pk in pks]
                             for m, pks in _group(self.of(Classification.OTHER)).items()},
            "missing_targets": [m.as_dict() for m in self.missing],
            "queries": self.queries,
            "levels": self.levels,
            "unexpanded": self.unexpanded,
            "truncated": self.truncated,
            "seconds": round(self.seconds, 4),
        }
        if with_nodes:
            data["node_list"] = [n.as_dict() for n in self.nodes.values()]
        if with_edges:
            data["edge_list"] = [e.as_dict() for e in sorted(self.edges, key=lambda e: (key_text(e.source),
                                                                                        e.relation,
                                                                                        key_text(e.target)))]
        return data


def _group(nodes: list[Node]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for n in nodes:
        out.setdefault(n.model, []).append(n.pk)
    return {m: sorted(pks, key=lambda v: (str(type(v)), v)) for m, pks in sorted(out.items())}


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, (int, str, float, bool)) or value is None else str(value)
