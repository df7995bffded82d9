"""Loading topologies from real files: CSV edge lists, topohub node-link JSON, GraphML."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from core.graph.loaders import REVERSED_RELATIONS, TopologyError, load_topology, save_node_link
from core.graph.topology import Topology

DATA = Path(__file__).resolve().parents[2] / "data" / "topologies"


def depends(topology: Topology, a: str, b: str) -> bool:
    """Whether a depends on b (directly)."""
    i, j = topology.index[a], topology.index[b]
    return j in topology.dependencies[i] and i in topology.dependents[j]


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


# -- the three real service topologies -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "nodes", "edges"),
    [("online-boutique", 12, 16), ("sock-shop", 14, 15), ("train-ticket", 67, 157)],
)
def test_real_csv_topologies_load_as_documented(name: str, nodes: int, edges: int) -> None:
    topology = load_topology(DATA / name / "edges.csv")

    assert (len(topology), topology.edge_count) == (nodes, edges)  # SOURCES.md
    assert topology.directed
    assert topology.source.endswith("edges.csv")
    assert (DATA / name / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_csv_source_depends_on_target() -> None:
    topology = load_topology(DATA / "online-boutique" / "edges.csv")

    assert depends(topology, "checkoutservice", "cartservice")
    assert depends(topology, "cartservice", "redis-cart")
    assert not depends(topology, "redis-cart", "cartservice")
    assert topology.resolve("frontend") is not None


def test_train_ticket_keeps_its_cycles() -> None:
    topology = load_topology(DATA / "train-ticket" / "edges.csv")

    assert not nx.is_directed_acyclic_graph(topology.to_networkx())


def test_csv_undirected_override_gives_both_directions() -> None:
    topology = load_topology(DATA / "sock-shop" / "edges.csv", directed=False)

    assert not topology.directed
    assert depends(topology, "front-end", "catalogue")
    assert depends(topology, "catalogue", "front-end")
    assert topology.edge_count == 15


def test_csv_without_header_and_with_relation(tmp_path: Path) -> None:
    path = tmp_path / "deps.csv"
    path.write_text("web,api\napi,db,depends_on\nhost1,api,hosts\n\n# a comment\napi,cache\n")

    topology = load_topology(path)

    assert topology.ids == ["web", "api", "db", "host1", "cache"]
    assert depends(topology, "web", "api")
    assert depends(topology, "api", "db")
    assert depends(topology, "api", "host1")  # `host1 hosts api` reversed
    assert not depends(topology, "host1", "api")


def test_csv_header_aliases_relation_column_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "deps.tsv"
    path.write_text("from\tto\tnote\trelation\na\tb\tx\t\nc\td\ty\tRuns\n")

    topology = load_topology(path)

    assert depends(topology, "a", "b")
    assert depends(topology, "d", "c")


# -- topohub: the files as the package ships them -------------------------------------------

TOPOHUB_FILES = [
    "sndlib/geant.json",  # integer ids
    "sndlib/abilene.json",
    "topozoo/Aarnet.json",  # text ids
    "backbone/africa.json",  # `type` node attribute, no names
    "caida/2024-08/1103.json",  # large integer ids
    "gabriel/10/0.json",
]


def topohub_file(relative: str) -> Path:
    pytest.importorskip("topohub")
    path = Path(str(resources.files("topohub") / "data" / relative))
    assert path.is_file(), path
    return path


@pytest.mark.parametrize("relative", TOPOHUB_FILES)
def test_topohub_files_load_as_they_are(relative: str) -> None:
    path = topohub_file(relative)
    document = json.loads(path.read_text())
    reference = nx.node_link_graph(document, edges="edges")

    topology = load_topology(path)

    assert not topology.directed  # topohub ships undirected network links
    assert set(topology.ids) == {str(n) for n in reference.nodes}
    assert topology.edge_count == reference.number_of_edges()
    for a, b in reference.edges:
        assert depends(topology, str(a), str(b))
        assert depends(topology, str(b), str(a))
    for node, data in reference.nodes(data=True):
        attrs = topology.attrs[topology.index[str(node)]]
        longitude, latitude = data["pos"]
        assert (attrs["x"], attrs["y"]) == (float(longitude), float(latitude))
        if "name" in data:
            assert attrs["name"] == data["name"]
        if "type" in data:
            assert topology.component(topology.index[str(node)]).kind == data["type"]


def test_topohub_names_resolve_and_ints_become_text() -> None:
    topology = load_topology(topohub_file("sndlib/geant.json"))

    assert all(isinstance(i, str) for i in topology.ids)
    assert topology.ids[0] == "0"
    assert topology.resolve("at1.at") == 0
    assert topology.component(0).name == "at1.at"


def test_topohub_file_as_directed_when_asked() -> None:
    path = topohub_file("sndlib/geant.json")
    document = json.loads(path.read_text())

    topology = load_topology(path, directed=True)

    edge = document["edges"][0]
    assert depends(topology, str(edge["source"]), str(edge["target"]))
    assert not depends(topology, str(edge["target"]), str(edge["source"]))


# -- node-link JSON written by networkx ----------------------------------------------------


def sample_graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node("web", kind="service", tier="frontend", pos=[1.0, 2.0], owner="team-a")
    graph.add_node("api", kind="service", tier=2, name="API gateway", x=3, y="4.5")
    graph.add_node("db", kind="database", longitude=-3.7, latitude=40.4)
    graph.add_node("vm1", kind="host", pos="7,8")
    graph.add_edge("web", "api")
    graph.add_edge("api", "db", relation="depends_on")
    graph.add_edge("vm1", "api", relation="hosts")
    return graph


@pytest.mark.parametrize("key", ["edges", "links"])
def test_node_link_from_networkx_with_edges_or_links(tmp_path: Path, key: str) -> None:
    document = nx.node_link_data(sample_graph(), edges=key)
    assert key in document

    topology = load_topology(write_json(tmp_path / "t.json", document))

    assert topology.ids == ["web", "api", "db", "vm1"]
    assert depends(topology, "web", "api")
    assert depends(topology, "api", "db")
    assert depends(topology, "api", "vm1")  # vm1 hosts api
    assert topology.edge_count == 3
    web, api, db, vm1 = (topology.attrs[i] for i in range(4))
    assert (web["x"], web["y"], web["owner"], web["tier"]) == (1.0, 2.0, "team-a", "frontend")
    assert "pos" not in web
    assert (api["x"], api["y"], api["name"]) == (3.0, 4.5, "API gateway")
    assert (db["x"], db["y"], db["longitude"]) == (-3.7, 40.4, -3.7)
    assert (vm1["x"], vm1["y"]) == (7.0, 8.0)
    assert topology.component(1).name == "API gateway"
    assert topology.component(1).tier == "2"


def test_node_link_integer_ids_and_implicit_nodes(tmp_path: Path) -> None:
    document = {
        "directed": True,
        "nodes": [{"id": 10, "name": 7}, {"id": 20}],
        "edges": [{"source": 10, "target": 20}, {"source": "20", "target": 30}],
    }

    topology = load_topology(write_json(tmp_path / "ints.json", document))

    assert topology.ids == ["10", "20", "30"]
    assert topology.attrs[0]["name"] == "7"
    assert depends(topology, "10", "20")
    assert depends(topology, "20", "30")


def test_node_link_multigraph_parallel_edges_collapse(tmp_path: Path) -> None:
    graph = nx.MultiDiGraph()
    graph.add_edge("a", "b")
    graph.add_edge("a", "b")
    graph.add_edge("b", "b")  # self-loop: dropped
    document = nx.node_link_data(graph, edges="edges")
    assert document["multigraph"]

    topology = load_topology(write_json(tmp_path / "multi.json", document))

    assert topology.edge_count == 1
    assert topology.dependencies == [(1,), ()]


def test_node_link_undirected_gives_both_directions(tmp_path: Path) -> None:
    graph = nx.path_graph(["a", "b", "c"])

    topology = load_topology(write_json(tmp_path / "u.json", nx.node_link_data(graph)))

    assert not topology.directed
    assert topology.dependents[topology.index["b"]] == (0, 2)
    assert topology.edge_count == 2


def test_node_link_without_directed_flag_is_directed(tmp_path: Path) -> None:
    document = {"nodes": [{"id": "a"}, {"id": "b"}], "links": [{"source": "a", "target": "b"}]}

    topology = load_topology(write_json(tmp_path / "plain.json", document))

    assert topology.directed
    assert depends(topology, "a", "b")
    assert not depends(topology, "b", "a")


@pytest.mark.parametrize("relation", [*sorted(REVERSED_RELATIONS), "Hosts", "CONTAINS", " runs "])
def test_reversed_relations(tmp_path: Path, relation: str) -> None:
    document = {
        "directed": True,
        "nodes": [{"id": "h"}, {"id": "s"}],
        "edges": [{"source": "h", "target": "s", "relation": relation}],
    }

    topology = load_topology(write_json(tmp_path / "r.json", document))

    assert depends(topology, "s", "h")
    assert not depends(topology, "h", "s")


@pytest.mark.parametrize("relation", ["depends_on", "Depends-On", "calls", "http", None])
def test_forward_relations(tmp_path: Path, relation: str | None) -> None:
    edge: dict[str, Any] = {"source": "a", "target": "b"}
    if relation is not None:
        edge["relation"] = relation
    document = {"directed": True, "nodes": [], "edges": [edge]}

    topology = load_topology(write_json(tmp_path / "f.json", document))

    assert depends(topology, "a", "b")
    assert not depends(topology, "b", "a")


def test_gzip_node_link(tmp_path: Path) -> None:
    path = tmp_path / "t.json.gz"
    path.write_bytes(gzip.compress(json.dumps(nx.node_link_data(sample_graph())).encode()))

    topology = load_topology(path)

    assert len(topology) == 4
    assert depends(topology, "api", "vm1")


def test_byte_order_mark_is_tolerated(tmp_path: Path) -> None:
    as_json = tmp_path / "bom.json"
    as_json.write_bytes(b"\xef\xbb\xbf" + json.dumps(nx.node_link_data(sample_graph())).encode())
    as_csv = tmp_path / "bom.csv"
    as_csv.write_bytes(b"\xef\xbb\xbfsource,target\nx,y\n")

    assert len(load_topology(as_json)) == 4
    assert load_topology(as_csv).ids == ["x", "y"]


def test_content_detection_without_suffix(tmp_path: Path) -> None:
    as_json = write_json(tmp_path / "topology", nx.node_link_data(sample_graph()))
    as_csv = tmp_path / "edges"
    as_csv.write_text("source,target\nx,y\n")
    as_graphml = tmp_path / "graph"
    nx.write_graphml(sample_graph_for_graphml(), as_graphml)

    assert len(load_topology(as_json)) == 4
    assert depends(load_topology(as_csv), "x", "y")
    assert depends(load_topology(as_graphml), "web", "api")
    assert depends(load_topology(as_csv, fmt="csv"), "x", "y")


# -- GraphML written by networkx -----------------------------------------------------------


def sample_graph_for_graphml() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node("web", kind="service", tier=1, x=1.5, y=2.5, owner="team-a")
    graph.add_node("api", kind="service", name="API", Longitude=13.4, Latitude=52.5)
    graph.add_node("vm1", kind="host")
    graph.add_edge("web", "api", relation="depends_on", protocol="http")
    graph.add_edge("vm1", "api", relation="hosts")
    return graph


def test_graphml_directed_keeps_attributes(tmp_path: Path) -> None:
    path = tmp_path / "t.graphml"
    nx.write_graphml(sample_graph_for_graphml(), path)

    topology = load_topology(path)

    assert topology.directed
    assert topology.ids == ["web", "api", "vm1"]
    assert depends(topology, "web", "api")
    assert depends(topology, "api", "vm1")
    web, api, _ = topology.attrs
    assert (web["x"], web["y"], web["tier"], web["owner"]) == (1.5, 2.5, 1, "team-a")
    assert (api["x"], api["y"], api["name"]) == (13.4, 52.5, "API")
    assert topology.component(2).kind == "host"


def test_graphml_undirected_edgedefault(tmp_path: Path) -> None:
    path = tmp_path / "u.graphml"
    nx.write_graphml(nx.cycle_graph(4), path)

    topology = load_topology(path)

    assert not topology.directed
    assert topology.edge_count == 4
    assert depends(topology, "0", "1")
    assert depends(topology, "1", "0")
    assert load_topology(path, directed=True).directed


# -- save_node_link ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["out.json", "out.json.gz"])
def test_save_and_load_round_trip(tmp_path: Path, name: str) -> None:
    original = load_topology(write_json(tmp_path / "in.json", nx.node_link_data(sample_graph())))
    path = tmp_path / name

    save_node_link(original, path)
    loaded = load_topology(path)

    assert loaded.ids == original.ids
    assert loaded.attrs == original.attrs
    assert loaded.dependencies == original.dependencies
    assert loaded.dependents == original.dependents
    assert loaded.directed
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    document = json.loads(
        gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    )
    assert set(document) >= {"directed", "nodes", "edges"}
    assert document["nodes"][0] == {
        "id": "web",
        "kind": "service",
        "tier": "frontend",
        "owner": "team-a",
        "x": 1.0,
        "y": 2.0,
    }


def test_save_round_trip_undirected(tmp_path: Path) -> None:
    original = load_topology(topohub_file("topozoo/Aarnet.json"))
    path = tmp_path / "aarnet.json"

    save_node_link(original, path)
    loaded = load_topology(path)

    assert not loaded.directed
    assert loaded.edge_count == original.edge_count
    assert loaded.dependencies == original.dependencies
    assert loaded.attrs == original.attrs


def test_failed_save_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text("old")
    topology = Topology.from_edges(["a"], [], attrs={"a": {"bad": object()}})

    with pytest.raises(TopologyError, match="cannot be written"):
        save_node_link(topology, path)

    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


# -- errors: always TopologyError, saying where and what -------------------------------------


def error_for(path: Path, **kwargs: Any) -> str:
    with pytest.raises(TopologyError) as caught:
        load_topology(path, **kwargs)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_error_missing_file_and_directory(tmp_path: Path) -> None:
    assert "cannot read" in error_for(tmp_path / "nope.json")
    assert "cannot read" in error_for(tmp_path)


def test_error_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("  \n")
    assert "empty" in error_for(path)


def test_error_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"nodes": [\n  {"id": "a"},\n  {"id": }\n]}')
    message = error_for(path)
    assert "not valid JSON" in message
    assert "line 3" in message


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([1, 2], "expected a JSON object"),
        ({"edges": []}, "no 'nodes' list"),
        ({"nodes": []}, "no 'edges' or 'links' list"),
        ({"nodes": [{"name": "a"}], "edges": []}, "nodes[0]: expected an object with an 'id'"),
        ({"nodes": ["a"], "edges": []}, "nodes[0]"),
        ({"nodes": [{"id": "a"}, {"id": [1]}], "edges": []}, "nodes[1]: a node id"),
        ({"nodes": [{"id": ""}], "edges": []}, "nodes[0]: empty node id"),
        ({"nodes": [{"id": True}], "edges": []}, "nodes[0]: a node id"),
        ({"nodes": [{"id": "a"}], "edges": [{"source": "a"}]}, "edges[0]: expected an object"),
        ({"nodes": [{"id": "a"}], "links": ["a-b"]}, "links[0]: expected an object"),
        ({"nodes": [], "edges": [{"source": "a", "target": None}]}, "edges[0]: a node id"),
        ({"nodes": [], "edges": []}, "no nodes"),
        ({"directed": "yes", "nodes": [], "edges": []}, "'directed' must be true or false"),
        ({"nodes": [{"id": "a", "pos": [1]}], "edges": []}, "nodes[0]: 'pos' must be"),
        ({"nodes": [{"id": "a", "pos": "north"}], "edges": []}, "nodes[0]: 'pos' must be"),
        ({"nodes": [{"id": "a", "x": 1}], "edges": []}, "nodes[0]: has one of 'x'/'y'"),
        ({"nodes": [{"id": "a", "x": "w", "y": 1}], "edges": []}, "'x' is not a finite number"),
        ({"nodes": [{"id": "a", "x": 1, "y": True}], "edges": []}, "'y' is not a finite"),
        ({"nodes": [{"id": "a", "lon": 1, "lat": "NaN"}], "edges": []}, "'lat' is not a finite"),
    ],
)
def test_error_bad_node_link(tmp_path: Path, document: Any, expected: str) -> None:
    assert expected in error_for(write_json(tmp_path / "t.json", document))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "source,callee\na,b\n",
            "line 1: the header has no 'target' column (columns: source, callee)",
        ),
        ("target,relation\na,b\n", "line 1: the header has no 'source' column"),
        ("a,b\nc\n", "line 2: expected 2 or 3 columns"),
        ("a,b\nc,d,e,f\n", "line 2: expected 2 or 3 columns"),
        ("source,target\n\na,b\nc\n", "line 4: expected at least 2 columns"),
        ("a,b\n ,d\n", "line 2: empty source or target"),
        ("source,target\n", "no edges"),
        ('a,b\n"c,d\n', "bad CSV"),
    ],
)
def test_error_bad_csv(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(text)
    assert expected in error_for(path)


def test_error_csv_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n\xff\xfe,c\n")
    assert "not UTF-8" in error_for(path)


def test_error_damaged_gzip(tmp_path: Path) -> None:
    path = tmp_path / "t.json.gz"
    path.write_bytes(gzip.compress(b'{"nodes": []}')[:12])
    assert "damaged gzip" in error_for(path)


def test_error_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01\x02 binary")
    assert "unknown topology format" in error_for(path)
    csv_path = tmp_path / "t.csv"
    csv_path.write_text("a,b\n")
    assert "unknown topology format 'yaml'" in error_for(csv_path, fmt="yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '<?xml version="1.0"?>\n<graphml><graph edgedefault="directed">\n<node id="a">'
            "</graph></graphml>",
            "not valid XML: line 3",
        ),
        ('<?xml version="1.0"?>\n<root/>', "not usable GraphML"),
        (
            '<?xml version="1.0"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
            '<key id="d0" for="node" attr.name="tier" attr.type="int"/>'
            '<graph edgedefault="directed"><node id="a"><data key="d0">top</data></node>'
            "</graph></graphml>",
            "not usable GraphML",
        ),
    ],
)
def test_error_bad_graphml(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "t.graphml"
    path.write_text(text)
    assert expected in error_for(path)


def test_error_wrong_suffix_is_reported_as_the_suffix_format(tmp_path: Path) -> None:
    path = tmp_path / "edges.json"
    path.write_text("source,target\na,b\n")
    assert "not valid JSON: line 1" in error_for(path)


def test_topology_error_is_a_value_error() -> None:
    assert issubclass(TopologyError, ValueError)
