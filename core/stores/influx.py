"""InfluxDB: where to connect, and reading past alert counts back over InfluxQL.

Writes go through `influxdb-client`'s v2 write API (`/api/v2/write`: InfluxDB
1.8+, 2.x, 3.x, Cloud; see `core.stores.influx_sink`). Read-back uses the
InfluxQL `/query` endpoint, which InfluxDB 1.x, 2.x (v1 compatibility, with a
DBRP mapping for the bucket) and 3.x all answer, so the trends view can show
minutes from before this session whichever server the team runs.

InfluxQL has no bind parameters that every server honours, so nothing
user-supplied is pasted raw: identifiers are double-quoted with `"` and `\\`
escaped, string literals single-quoted with `'` and `\\` escaped, and times are
integers the reader formats itself.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.history.counts import MinuteCounts
from core.stores.influx_points import COUNT_SEVERITY_LABELS, MINUTE_MEASUREMENT
from core.stores.secrets import Secret, resolve_secret

TOKEN_ENV = ("WATCHFLOOR_INFLUX_TOKEN", "INFLUX_TOKEN")
"""Environment variables the token is taken from (first set wins) without a token file."""


class StoreError(Exception):
    """A store that cannot be reached or answered with an error; one line, no secrets."""


@dataclass(frozen=True, slots=True)
class InfluxConfig:
    """Where and how to write and read InfluxDB. `repr` masks the token."""

    url: str
    org: str = ""
    bucket: str = "watchfloor"
    token: Secret | None = None
    database: str = ""
    """InfluxQL database for read-back; the bucket's name when empty (2.x DBRP, 3.x)."""
    retention_policy: str = ""
    prefix: str = "watchfloor"
    timeout_s: float = 10.0
    buffer_limit: int = 100_000
    """Points held while the server is unreachable; beyond it the oldest are dropped (counted)."""
    batch_size: int = 5_000
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    verify_tls: bool = True
    ca_file: str = ""

    def __post_init__(self) -> None:
        parsed = urllib.parse.urlsplit(self.url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"InfluxDB URL must be http(s)://host[:port], not {self.url!r}")
        if parsed.username or parsed.password:
            raise ValueError(
                "put the InfluxDB token in a file or environment variable, not the URL"
            )
        if not self.bucket:
            raise ValueError("an InfluxDB bucket is needed")
        if self.buffer_limit < 1 or self.batch_size < 1:
            raise ValueError("buffer limit and batch size must be at least 1")
        if not (self.timeout_s > 0 and self.retry_initial_s > 0 and self.retry_max_s > 0):
            raise ValueError("timeouts and retry delays must be positive")

    @property
    def query_database(self) -> str:
        return self.database or self.bucket

    def scrub(self, text: str) -> str:
        """`text` with the token masked (error messages from servers and libraries)."""
        return self.token.scrub(text) if self.token is not None else text


def influx_config(
    url: str,
    *,
    org: str = "",
    bucket: str = "watchfloor",
    token_file: str | None = None,
    **options: Any,
) -> InfluxConfig:
    """A config with the token from `token_file` or `TOKEN_ENV` (raises ValueError)."""
    token = resolve_secret(token_file, TOKEN_ENV)
    return InfluxConfig(url=url.rstrip("/"), org=org, bucket=bucket, token=token, **options)


# -- InfluxQL quoting ---------------------------------------------------------------------


def quote_identifier(name: str) -> str:
    """An InfluxQL identifier (measurement, tag key) as a double-quoted literal."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def quote_string(value: str) -> str:
    """An InfluxQL string literal (tag values in WHERE)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


# -- read-back ----------------------------------------------------------------------------


class InfluxCountsReader:
    """Alerts per minute by severity from the `*_alerts_minute` measurement (a `CountsReader`).

    `where` restricts the counts to tag values, e.g. `{"tier": "edge"}`.
    """

    def __init__(self, config: InfluxConfig, *, where: Mapping[str, str] | None = None) -> None:
        self.config = config
        self.where = dict(where or {})
        self.measurement = f"{config.prefix}_{MINUTE_MEASUREMENT}"

    def count_query(self, start_minute: int, end_minute: int) -> str:
        """The InfluxQL for minutes [start_minute, end_minute) (epoch minutes)."""
        conditions = [
            f"time >= {start_minute * 60 * 1_000_000_000}",
            f"time < {end_minute * 60 * 1_000_000_000}",
        ]
        conditions += [f"{quote_identifier(k)} = {quote_string(v)}" for k, v in self.where.items()]
        # Identifiers and literals are quoted above, times are integers.
        source = quote_identifier(self.measurement)
        where = " AND ".join(conditions)
        select = 'SELECT sum("firing") AS "firing"'
        return f'{select} FROM {source} WHERE {where} GROUP BY time(1m), "severity" fill(none)'

    def alert_counts(self, start: float, end: float) -> MinuteCounts:
        """Counts for every minute overlapping [start, end) (epoch seconds)."""
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError("start and end must be finite epoch seconds")
        start_minute = math.floor(start / 60)
        end_minute = max(start_minute, math.ceil(end / 60))
        counts = MinuteCounts.empty(start_minute, end_minute - start_minute)
        if end_minute == start_minute:
            return counts
        document = self.query(self.count_query(start_minute, end_minute))
        columns = {label: j for j, label in enumerate(COUNT_SEVERITY_LABELS)}
        for result in document.get("results", []):
            if "error" in result:
                raise StoreError(f"InfluxDB query failed: {self.config.scrub(result['error'])}")
            for series in result.get("series", []):
                column = columns.get((series.get("tags") or {}).get("severity", ""))
                if column is None:
                    continue
                names = series.get("columns", [])
                t, f = names.index("time"), names.index("firing")
                for row in series.get("values", []):
                    if row[f] is None:
                        continue
                    k = int(row[t]) // 60 - start_minute
                    if 0 <= k < counts.minutes:
                        counts.firing[k, column] += round(row[f])
        return counts

    def query(self, influxql: str) -> dict[str, Any]:
        """Run one InfluxQL statement over `/query`; the decoded JSON answer."""
        config = self.config
        params = {"db": config.query_database, "q": influxql, "epoch": "s"}
        if config.retention_policy:
            params["rp"] = config.retention_policy
        url = f"{config.url}/query?{urllib.parse.urlencode(params)}"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
        if config.token is not None:
            request.add_unredirected_header("Authorization", f"Token {config.token.reveal()}")
        try:
            with urllib.request.urlopen(  # noqa: S310 (http/https checked in InfluxConfig)
                request, timeout=config.timeout_s, context=_ssl_context(config)
            ) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = _error_text(exc.read())
            raise StoreError(
                config.scrub(f"InfluxDB at {config.url} answered {exc.code}: {detail}")
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(
                config.scrub(f"cannot reach InfluxDB at {config.url}: {reason}")
            ) from None
        try:
            document = json.loads(body)
        except ValueError:
            raise StoreError(f"InfluxDB at {config.url} did not answer with JSON") from None
        if not isinstance(document, dict):
            raise StoreError(f"InfluxDB at {config.url} answered with unexpected JSON")
        if "error" in document:
            raise StoreError(config.scrub(f"InfluxDB query failed: {document['error']}"))
        return document


def _error_text(body: bytes) -> str:
    try:
        document = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip().splitlines()[0][:200] if body else ""
    if isinstance(document, dict):
        return str(document.get("error") or document.get("message") or document)[:200]
    return str(document)[:200]


def _ssl_context(config: InfluxConfig) -> Any:
    if not config.url.startswith("https:"):
        return None
    import ssl

    context = ssl.create_default_context(cafile=config.ca_file or None)
    if not config.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
