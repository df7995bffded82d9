"""Neo4j: where to connect, and one long-lived Bolt driver with connect retries.

Cypher injection is impossible by construction: every value (ids, names,
properties, the user's query parameters) travels as a query parameter; the
only names pasted into query text are the node label and relationship type,
which must match `IDENTIFIER` and are backtick-quoted on top. The user's own
query (`Neo4jConfig.query`) is configuration, not data, and gets its values
as parameters too.

TLS follows the URI scheme (`bolt+s://`, `neo4j+s://` verify the server
against the system CAs; `+ssc` accepts a self-signed certificate); with a
plain `bolt://`/`neo4j://` and `ca_file`, the connection is encrypted and
verified against that CA. Passwords come from a file or an environment
variable (`PASSWORD_ENV`) and are never logged.

Connecting: a Bolt server can accept the TCP connection and then never answer
the handshake (FalkorDB does so for a second connection now and then), so the
handshake has a deadline (`connect_timeout_s`) and a failed attempt is retried
on the same driver, which is kept for the session.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

from core.stores.secrets import Secret, resolve_secret

log = logging.getLogger(__name__)

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
"""What a label or relationship type may look like (no quoting tricks possible)."""
PASSWORD_ENV = ("WATCHFLOOR_NEO4J_PASSWORD", "NEO4J_PASSWORD")
SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
DEFAULT_LABEL = "Component"
DEFAULT_RELATIONSHIP = "DEPENDS_ON"


class Neo4jError(Exception):
    """The store cannot be used (unreachable, refused, bad query); one line, no secrets."""


def identifier(name: str, what: str) -> str:
    """`name` backtick-quoted when it is a plain identifier; ValueError otherwise."""
    if not IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"{what} {name!r} is not allowed: letters, digits and _ only, not starting with a digit"
        )
    return f"`{name}`"


def default_query(label: str = DEFAULT_LABEL, relationship: str = DEFAULT_RELATIONSHIP) -> str:
    """Components as `label` nodes with an `id`, dependencies as `relationship` edges."""
    node, rel = identifier(label, "label"), identifier(relationship, "relationship type")
    return (
        f"MATCH (n:{node}) WHERE n.id IS NOT NULL "
        f"OPTIONAL MATCH (n)-[:{rel}]->(m:{node}) "
        "RETURN n.id AS id, properties(n) AS props, collect(m.id) AS depends_on"
    )


def default_count_query(label: str = DEFAULT_LABEL) -> str:
    return f"MATCH (n:{identifier(label, 'label')}) RETURN count(n) AS total"


@dataclass(frozen=True, slots=True)
class Neo4jConfig:
    """Where the topology lives and how to read it. `repr` masks the password."""

    uri: str
    user: str = ""
    password: Secret | None = None
    database: str = ""
    label: str = DEFAULT_LABEL
    relationship: str = DEFAULT_RELATIONSHIP
    query: str = ""
    """Cypher returning node rows (`id`, optional `props`, `depends_on`, `name`, `kind`,
    `tier`) and/or edge rows (`source`, `target`, optional `relation`); empty: the default."""
    count_query: str = ""
    """Cypher returning `total` rows to expect (progress); empty: the default's, if used."""
    params: Mapping[str, Any] = field(default_factory=dict)
    ca_file: str = ""
    connect_timeout_s: float = 5.0
    connect_attempts: int = 4

    def __post_init__(self) -> None:
        scheme, sep, rest = self.uri.partition("://")
        if not sep or scheme.lower() not in SCHEMES or not rest.strip("/"):
            raise ValueError(
                f"Neo4j URI must be {'|'.join(SCHEMES)}://host[:port], not {self.uri!r}"
            )
        if "@" in rest.split("/", 1)[0]:
            raise ValueError("put the Neo4j user in --user and the password in a file, not the URI")
        identifier(self.label, "label")
        identifier(self.relationship, "relationship type")
        if self.ca_file and "+s" in scheme:
            raise ValueError(f"a CA file goes with bolt:// or neo4j://, not {scheme}://")
        if self.user and self.password is None:
            raise ValueError(
                "no Neo4j password: give a password file or set " + " or ".join(PASSWORD_ENV)
            )
        if self.connect_timeout_s <= 0 or self.connect_attempts < 1:
            raise ValueError("connect timeout and attempts must be positive")

    @property
    def cypher(self) -> str:
        return self.query or default_query(self.label, self.relationship)

    @property
    def cypher_count(self) -> str:
        if self.count_query:
            return self.count_query
        return "" if self.query else default_count_query(self.label)

    def scrub(self, text: str) -> str:
        return self.password.scrub(text) if self.password is not None else text


def neo4j_config(
    uri: str, *, user: str = "", password_file: str | None = None, **options: Any
) -> Neo4jConfig:
    """A config with the password from `password_file` or `PASSWORD_ENV` (ValueError)."""
    password = resolve_secret(password_file, PASSWORD_ENV) if user else None
    return Neo4jConfig(uri=uri, user=user, password=password, **options)


class Neo4jStore:
    """One long-lived driver; queries run in sessions on it, connecting with retries."""

    def __init__(self, config: Neo4jConfig) -> None:
        self.config = config
        self._driver: Any = None

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def sharing(self, config: Neo4jConfig) -> Neo4jStore:
        """A store with another query, label or parameters on this store's driver.

        Only for the same server and credentials; close this store, not the new one.
        """
        if (config.uri, config.user, config.password, config.ca_file) != (
            self.config.uri,
            self.config.user,
            self.config.password,
            self.config.ca_file,
        ):
            raise ValueError("a shared driver needs the same server and credentials")
        shared = Neo4jStore(config)
        if self._driver is None:
            self._driver = self._make_driver()
        shared._driver = self._driver
        return shared

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()
            self._driver = None

    def _make_driver(self) -> Any:
        import neo4j

        config = self.config
        options: dict[str, Any] = {
            "connection_timeout": config.connect_timeout_s,
            # The handshake deadline: without it a silent server hangs us for a minute.
            "connection_acquisition_timeout": config.connect_timeout_s,
            "max_connection_pool_size": 1,
            "user_agent": "watchfloor",
        }
        if config.user:
            assert config.password is not None
            options["auth"] = neo4j.basic_auth(config.user, config.password.reveal())
        else:
            options["auth"] = None
        if config.ca_file:
            options["encrypted"] = True
            options["trusted_certificates"] = neo4j.TrustCustomCAs(config.ca_file)
        try:
            return neo4j.GraphDatabase.driver(config.uri, **options)
        except (ValueError, neo4j.exceptions.ConfigurationError) as exc:
            raise Neo4jError(config.scrub(f"cannot use {config.uri}: {exc}")) from None

    def records(
        self, query: str, params: Mapping[str, Any] | None = None
    ) -> Generator[Mapping[str, Any], None, None]:
        """Stream the records of one read query, connecting (with retries) first."""
        from neo4j.exceptions import Neo4jError as DriverQueryError
        from neo4j.exceptions import ServiceUnavailable, SessionExpired

        config = self.config
        for attempt in range(1, config.connect_attempts + 1):
            yielded = False
            try:
                if self._driver is None:
                    self._driver = self._make_driver()
                with self._driver.session(**self._session_options()) as session:
                    result = session.run(query, dict(params or {}))
                    for record in result:
                        yielded = True
                        yield record
                return
            except (ServiceUnavailable, SessionExpired, OSError) as exc:
                if yielded or attempt == config.connect_attempts:
                    raise Neo4jError(
                        config.scrub(f"cannot reach Neo4j at {config.uri}: {_first_line(exc)}")
                    ) from None
                log.info("Neo4j at %s: attempt %d failed, retrying", config.uri, attempt)
                time.sleep(min(0.2 * attempt, 1.0))
            except DriverQueryError as exc:
                raise Neo4jError(config.scrub(_query_error(exc))) from None

    def run(self, query: str, params: Mapping[str, Any] | None = None) -> dict[str, int]:
        """Run one write query to completion; its update counters."""
        from neo4j.exceptions import Neo4jError as DriverQueryError
        from neo4j.exceptions import ServiceUnavailable, SessionExpired

        config = self.config
        for attempt in range(1, config.connect_attempts + 1):
            try:
                if self._driver is None:
                    self._driver = self._make_driver()
                with self._driver.session(**self._session_options()) as session:
                    summary = session.run(query, dict(params or {})).consume()
                counters = summary.counters
                return {
                    "nodes_created": counters.nodes_created,
                    "relationships_created": counters.relationships_created,
                    "properties_set": counters.properties_set,
                }
            except (ServiceUnavailable, SessionExpired, OSError) as exc:
                # Safe to send again: every write query here is an idempotent MERGE.
                if attempt == config.connect_attempts:
                    raise Neo4jError(
                        config.scrub(f"cannot reach Neo4j at {config.uri}: {_first_line(exc)}")
                    ) from None
                time.sleep(min(0.2 * attempt, 1.0))
            except DriverQueryError as exc:
                raise Neo4jError(config.scrub(_query_error(exc))) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _session_options(self) -> dict[str, Any]:
        return {"database": self.config.database} if self.config.database else {}


def _first_line(exc: BaseException) -> str:
    """One line; the driver's "Couldn't connect ...:" is followed by the reason on the next."""
    text = str(exc).strip()
    reason = re.search(r"\(reason ([^)]*)\)", text)
    if reason:
        return reason.group(1)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _query_error(exc: Any) -> str:
    message = getattr(exc, "message", None) or str(exc)
    code = getattr(exc, "code", None)
    text = _first_line(Exception(message))
    return f"Neo4j refused the query: {text}" + (f" ({code})" if code else "")
