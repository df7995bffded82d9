"""Topology from Neo4j: stream the configured Cypher query into a `Topology`.

Rows are read as they arrive (a large graph streams, with `progress(done,
total)` every few thousand rows; total is 0 when unknown) and built exactly
as topology files are (`core.graph.loaders`): ids become text, `name`, `kind`
and `tier` are kept, positions from `x`/`y`, `pos` or longitude/latitude (a
Neo4j point works too), anything else is kept as details.

Rows the query may return, mixed freely (e.g. with UNION):
- node rows: `id` (required), `props` (a map of node properties),
  `depends_on` (ids this node depends on), and optionally `name`, `kind`,
  `tier` columns;
- edge rows: `source`, `target` (source depends on target) and optionally
  `relation` (`hosts`, `runs`, ... read reversed, as in files).

The default query reads `(:Component {id})` nodes and `[:DEPENDS_ON]`
relationships, `(a)-[:DEPENDS_ON]->(b)` meaning a depends on b.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core.graph.loaders import TopologyError, _Builder
from core.graph.topology import Topology
from core.stores.neo4j_store import Neo4jConfig, Neo4jError, Neo4jStore

Progress = Callable[[int, int], None]
PROGRESS_EVERY = 2_000
_NODE_COLUMNS = ("name", "kind", "tier")
_POSITION_KEYS = ("pos", "position", "location", "coordinates")


@dataclass(frozen=True, slots=True)
class BoltTopology:
    """A topology read from Neo4j, and what was left out."""

    topology: Topology
    rows: int
    skipped: int
    """Rows with neither an `id` nor a `source`/`target` (or a null one)."""


def load_neo4j_topology(
    store: Neo4jStore,
    *,
    directed: bool = True,
    progress: Progress | None = None,
) -> BoltTopology:
    """Run the configured query (with its parameters) and build the topology.

    Raises Neo4jError when the server cannot be reached or refuses the query,
    TopologyError when the rows make no usable topology.
    """
    config = store.config
    where = _where(config)
    total = _expected_rows(store) if progress is not None else 0
    builder = _Builder(where)
    rows = skipped = 0
    for record in store.records(config.cypher, config.params):
        rows += 1
        if not _add_row(builder, record, rows):
            skipped += 1
        if progress is not None and rows % PROGRESS_EVERY == 0:
            progress(rows, max(total, rows) if total else 0)
    if progress is not None:
        progress(rows, rows)
    if not builder.ids:
        raise TopologyError(f"{where}: the query returned no components")
    return BoltTopology(builder.build(directed), rows, skipped)


def _where(config: Neo4jConfig) -> str:
    database = f"/{config.database}" if config.database else ""
    return f"{config.uri}{database}"


def _expected_rows(store: Neo4jStore) -> int:
    query = store.config.cypher_count
    if not query:
        return 0
    records = store.records(query, store.config.params)
    try:
        first = next(records, None)
    except Neo4jError:
        return 0  # progress only: the load itself reports what is wrong
    finally:
        records.close()
    value = first.get("total") if first is not None else None
    return int(value) if isinstance(value, int | float) else 0


def _add_row(builder: _Builder, record: Mapping[str, Any], number: int) -> bool:
    keys = record.keys()
    element = f"row {number}"
    if "id" in keys and record["id"] is not None:
        node_id = record["id"]
        attrs: dict[str, Any] = {}
        props = record.get("props") if "props" in keys else None
        if isinstance(props, Mapping):
            attrs.update(_properties(props))
        elif props is not None and hasattr(props, "items"):  # a Node returned as `props`
            attrs.update(_properties(dict(props.items())))
        attrs.pop("id", None)
        for column in _NODE_COLUMNS:
            if column in keys and record[column] is not None:
                attrs[column] = _value(record[column])
        builder.add_node(node_id, attrs, element)
        depends_on = record.get("depends_on") if "depends_on" in keys else None
        if isinstance(depends_on, list | tuple):
            for dependency in depends_on:
                if dependency is not None:
                    builder.add_edge(node_id, dependency, None, element)
        return True
    if "source" in keys and "target" in keys:
        source, target = record["source"], record["target"]
        if source is None or target is None:
            return False
        relation = record.get("relation") if "relation" in keys else None
        builder.add_edge(source, target, relation, element)
        return True
    if number == 1 and not ({"id", "source"} & set(keys)):
        raise TopologyError(
            f"{builder.where}: the query returns columns {', '.join(keys) or 'none'}; "
            "expected `id` (node rows) or `source` and `target` (edge rows)"
        )
    return False


def _properties(props: Mapping[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    for key, raw in props.items():
        value = _value(raw)
        if value is None:
            continue
        if key in _POSITION_KEYS and _is_point(raw):
            attrs.setdefault("pos", value)
        else:
            attrs[str(key)] = value
    return attrs


def _is_point(value: Any) -> bool:
    from neo4j.spatial import Point

    return isinstance(value, Point)


def _value(value: Any) -> Any:
    """A Neo4j value as plain JSON-able Python (points as [x, y], times as ISO text)."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _value(v) for k, v in value.items()}
    if _is_point(value):
        return [float(value[0]), float(value[1])]
    iso = getattr(value, "iso_format", None)
    if callable(iso):
        return str(iso())
    if isinstance(value, bytes | bytearray):
        return value.hex()
    return str(value)
