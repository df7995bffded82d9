"""The InfluxDB sink: points written off the caller's thread, buffered through outages.

`write` only appends to a bounded buffer and returns: the console's GUI thread
and the engine never wait for the network. One worker thread sends batches
with `influxdb-client`'s v2 write API; when the server is down or busy it
keeps the batch and retries with exponential backoff (honouring
`Retry-After`), so nothing within `InfluxConfig.buffer_limit` is lost. Past
the limit the oldest queued points are dropped and counted
(`SinkStats.dropped`), like Telegraf's metric buffer; the batch being retried
counts towards the limit and is kept. A batch the server refuses as malformed (HTTP
400) cannot succeed by retrying: it is counted as `rejected`, not retried
forever.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.stores.influx import InfluxConfig

log = logging.getLogger(__name__)

WriteLines = Callable[[list[str]], None]
"""Sends one batch; raises `WriteError` (or any exception: retried) when it did not land."""


class WriteError(Exception):
    """A batch did not land; `retry` says whether sending it again can help."""

    def __init__(self, message: str, *, retry: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SinkStats:
    """What the sink has done so far; the status bar shows it."""

    written: int
    buffered: int
    dropped: int
    rejected: int
    failing: bool
    last_error: str


class InfluxSink:
    """Buffers line-protocol points and writes them in the background."""

    def __init__(self, config: InfluxConfig, *, send: WriteLines | None = None) -> None:
        self.config = config
        self._send = send
        self._client: Any = None
        self._buffer: deque[str] = deque()
        self._inflight = 0
        self._cond = threading.Condition()
        self._written = 0
        self._dropped = 0
        self._rejected = 0
        self._failing = False
        self._last_error = ""
        self._closing = False
        self._thread: threading.Thread | None = None

    # -- the caller's side (any thread, never blocks on the network) -------------------

    def write(self, lines: Sequence[str]) -> None:
        """Queue points; the oldest queued ones are dropped (counted) beyond the bound."""
        if not lines:
            return
        limit = self.config.buffer_limit
        with self._cond:
            if self._closing:
                self._dropped += len(lines)
                return
            buffer = self._buffer
            buffer.extend(lines)
            excess = len(buffer) + self._inflight - limit
            if excess > 0:
                excess = min(excess, len(buffer))
                for _ in range(excess):
                    buffer.popleft()
                self._dropped += excess
            self._start()
            self._cond.notify()

    def stats(self) -> SinkStats:
        with self._cond:
            return SinkStats(
                written=self._written,
                buffered=len(self._buffer) + self._inflight,
                dropped=self._dropped,
                rejected=self._rejected,
                failing=self._failing,
                last_error=self._last_error,
            )

    def flush(self, timeout: float) -> bool:
        """Wait until every queued point was sent (True) or `timeout` seconds passed."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._buffer or self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.2))
        return True

    def close(self, timeout: float = 5.0) -> SinkStats:
        """Send what is queued for up to `timeout` s, then stop; unsent points count as dropped."""
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            # A request in flight to a hung server is not waited out (quitting stays quick):
            # the daemon thread ends with the process, its batch counts as not written.
            thread.join(timeout=1.0)
        with self._cond:
            self._dropped += len(self._buffer)
            self._buffer.clear()
            if thread is not None and thread.is_alive():
                self._dropped += self._inflight
                self._inflight = 0
        if self._client is not None:
            self._client.close()
            self._client = None
        return self.stats()

    # -- the worker ----------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="watchfloor-influx-sink", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        delay = self.config.retry_initial_s
        while True:
            with self._cond:
                while not self._buffer and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
                size = min(self.config.batch_size, len(self._buffer))
                batch = [self._buffer.popleft() for _ in range(size)]
                self._inflight = size
            while True:
                wait = self._attempt(batch)
                if wait is None:
                    delay = self.config.retry_initial_s
                    break
                wait = max(wait, delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.config.retry_max_s)
                with self._cond:
                    if self._cond.wait_for(lambda: self._closing, timeout=wait):
                        # Closing while the server is down: the batch goes back to be counted.
                        self._buffer.extendleft(reversed(batch))
                        self._inflight = 0
                        return
            with self._cond:
                self._inflight = 0
                self._cond.notify_all()

    def _attempt(self, batch: list[str]) -> float | None:
        """Send a batch: None when done (landed or rejected), else seconds to wait at least."""
        try:
            self._deliver(batch)
        except WriteError as exc:
            message = self.config.scrub(str(exc))
            with self._cond:
                self._last_error = message
                if not exc.retry:
                    self._rejected += len(batch)
                    self._failing = False
                    log.warning("InfluxDB refused %d points: %s", len(batch), message)
                    return None
                if not self._failing:
                    log.warning("InfluxDB write failed, retrying: %s", message)
                self._failing = True
            return exc.retry_after or 0.0
        except Exception as exc:  # anything else (a library error): keep and retry
            message = self.config.scrub(f"{type(exc).__name__}: {exc}")
            with self._cond:
                if not self._failing:
                    log.warning("InfluxDB write failed, retrying: %s", message)
                self._failing, self._last_error = True, message
            return 0.0
        with self._cond:
            self._written += len(batch)
            if self._failing:
                log.info("InfluxDB writes succeed again")
            self._failing = False
        return None

    def _deliver(self, batch: list[str]) -> None:
        if self._send is not None:
            self._send(batch)
            return
        from influxdb_client.client.write_api import SYNCHRONOUS
        from influxdb_client.domain.write_precision import WritePrecision
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        config = self.config
        if self._client is None:
            self._client = _client(config)
        api = self._client.write_api(write_options=SYNCHRONOUS)
        try:
            api.write(
                bucket=_bucket(config),
                org=config.org or "-",
                record=batch,
                write_precision=WritePrecision.NS,
            )
        except ApiException as exc:
            status = int(exc.status or 0)
            retry_after = _retry_after(exc.headers)
            detail = _api_message(exc)
            # 400: malformed points, 413: too large, 422: unprocessable — retrying cannot help.
            retry = status not in (400, 413, 422)
            raise WriteError(
                f"InfluxDB answered {status}: {detail}", retry=retry, retry_after=retry_after
            ) from None
        except HTTPError as exc:
            raise WriteError(
                f"cannot reach InfluxDB at {config.url}: {_reason(exc)}", retry=True
            ) from None


def _client(config: InfluxConfig) -> Any:
    from influxdb_client import InfluxDBClient

    options: dict[str, Any] = {
        "url": config.url,
        "org": config.org or "-",
        "timeout": round(config.timeout_s * 1000),
        "verify_ssl": config.verify_tls,
    }
    if config.ca_file:
        options["ssl_ca_cert"] = config.ca_file
    if config.token is not None:
        options["token"] = config.token.reveal()
    return InfluxDBClient(**options)


def _bucket(config: InfluxConfig) -> str:
    # InfluxDB 1.8's v2 API takes "database/retention-policy" as the bucket.
    if config.retention_policy and "/" not in config.bucket:
        return f"{config.bucket}/{config.retention_policy}"
    return config.bucket


def _retry_after(headers: Any) -> float | None:
    try:
        value = headers.get("Retry-After") if headers is not None else None
        return min(float(value), 300.0) if value is not None else None
    except (TypeError, ValueError):
        return None


def _api_message(exc: Any) -> str:
    import json

    body = getattr(exc, "body", None)
    try:
        document = json.loads(body) if body else None
    except (TypeError, ValueError):
        document = None
    if isinstance(document, dict):
        return str(document.get("message") or document.get("error") or document)[:200]
    return (
        (str(body or exc.reason or "")).strip().splitlines()[0][:200]
        if (body or exc.reason)
        else ""
    )


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    text = str(reason if reason is not None else exc)
    return text.rsplit(": ", 1)[-1] if "Failed to establish" in text else text
