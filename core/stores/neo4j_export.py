"""Seed Neo4j from a topology file: idempotent MERGE in batches (`watchfloor topology export`).

Components become `(:Component {id})` nodes (label configurable) with their
attributes as properties; dependencies become `(a)-[:DEPENDS_ON]->(b)` (a
depends on b). An undirected topology's links are written both ways, so
reading it back with the default query gives the same dependencies. Running
the export twice leaves the store as after once: nodes and relationships are
MERGEd on the id, properties overwritten. Nothing is deleted.

Every value is a query parameter (`UNWIND $rows`); the label and relationship
type are validated identifiers (`core.stores.neo4j_store.identifier`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core.graph.topology import Topology
from core.stores.neo4j_store import Neo4jStore, identifier

T = TypeVar("T")
DEFAULT_BATCH_BYTES = 3_500
"""Parameters per query: FalkorDB's Bolt endpoint crashes on messages over ~4 KiB;
Neo4j takes megabytes (raise it there for fewer round trips)."""
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ExportResult:
    """What an export wrote (and what the store says it created)."""

    components: int
    dependencies: int
    nodes_created: int
    relationships_created: int


def node_properties(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes as Neo4j can store them: scalars and lists of one scalar type.

    Maps and mixed lists are stored as JSON text; None is left out (Neo4j
    removes a property set to null).
    """
    props: dict[str, Any] = {}
    for key, value in attrs.items():
        if key == "id" or value is None:
            continue
        if isinstance(value, str | bool | int | float):
            props[str(key)] = value
        elif isinstance(value, list | tuple) and _homogeneous(value):
            props[str(key)] = list(value)
        else:
            props[str(key)] = json.dumps(value, sort_keys=True, default=str)
    return props


def _homogeneous(values: Sequence[Any]) -> bool:
    kinds = {type(v) for v in values}
    return len(kinds) <= 1 and kinds <= {str, bool, int, float}


def export_topology(
    store: Neo4jStore,
    topology: Topology,
    *,
    batch_size: int = 1_000,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    progress: Progress | None = None,
) -> ExportResult:
    """Write every component and dependency of `topology` into the store.

    A batch holds at most `batch_size` rows and about `batch_bytes` of
    parameters (a single larger row goes alone).
    """
    config = store.config
    label = identifier(config.label, "label")
    rel = identifier(config.relationship, "relationship type")
    _ensure_index(store, label)
    merge_nodes = f"UNWIND $rows AS row MERGE (n:{label} {{id: row.id}}) SET n += row.props"
    merge_edges = (
        f"UNWIND $rows AS row MATCH (a:{label} {{id: row.source}}) "
        f"MATCH (b:{label} {{id: row.target}}) MERGE (a)-[:{rel}]->(b)"
    )
    nodes: list[dict[str, Any]] = [
        {"id": node_id, "props": node_properties(attrs)}
        for node_id, attrs in zip(topology.ids, topology.attrs, strict=True)
    ]
    ids = topology.ids
    # `dependencies` already holds both directions for an undirected topology.
    edges: list[dict[str, Any]] = [
        {"source": ids[i], "target": ids[j]}
        for i, deps in enumerate(topology.dependencies)
        for j in deps
    ]
    nodes_created = relationships_created = 0
    for done, batch in _batches(nodes, batch_size, batch_bytes - len(merge_nodes)):
        nodes_created += store.run(merge_nodes, {"rows": batch})["nodes_created"]
        if progress is not None:
            progress("components", done, len(nodes))
    for done, batch in _batches(edges, batch_size, batch_bytes - len(merge_edges)):
        counters = store.run(merge_edges, {"rows": batch})
        relationships_created += counters["relationships_created"]
        if progress is not None:
            progress("dependencies", done, len(edges))
    return ExportResult(len(nodes), len(edges), nodes_created, relationships_created)


def _ensure_index(store: Neo4jStore, label: str) -> None:
    """An index on the id keeps MERGE and MATCH by id fast; best effort, servers differ."""
    from core.stores.neo4j_store import Neo4jError

    for statement in (
        f"CREATE INDEX IF NOT EXISTS FOR (n:{label}) ON (n.id)",  # Neo4j 4.4+
        f"CREATE INDEX FOR (n:{label}) ON (n.id)",  # FalkorDB, Memgraph-likes
    ):
        try:
            store.run(statement)
            return
        except Neo4jError:
            continue  # unsupported syntax, or the index exists already


def _batches(items: list[T], rows: int, budget: int) -> Iterator[tuple[int, list[T]]]:
    """Consecutive batches of at most `rows` items and about `budget` bytes (as JSON)."""
    import msgspec

    encode = msgspec.json.encode
    batch: list[T] = []
    used = 0
    for done, item in enumerate(items):
        size = len(encode(item)) + 1
        if batch and (len(batch) >= rows or used + size > budget):
            yield done, batch
            batch, used = [], 0
        batch.append(item)
        used += size
    if batch:
        yield len(items), batch
