"""The console's store options: `--neo4j ...` and `--influx-...` (parsed without Qt).

Secrets are never options: the Neo4j password comes from `--neo4j-password-file`
or WATCHFLOOR_NEO4J_PASSWORD / NEO4J_PASSWORD, the InfluxDB token from
`--influx-token-file` or WATCHFLOOR_INFLUX_TOKEN / INFLUX_TOKEN. Nothing here is
written to the settings file.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.stores.influx import InfluxConfig
    from core.stores.neo4j_store import Neo4jConfig


def add_store_arguments(parser: argparse.ArgumentParser) -> None:
    neo4j = parser.add_argument_group("topology from Neo4j (in place of --topology)")
    neo4j.add_argument("--neo4j", metavar="URI", help="bolt:// or neo4j:// (+s, +ssc for TLS)")
    neo4j.add_argument("--neo4j-user", metavar="USER", default="", help="no user: no auth")
    neo4j.add_argument(
        "--neo4j-password-file",
        metavar="FILE",
        help="password file (else $WATCHFLOOR_NEO4J_PASSWORD or $NEO4J_PASSWORD)",
    )
    neo4j.add_argument(
        "--neo4j-query",
        metavar="CYPHER",
        help="rows of id/props/depends_on or source/target (default: (:Component {id}) "
        "nodes, [:DEPENDS_ON] edges)",
    )
    neo4j.add_argument(
        "--neo4j-param",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a $NAME parameter for --neo4j-query (repeatable)",
    )
    neo4j.add_argument("--neo4j-database", metavar="DB", default="", help="database name")
    neo4j.add_argument("--neo4j-ca-file", metavar="FILE", default="", help="CA for TLS")

    influx = parser.add_argument_group("InfluxDB (alert events and per-minute counts)")
    influx.add_argument("--influx-url", metavar="URL", help="http(s)://host:8086; off when absent")
    influx.add_argument("--influx-org", metavar="ORG", default="", help="organisation (2.x, 3.x)")
    influx.add_argument(
        "--influx-bucket", metavar="BUCKET", default="watchfloor", help="default: watchfloor"
    )
    influx.add_argument(
        "--influx-token-file",
        metavar="FILE",
        help="token file (else $WATCHFLOOR_INFLUX_TOKEN or $INFLUX_TOKEN)",
    )
    influx.add_argument(
        "--influx-buffer",
        metavar="POINTS",
        type=int,
        default=100_000,
        help="points kept while InfluxDB is unreachable (default 100000; beyond: oldest dropped)",
    )


def store_configs(args: argparse.Namespace) -> tuple[Neo4jConfig | None, InfluxConfig | None]:
    """The configs the options ask for; ValueError (one line, no secrets) when unusable."""
    neo4j = None
    if args.neo4j:
        from core.stores.neo4j_store import neo4j_config

        neo4j = neo4j_config(
            args.neo4j,
            user=args.neo4j_user,
            password_file=args.neo4j_password_file,
            query=args.neo4j_query or "",
            params=_params(args.neo4j_param),
            database=args.neo4j_database,
            ca_file=args.neo4j_ca_file,
        )
    elif args.neo4j_user or args.neo4j_password_file or args.neo4j_query or args.neo4j_param:
        raise ValueError("--neo4j-user/-password-file/-query/-param need --neo4j URI")
    influx = None
    if args.influx_url:
        from core.stores.influx import influx_config

        influx = influx_config(
            args.influx_url,
            org=args.influx_org,
            bucket=args.influx_bucket,
            token_file=args.influx_token_file,
            buffer_limit=args.influx_buffer,
        )
    elif args.influx_token_file or args.influx_org:
        raise ValueError("--influx-org/--influx-token-file need --influx-url")
    return neo4j, influx


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"--neo4j-param: expected NAME=VALUE, got {pair!r}")
        params[name] = value
    return params
