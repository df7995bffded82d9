"""`watchfloor analyze` as an operator runs it: contract JSON, text report, exit codes."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"
BOUTIQUE = DATA / "topologies" / "online-boutique" / "edges.csv"


def webhook(
    component: str,
    name: str,
    starts: str,
    *,
    resolved_at: str | None = None,
    severity: str = "critical",
    summary: str = "",
) -> str:
    status = "resolved" if resolved_at else "firing"
    labels = {"alertname": name, "service": component, "severity": severity}
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary or f"{component} {name}"},
        "startsAt": starts,
        "endsAt": resolved_at or "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.local/graph",
    }
    return json.dumps(
        {
            "version": "4",
            "status": status,
            "receiver": "noc",
            "alerts": [alert],
            "groupLabels": {},
            "commonLabels": labels,
            "commonAnnotations": {},
            "externalURL": "http://am",
            "groupKey": "{}",
            "truncatedAlerts": 0,
        }
    )


@pytest.fixture
def replay(tmp_path: Path) -> Path:
    """A checkout outage: redis-cart fails, cartservice then checkout/frontend alert."""
    lines = [
        webhook("frontend", "HighErrorRate", "2026-11-26T03:00:40Z", severity="major"),
        webhook("cartservice", "HighErrorRate", "2026-11-26T03:00:20Z"),
        webhook("redis-cart", "RedisDown", "2026-11-26T03:00:05Z"),
        '{"version": "4", "alerts": [',  # truncated line
        webhook("checkoutservice", "HighLatencyP99", "2026-11-26T03:00:30Z", severity="warning"),
        webhook(
            "adservice",
            "PodCrashLooping",
            "2026-11-26T03:10:00Z",
            severity="warning",
            summary="\x1b]0;pwned\x07\x1b[2J crash",
        ),
        webhook("billing-legacy", "TargetDown", "2026-11-26T03:11:00Z"),
        webhook(
            "adservice",
            "PodCrashLooping",
            "2026-11-26T03:10:00Z",
            severity="warning",
            resolved_at="2026-11-26T03:20:00Z",
        ),
    ]
    path = tmp_path / "alerts.ndjson.gz"
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_follows_the_contract(replay: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "analyze", "--topology", str(BOUTIQUE), "--replay", str(replay), "--format", "json"
    )
    assert code == 0
    report = json.loads(out)
    assert set(report) == {"summary", "domains", "unmapped", "rejected"}
    assert report["summary"] == {
        "records": 8,
        "alerts": 6,
        "rejected": 1,
        "active": 5,
        "domains": 1,
    }
    (domain,) = report["domains"]
    assert set(domain) == {
        "id",
        "severity",
        "first_seen",
        "members",
        "root_causes",
        "impacted",
        "alerts",
    }
    assert domain["severity"] == "critical"
    assert domain["first_seen"] == "2026-11-26T03:00:05Z"
    assert set(domain["members"]) == {"redis-cart", "cartservice", "checkoutservice", "frontend"}
    top = domain["root_causes"][0]
    assert top["component"] == "redis-cart" and top["alerting"] is True
    assert all(set(c) == {"component", "score", "alerting"} for c in domain["root_causes"])
    assert "loadgenerator" in domain["impacted"]
    assert len(domain["alerts"]) == 4
    assert len(report["unmapped"]) == 1
    assert report["rejected"][0]["where"] == "line 4"


def test_at_reports_the_state_at_that_time(
    replay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "analyze",
        "--topology",
        str(BOUTIQUE),
        "--replay",
        str(replay),
        "--format",
        "json",
        "--at",
        "2026-11-26T03:00:25Z",
    )
    assert code == 0
    report = json.loads(out)
    (domain,) = report["domains"]
    assert set(domain["members"]) == {"redis-cart", "cartservice"}
    code, out, _ = run(
        capsys,
        "analyze",
        "--topology",
        str(BOUTIQUE),
        "--replay",
        str(replay),
        "--format",
        "json",
        "--at",
        "2026-11-26T03:15:00Z",
    )
    (domain,) = json.loads(out)["domains"]
    assert "adservice" in domain["members"]  # frontend depends on it; resolved only at 03:20
    assert (
        "adservice"
        not in json.loads(
            run(
                capsys,
                "analyze",
                "--topology",
                str(BOUTIQUE),
                "--replay",
                str(replay),
                "--format",
                "json",
            )[1]
        )["domains"][0]["members"]
    )


def test_text_report_names_domains_causes_and_rejects_and_escapes_controls(
    replay: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "analyze", "--topology", str(BOUTIQUE), "--replay", str(replay))
    assert code == 0
    assert "1 open failure domain" in out
    assert "redis-cart" in out and "Root causes" in out
    assert "Rejected records: 1" in out and "line 4" in out
    assert "Unmapped firing alerts" in out and "billing-legacy" in out
    assert "\x1b" not in out and "\x07" not in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["--topology", "missing.json", "--replay", "{replay}"], "missing.json"),
        (["--topology", str(BOUTIQUE), "--replay", "nowhere.ndjson"], "nowhere.ndjson"),
        (["--topology", str(BOUTIQUE), "--replay", "{replay}", "--at", "yesterday"], "--at"),
        (["--topology", "{replay}", "--replay", "{replay}"], "alerts.ndjson.gz"),
    ],
)
def test_unusable_input_exits_2_with_one_clear_line(
    replay: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    argv = ["analyze", *(a.replace("{replay}", str(replay)) for a in args)]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and "Traceback" not in err
    assert out == ""


def test_console_script_runs_headless(replay: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "core.cli",
            "analyze",
            "--topology",
            str(BOUTIQUE),
            "--replay",
            str(replay),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["domains"] == 1
    bad = subprocess.run(
        [sys.executable, "-m", "core.cli", "analyze"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
