"""Topology files: networkx node-link JSON, GraphML and CSV edge lists.

`load_topology` reads any of them into a `Topology`; every problem with the
file (unreadable, malformed, missing columns, unknown format) is a
`TopologyError` naming the file, the line or element and what is wrong,
never a traceback.

Formats, detected by suffix (`.json`, `.graphml`/`.xml`, `.csv`/`.tsv`/`.txt`,
each optionally `.gz`) and otherwise by content:

- node-link JSON (`nodes` plus `edges` or `links`), as `nx.node_link_data`
  writes it and as the `topohub` package ships it. Node ids may be numbers or
  text; they become text. `directed` is honoured; a file without the flag is
  read as directed, since a hand-written dependency list usually is.
  `multigraph` files load, with parallel edges collapsed.
- GraphML via networkx; `edgedefault` is honoured.
- CSV edge list with a header naming `source` and `target` (also `from`/`to`,
  `src`/`dst`) and optionally `relation`, other columns ignored; or without a
  header, two or three columns `source,target[,relation]`. Directed.

Edge direction (DESIGN.md 3.1): `A -> B` means A depends on B, so a failure of
B impacts A. That holds for relation `depends_on` (the default) and for any
relation not listed below. The relations in `REVERSED_RELATIONS` read the
other way round: `H hosts S`, `H runs S`, `H serves S`, `H contains S`,
`H provides S`, `H powers S`, `H feeds S` all mean S depends on H. An
undirected graph (network links) is a dependency in both directions, and the
`directed` argument of `load_topology` overrides what the file says.

Node attributes: `name`, `kind` and `tier` are kept (`kind` falls back to
`type`, which topohub uses for e.g. "Seacable Waypoint"); a position becomes
floats `attrs["x"]`, `attrs["y"]`, taken from `x`/`y`, from `pos` (`[x, y]` or
"x,y"; topohub writes `pos: [longitude, latitude]`) or from longitude/latitude
keys (x = longitude, y = latitude); everything else is kept as details.
Edge attributes other than the relation are not kept: `Topology` has no
place for them.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from core.graph.topology import Topology

__all__ = ["REVERSED_RELATIONS", "TopologyError", "load_topology", "save_node_link"]

REVERSED_RELATIONS = frozenset(
    {"hosts", "runs", "serves", "contains", "provides", "powers", "feeds"}
)
"""Relations `A rel B` that mean B depends on A (the edge is read reversed)."""

_FORMATS = {
    "node-link": "node-link",
    "node_link": "node-link",
    "nodelink": "node-link",
    "json": "node-link",
    "graphml": "graphml",
    "xml": "graphml",
    "csv": "csv",
    "tsv": "csv",
    "txt": "csv",
}
_SOURCE_COLUMNS = ("source", "src", "from")
_TARGET_COLUMNS = ("target", "dst", "dest", "to")
_RELATION_COLUMNS = ("relation", "rel")
_HEADER_WORDS = frozenset(_SOURCE_COLUMNS + _TARGET_COLUMNS + _RELATION_COLUMNS)
_LONGITUDE_KEYS = ("longitude", "Longitude", "lon", "Lon", "lng", "long")
_LATITUDE_KEYS = ("latitude", "Latitude", "lat", "Lat")


class TopologyError(ValueError):
    """A topology file that cannot be used; the message says where and why."""


def load_topology(
    path: str | Path, *, fmt: str | None = None, directed: bool | None = None
) -> Topology:
    """Read a topology file (node-link JSON, GraphML or CSV, optionally gzip'd).

    `fmt` forces a format ("node-link"/"json", "graphml", "csv") instead of
    detecting it; `directed` overrides the file's own directedness.
    """
    path = Path(path)
    where = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TopologyError(f"{where}: cannot read: {exc.strerror or exc}") from exc
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise TopologyError(f"{where}: damaged gzip data: {exc}") from exc
    if not data or data.isspace():
        raise TopologyError(f"{where}: the file is empty")
    kind = _format_of(path, data, fmt)
    if kind == "node-link":
        return _load_node_link(data, where, directed)
    if kind == "graphml":
        return _load_graphml(data, where, directed)
    return _load_csv(
        data, where, directed, tab=path.name.lower().removesuffix(".gz").endswith(".tsv")
    )


def save_node_link(topology: Topology, path: str | Path) -> None:
    """Write node-link JSON (`edges` key, attributes and positions) atomically.

    Each edge is written as `{"source": dependent, "target": dependency}`; an
    undirected topology writes each link once with `"directed": false`. A
    `.gz` suffix compresses. The file appears complete or not at all.
    """
    import msgspec

    path = Path(path)
    directed = topology.directed
    edges = [
        {"source": topology.ids[i], "target": topology.ids[j]}
        for i, deps in enumerate(topology.dependencies)
        for j in deps
        if directed or i < j
    ]
    nodes = [
        {"id": node_id, **{k: v for k, v in attrs.items() if k != "id"}}
        for node_id, attrs in zip(topology.ids, topology.attrs, strict=True)
    ]
    document: dict[str, Any] = {
        "directed": directed,
        "multigraph": False,
        "graph": {},
        "nodes": nodes,
        "edges": edges,
    }
    try:
        payload = msgspec.json.encode(document)
    except (TypeError, msgspec.EncodeError) as exc:
        raise TopologyError(f"{path}: a node attribute cannot be written as JSON: {exc}") from exc
    if path.name.endswith(".gz"):
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        Path(tmp).chmod(0o644)  # mkstemp creates 0600; a topology is not a secret
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- format detection ---------------------------------------------------------------------


def _format_of(path: Path, data: bytes, fmt: str | None) -> str:
    if fmt is not None:
        kind = _FORMATS.get(fmt.strip().lower())
        if kind is None:
            known = ", ".join(sorted({"node-link", "json", "graphml", "csv"}))
            raise TopologyError(f"{path}: unknown topology format {fmt!r} (known: {known})")
        return kind
    for suffix in reversed(path.suffixes):
        if suffix.lower() == ".gz":
            continue
        kind = _FORMATS.get(suffix.lower().lstrip("."))
        if kind is not None:
            return kind
        break
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"{", b"["):
        return "node-link"
    if head[:1] == b"<":
        return "graphml"
    first_line = head.split(b"\n", 1)[0]
    if b"\x00" not in head and any(sep in first_line for sep in (b",", b"\t", b";")):
        return "csv"
    raise TopologyError(
        f"{path}: unknown topology format (expected node-link JSON, GraphML or a CSV edge list)"
    )


# -- node-link JSON -----------------------------------------------------------------------


def _load_node_link(data: bytes, where: str, directed: bool | None) -> Topology:
    import msgspec

    if data.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark, as some editors write
        data = data[3:]
    try:
        document = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise TopologyError(f"{where}: not valid JSON: {_json_error_place(data, exc)}") from exc
    if not isinstance(document, dict):
        raise TopologyError(f"{where}: expected a JSON object with 'nodes' and 'edges'")
    nodes = document.get("nodes")
    if not isinstance(nodes, list):
        raise TopologyError(f"{where}: no 'nodes' list (not node-link JSON?)")
    key = "edges" if "edges" in document else "links"
    edges = document.get(key)
    if not isinstance(edges, list):
        raise TopologyError(f"{where}: no 'edges' or 'links' list (not node-link JSON?)")
    flag = document.get("directed", True)
    if not isinstance(flag, bool):
        raise TopologyError(f"{where}: 'directed' must be true or false, not {flag!r}")
    builder = _Builder(where)
    for number, node in enumerate(nodes):
        if not isinstance(node, dict) or "id" not in node:
            raise TopologyError(f"{where}: nodes[{number}]: expected an object with an 'id'")
        attrs = dict(node)
        builder.add_node(attrs.pop("id"), attrs, f"nodes[{number}]")
    # The hot loop of a large file (300k edges): one dict lookup per endpoint,
    # validation and implicit nodes only on the slow path.
    lookup, dependent, dependency = builder.lookup, builder.dependent, builder.dependency
    reversed_relations = REVERSED_RELATIONS
    for number, edge in enumerate(edges):
        try:
            a = lookup[edge["source"]]
            b = lookup[edge["target"]]
        except (KeyError, TypeError, IndexError):
            if not isinstance(edge, dict) or "source" not in edge or "target" not in edge:
                raise TopologyError(
                    f"{where}: {key}[{number}]: expected an object with 'source' and 'target'"
                ) from None
            a = builder.node(edge["source"], f"{key}[{number}]")
            b = builder.node(edge["target"], f"{key}[{number}]")
        relation = edge.get("relation")
        if relation is not None and _relation(relation) in reversed_relations:
            a, b = b, a
        dependent.append(a)
        dependency.append(b)
    return builder.build(flag if directed is None else directed)


def _json_error_place(data: bytes, exc: Exception) -> str:
    """Line and column of a JSON syntax error (msgspec only reports the byte)."""
    import json

    try:
        json.loads(data)
    except json.JSONDecodeError as std:
        return f"line {std.lineno}, column {std.colno}: {std.msg}"
    except (UnicodeDecodeError, RecursionError):
        pass
    return str(exc)


# -- GraphML ------------------------------------------------------------------------------


def _load_graphml(data: bytes, where: str, directed: bool | None) -> Topology:
    from xml.etree.ElementTree import ParseError

    import networkx as nx

    try:
        graph = nx.read_graphml(io.BytesIO(data))
    except ParseError as exc:
        line, column = exc.position
        raise TopologyError(f"{where}: not valid XML: line {line}, column {column}") from exc
    except (nx.NetworkXError, KeyError, ValueError, TypeError) as exc:
        raise TopologyError(f"{where}: not usable GraphML: {exc}") from exc
    builder = _Builder(where)
    for node_id, attrs in graph.nodes(data=True):
        builder.add_node(node_id, dict(attrs), f"node {node_id!r}")
    for a, b, relation in graph.edges(data="relation"):
        builder.add_edge(a, b, relation, f"edge {a!r} -> {b!r}")
    return builder.build(graph.is_directed() if directed is None else directed)


# -- CSV edge list ------------------------------------------------------------------------


def _load_csv(data: bytes, where: str, directed: bool | None, *, tab: bool) -> Topology:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TopologyError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    rows = _csv_rows(text, where, tab=tab)
    builder = _Builder(where)
    first = next(rows, None)
    if first is None:
        raise TopologyError(f"{where}: no edges")
    line, cells = first
    names = [cell.strip().lower() for cell in cells]
    header = bool(_HEADER_WORDS.intersection(names))
    if header:
        source_col = _column(names, _SOURCE_COLUMNS, "source", where, line)
        target_col = _column(names, _TARGET_COLUMNS, "target", where, line)
        relation_col = next((names.index(c) for c in _RELATION_COLUMNS if c in names), None)
    else:
        source_col, target_col, relation_col = 0, 1, 2
        rows = _chain(first, rows)
    needed = max(source_col, target_col) + 1
    for line, cells in rows:
        if not header and len(cells) not in (2, 3):
            raise TopologyError(
                f"{where}: line {line}: expected 2 or 3 columns (source,target[,relation]), "
                f"found {len(cells)}"
            )
        if len(cells) < needed:
            raise TopologyError(
                f"{where}: line {line}: expected at least {needed} columns, found {len(cells)}"
            )
        source, target = cells[source_col].strip(), cells[target_col].strip()
        if not source or not target:
            raise TopologyError(f"{where}: line {line}: empty source or target")
        relation = (
            cells[relation_col].strip()
            if relation_col is not None and relation_col < len(cells)
            else None
        )
        builder.add_edge(source, target, relation or None, f"line {line}")
    if not builder.dependent:
        raise TopologyError(f"{where}: no edges")
    return builder.build(True if directed is None else directed)


def _csv_rows(text: str, where: str, *, tab: bool) -> Iterator[tuple[int, list[str]]]:
    """Non-empty, non-comment rows with their line numbers."""
    first_line = next((ln for ln in io.StringIO(text) if ln.strip()), "")
    delimiter = ","
    if tab or ("\t" in first_line and "," not in first_line):
        delimiter = "\t"
    elif ";" in first_line and "," not in first_line:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for cells in reader:
            if not cells or not "".join(cells).strip() or cells[0].lstrip().startswith("#"):
                continue
            yield reader.line_num, cells
    except csv.Error as exc:
        raise TopologyError(f"{where}: line {reader.line_num}: bad CSV: {exc}") from exc


def _chain(
    first: tuple[int, list[str]], rest: Iterator[tuple[int, list[str]]]
) -> Iterator[tuple[int, list[str]]]:
    yield first
    yield from rest


def _column(names: list[str], accepted: Iterable[str], what: str, where: str, line: int) -> int:
    for name in accepted:
        if name in names:
            return names.index(name)
    raise TopologyError(
        f"{where}: line {line}: the header has no {what!r} column (columns: {', '.join(names)})"
    )


# -- shared -------------------------------------------------------------------------------


class _Builder:
    """Collects nodes and edges as indices, then builds a `Topology` in one go."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.ids: list[str] = []
        self.attrs: list[dict[str, Any]] = []
        # Raw ids (int or str) and their text both map to the node index, so
        # the edge loop usually needs one dict lookup per endpoint.
        self.lookup: dict[object, int] = {}
        self.dependent: list[int] = []
        self.dependency: list[int] = []

    def add_node(self, raw: object, attrs: dict[str, Any], element: str) -> None:
        text = _id_text(raw, self.where, element)
        i = self.lookup.get(text)
        normalised = _normalise_attrs(attrs, self.where, element)
        if i is None:
            self.lookup[text] = len(self.ids)
            self.ids.append(text)
            self.attrs.append(normalised)
            i = len(self.ids) - 1
        else:  # a repeated id updates the node, as networkx does
            self.attrs[i].update(normalised)
        if type(raw) is not str:
            self.lookup[raw] = i

    def node(self, raw: object, element: str) -> int:
        try:
            return self.lookup[raw]
        except (KeyError, TypeError):
            pass
        text = _id_text(raw, self.where, element)
        i = self.lookup.get(text)
        if i is None:  # named only by an edge: added, as networkx does
            i = self.lookup[text] = len(self.ids)
            self.ids.append(text)
            self.attrs.append({})
        return i

    def add_edge(self, source: object, target: object, relation: object, element: str) -> None:
        a = self.node(source, element)
        b = self.node(target, element)
        if relation is not None and _relation(relation) in REVERSED_RELATIONS:
            a, b = b, a
        self.dependent.append(a)
        self.dependency.append(b)

    def build(self, directed: bool) -> Topology:
        if not self.ids:
            raise TopologyError(f"{self.where}: the topology has no nodes")
        return Topology.from_index_pairs(
            self.ids,
            self.attrs,
            self.dependent,
            self.dependency,
            directed=directed,
            source=self.where,
        )


def _id_text(raw: object, where: str, element: str) -> str:
    if type(raw) is str:
        if not raw:
            raise TopologyError(f"{where}: {element}: empty node id")
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    raise TopologyError(f"{where}: {element}: a node id must be text or a number, not {raw!r}")


def _relation(value: object) -> str:
    return str(value).strip().lower().replace("-", "_").replace(" ", "_")


def _normalise_attrs(attrs: dict[str, Any], where: str, element: str) -> dict[str, Any]:
    """Apply the attribute conventions of the module docstring to one node, in place."""
    name = attrs.get("name")
    if name is None:
        attrs.pop("name", None)
    elif not isinstance(name, str):
        attrs["name"] = str(name)
    if "kind" not in attrs and isinstance(attrs.get("type"), str):
        attrs["kind"] = attrs["type"]
    if "x" in attrs or "y" in attrs:
        if "x" not in attrs or "y" not in attrs:
            raise TopologyError(f"{where}: {element}: has one of 'x'/'y' but not the other")
        attrs["x"] = _coordinate(attrs["x"], "x", where, element)
        attrs["y"] = _coordinate(attrs["y"], "y", where, element)
    elif "pos" in attrs:
        x, y = _pos(attrs.pop("pos"), where, element)
        attrs["x"], attrs["y"] = x, y
    else:
        lon = next((k for k in _LONGITUDE_KEYS if k in attrs), None)
        lat = next((k for k in _LATITUDE_KEYS if k in attrs), None)
        if lon is not None and lat is not None:
            attrs["x"] = _coordinate(attrs[lon], lon, where, element)
            attrs["y"] = _coordinate(attrs[lat], lat, where, element)
    return attrs


def _pos(value: object, where: str, element: str) -> tuple[float, float]:
    parts: list[object]
    if isinstance(value, str):
        parts = [p for p in value.strip().strip("()[]").replace(",", " ").split() if p]
    elif isinstance(value, list | tuple):
        parts = list(value)
    else:
        parts = []
    if len(parts) != 2:
        raise TopologyError(f"{where}: {element}: 'pos' must be [x, y] or \"x,y\", not {value!r}")
    return (
        _coordinate(parts[0], "pos", where, element),
        _coordinate(parts[1], "pos", where, element),
    )


def _coordinate(value: object, key: str, where: str, element: str) -> float:
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise TopologyError(f"{where}: {element}: {key!r} is not a finite number: {value!r}")
    return number
