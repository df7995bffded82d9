"""`watchfloor topology export|show`: seed Neo4j from a file, or read a topology back.

    watchfloor topology export --topology FILE --to bolt://host:7687 [--user U]
    watchfloor topology show --from bolt://host:7687 [--user U] [--query Q]

The password comes from `--password-file` or WATCHFLOOR_NEO4J_PASSWORD /
NEO4J_PASSWORD, never from the command line (it would show in `ps`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from core.stores.neo4j_export import DEFAULT_BATCH_BYTES
from core.stores.neo4j_store import DEFAULT_LABEL, DEFAULT_RELATIONSHIP, PASSWORD_ENV

if TYPE_CHECKING:
    from core.cli import Subparsers
    from core.stores.neo4j_store import Neo4jConfig


def register(commands: Subparsers) -> None:
    topology = commands.add_parser(
        "topology",
        help="move topologies between files and Neo4j",
        description="Export a topology file into Neo4j, or read a topology from Neo4j.",
    )
    actions = topology.add_subparsers(dest="topology_command", metavar="ACTION", required=True)

    export = actions.add_parser(
        "export",
        help="write a topology file into Neo4j (idempotent MERGE)",
        description=(
            "Write every component as a node (MERGE on `id`, attributes as properties) and "
            "every dependency as a relationship, (a)-[:DEPENDS_ON]->(b) meaning a depends on "
            "b. Running it again changes nothing; nothing is deleted."
        ),
    )
    export.add_argument(
        "--topology", required=True, metavar="FILE", help="node-link JSON, GraphML or CSV"
    )
    export.add_argument("--to", required=True, metavar="URI", help="bolt://, neo4j:// (+s, +ssc)")
    export.add_argument(
        "--undirected", action="store_true", help="treat the file as undirected (both ways)"
    )
    export.add_argument(
        "--batch-size", type=int, default=1_000, metavar="N", help="rows per UNWIND (default 1000)"
    )
    export.add_argument(
        "--batch-bytes",
        type=int,
        default=DEFAULT_BATCH_BYTES,
        metavar="B",
        help=f"parameter bytes per query (default {DEFAULT_BATCH_BYTES}, safe for FalkorDB; "
        "Neo4j takes 1000000)",
    )
    _connection_options(export)
    export.set_defaults(handler=_export)

    show = actions.add_parser(
        "show",
        help="read a topology from Neo4j and print a summary (or save it as a file)",
    )
    show.add_argument(
        "--from", dest="source", required=True, metavar="URI", help="bolt://, neo4j://"
    )
    show.add_argument(
        "--query", metavar="CYPHER", help="a query returning id/props/depends_on rows"
    )
    show.add_argument("--save", metavar="FILE", help="write the topology as node-link JSON")
    _connection_options(show)
    show.set_defaults(handler=_show)


def _connection_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", default="", help="Neo4j user (no user: no authentication)")
    parser.add_argument(
        "--password-file",
        metavar="FILE",
        help=f"file holding the password (else ${PASSWORD_ENV[0]} or ${PASSWORD_ENV[1]})",
    )
    parser.add_argument("--database", default="", help="database name (default: the server's)")
    parser.add_argument(
        "--label", default=DEFAULT_LABEL, help=f"node label (default {DEFAULT_LABEL})"
    )
    parser.add_argument(
        "--relationship",
        default=DEFAULT_RELATIONSHIP,
        help=f"dependency relationship type (default {DEFAULT_RELATIONSHIP})",
    )
    parser.add_argument("--ca-file", default="", metavar="FILE", help="CA certificate for TLS")
    parser.add_argument(
        "--connect-timeout", type=float, default=5.0, metavar="S", help="per attempt (default 5)"
    )


def _config(args: argparse.Namespace, uri: str, query: str = "") -> Neo4jConfig:
    from core.cli import UsageError
    from core.stores.neo4j_store import neo4j_config

    try:
        return neo4j_config(
            uri,
            user=args.user,
            password_file=args.password_file,
            database=args.database,
            label=args.label,
            relationship=args.relationship,
            query=query,
            ca_file=args.ca_file,
            connect_timeout_s=args.connect_timeout,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _export(args: argparse.Namespace) -> int:
    from core.cli import UsageError
    from core.graph.loaders import TopologyError, load_topology
    from core.stores.neo4j_export import export_topology
    from core.stores.neo4j_store import Neo4jError, Neo4jStore

    if args.batch_size < 1 or args.batch_bytes < 1:
        raise UsageError("--batch-size and --batch-bytes must be at least 1")
    config = _config(args, args.to)
    try:
        topology = load_topology(args.topology, directed=False if args.undirected else None)
    except TopologyError as exc:
        raise UsageError(str(exc)) from None

    def progress(what: str, done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{what}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    try:
        with Neo4jStore(config) as store:
            result = export_topology(
                store,
                topology,
                batch_size=args.batch_size,
                batch_bytes=args.batch_bytes,
                progress=progress,
            )
    except (Neo4jError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(
        f"exported {result.components:,} components and {result.dependencies:,} dependencies "
        f"to {config.uri} ({result.nodes_created:,} nodes and "
        f"{result.relationships_created:,} relationships new)"
    )
    return 0


def _show(args: argparse.Namespace) -> int:
    from core.cli import UsageError
    from core.graph.loaders import TopologyError, save_node_link
    from core.stores.neo4j_store import Neo4jError, Neo4jStore
    from core.stores.neo4j_topology import load_neo4j_topology

    config = _config(args, args.source, args.query or "")
    try:
        with Neo4jStore(config) as store:
            loaded = load_neo4j_topology(store)
        if args.save:
            save_node_link(loaded.topology, args.save)
    except (Neo4jError, TopologyError, OSError) as exc:
        raise UsageError(str(exc)) from None
    topology = loaded.topology
    edges = sum(len(d) for d in topology.dependencies)
    print(
        f"{len(topology.ids):,} components, {edges:,} dependencies from {config.uri}"
        + (f" ({loaded.skipped:,} rows without an id skipped)" if loaded.skipped else "")
    )
    return 0
