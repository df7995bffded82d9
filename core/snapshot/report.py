"""The snapshot's human-readable parts: a self-contained HTML report and the alerts CSV.

The report opens in any browser without Watchfloor and without a network:
inline CSS, images as `data:` URIs, no script, and a Content-Security-Policy
that forbids loading anything. It prints on A4/Letter (sections avoid page
breaks, colours are backed by text). Every piece of alert, topology and
operator text is untrusted: it goes through `html.escape` (after control
characters are made visible), so `<script>` in an annotation reads as text.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from collections.abc import Iterable, Mapping
from typing import Any

from core.export import csv_safe_cell
from core.model import format_time
from core.textsafe import safe_text

__all__ = ["ALERT_COLUMNS", "alerts_csv", "render_html"]

ALERT_COLUMNS = (
    "fingerprint",
    "alertname",
    "severity",
    "status",
    "component",
    "domain",
    "starts_at",
    "ends_at",
    "last_seen",
    "summary",
    "description",
    "labels",
    "generator_url",
)
_LISTED = 40

_CSS = """
:root { --text:#111; --muted:#444; --line:#999; --bg:#fff; --alt:#f2f2f2;
  --critical:#b00020; --major:#c75000; --warning:#8a6d00; --info:#1f5fa8; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--text); background: var(--bg); margin: 0 auto; max-width: 1200px; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid var(--text); padding-bottom: 2px; margin-top: 28px; }
h3 { font-size: 15px; margin: 0 0 6px; }
.meta { color: var(--muted); margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.card { border: 1px solid var(--line); padding: 8px 14px; min-width: 130px; }
.card b { display: block; font-size: 22px; }
.domain { border: 1px solid var(--line); border-left-width: 8px; padding: 10px 14px;
  margin: 10px 0; break-inside: avoid; }
.sev { display: inline-block; font-weight: 700; padding: 0 6px; border: 2px solid currentColor;
  text-transform: uppercase; font-size: 12px; }
.critical { border-left-color: var(--critical); } .sev.critical { color: var(--critical); }
.major { border-left-color: var(--major); } .sev.major { color: var(--major); }
.warning { border-left-color: var(--warning); } .sev.warning { color: var(--warning); }
.info { border-left-color: var(--info); } .sev.info { color: var(--info); }
ol { margin: 4px 0 6px 20px; padding: 0; }
.reasons { color: var(--muted); display: block; }
.list { overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top;
  overflow-wrap: anywhere; }
th { background: var(--alt); }
table.alerts td:nth-child(-n+6), table.timeline td { overflow-wrap: normal; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 8px 0; }
figure img { max-width: 100%; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12px; }
.note { white-space: pre-wrap; }
footer { margin-top: 32px; color: var(--muted); font-size: 12px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; }
  figure, .domain, tr { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def _e(value: object) -> str:
    """Untrusted text as HTML: control characters visible, then escaped."""
    return html.escape(safe_text("" if value is None else str(value), keep_newlines=True))


def render_html(content: Any, images: Mapping[str, bytes], members: Iterable[str] = ()) -> str:
    """The report for a (redacted) `SnapshotContent`; `images` by member name."""
    analysis = content.analysis
    summary = analysis["summary"]
    alerts = content.alerts
    by_fp = {a["fingerprint"]: a for a in alerts}
    when = format_time(content.when)
    scope = content.scope.get("domain")
    source = content.source
    parts: list[str] = []
    add = parts.append
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add(
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
    )
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>Watchfloor incident snapshot {_e(when)}</title>")
    add(f"<style>{_CSS}</style></head><body>")
    add("<header><h1>Incident snapshot</h1>")
    add(
        f'<p class="meta">As of <b>{_e(when)}</b> &middot; window '
        f"{_e(format_time(content.window_start))} to {_e(format_time(content.window_end))}"
        f" &middot; {'domain ' + _e(scope) if scope else 'all domains'}</p>"
    )
    add(
        f'<p class="meta">Source: {_e(source.get("kind", ""))} {_e(source.get("replay", ""))}'
        f" on topology {_e(source.get('topology', ''))}</p>"
    )
    if content.redaction:
        add(
            '<p class="meta">Redacted: '
            + _e(", ".join(content.redaction))
            + " (replaced by stable pseudonyms)</p>"
        )
    add("</header>")
    firing = sum(1 for a in alerts if a["status"] == "firing")
    add('<section><div class="cards">')
    for label, value in (
        ("open failure domains", len(analysis["domains"])),
        ("firing alerts", firing),
        ("alerts in window", len(alerts)),
        ("unmapped", len(analysis["unmapped"])),
        ("rejected records", summary.get("rejected", 0) if not scope else 0),
    ):
        add(f'<div class="card"><b>{int(value):,}</b>{_e(label)}</div>')
    add("</div></section>")

    add("<section><h2>Failure domains, worst first</h2>")
    if not analysis["domains"]:
        add("<p>No open failure domains at this time.</p>")
    operator = _operator_by_domain(content.operator, _merges(content.timeline))
    for rank, domain in enumerate(analysis["domains"], start=1):
        add(_domain_html(rank, domain, content.explanations.get(domain["id"], []), by_fp))
        notes = operator.get(domain["id"])
        if notes:
            add(f"<p><b>Operator:</b> {notes}</p>")
        add("</article>")
    add("</section>")

    for name, title, caption in (
        (
            "images/topology.png",
            "Topology",
            "Failure domains on the relevant topology: alerting components by severity, "
            "root causes numbered, blast radius highlighted.",
        ),
        (
            "images/trends.png",
            "Trends",
            "Firing alerts by severity and open failure domains over the window.",
        ),
    ):
        data = images.get(name)
        if data:
            encoded = base64.b64encode(data).decode("ascii")
            add(f"<section><h2>{_e(title)}</h2><figure>")
            add(f'<img src="data:image/png;base64,{encoded}" alt="{_e(caption)}">')
            add(f"<figcaption>{_e(caption)}</figcaption></figure></section>")

    add("<section><h2>Domain timeline</h2>")
    rows = _timeline_highlights(content.timeline)
    if rows:
        add(
            '<p class="meta">Openings, closings, merges and changes of severity; every change '
            "of size is in domain-timeline.json.</p>"
        )
        add('<table class="timeline"><thead><tr><th>time</th><th>domain</th><th>change</th>')
        add("<th>alerting</th><th>severity</th></tr></thead><tbody>")
        for row in rows:
            change = row["change"] + (f" into {row['into']}" if row.get("into") else "")
            add(
                f"<tr><td>{_e(row['at'])}</td><td>{_e(row['domain'])}</td><td>{_e(change)}</td>"
                f"<td>{int(row['size']) or ''}</td><td>{_e(row['severity'])}</td></tr>"
            )
        add("</tbody></table>")
    else:
        add("<p>No domain changes in the window.</p>")
    add("</section>")

    add(f"<section><h2>Alerts ({len(alerts):,})</h2>")
    add('<table class="alerts"><thead><tr><th>severity</th><th>alert</th><th>component</th>')
    add("<th>domain</th>")
    add("<th>status</th><th>started</th><th>summary / description</th></tr></thead><tbody>")
    for alert in alerts:
        annotations = alert.get("annotations", {})
        text = annotations.get("summary", "")
        description = annotations.get("description", "")
        if description and description != text:
            text = f"{text}\n{description}" if text else description
        add(
            f'<tr><td><span class="sev {_css_severity(alert["severity"])}">'
            f"{_e(alert['severity'])}</span></td><td>{_e(alert['alertname'])}</td>"
            f"<td>{_e(alert['component'] or 'unmapped')}</td><td>{_e(alert['domain'] or '')}</td>"
            f"<td>{_e(alert['status'])}</td><td>{_e(alert['starts_at'])}</td>"
            f'<td class="note">{_e(text)}</td></tr>'
        )
    add("</tbody></table></section>")

    add("<section><h2>Operator notes and acknowledgements</h2>")
    if content.operator:
        add("<table><thead><tr><th>time</th><th>domain</th><th>who</th><th>action</th>")
        add("<th>text</th></tr></thead><tbody>")
        for action in content.operator:
            add(
                f"<tr><td>{_e(action['at'])}</td><td>{_e(action['domain'])}</td>"
                f"<td>{_e(action['who'])}</td><td>{_e(action['kind'])}</td>"
                f'<td class="note">{_e(action["text"])}</td></tr>'
            )
        add("</tbody></table>")
    else:
        add("<p>No operator actions recorded.</p>")
    add("</section>")

    if content.risk is not None:
        add("<section><h2>Deployment risk near the window</h2>")
        if content.risk:
            columns = sorted({key for row in content.risk for key in row})
            add("<table><thead><tr>")
            add("".join(f"<th>{_e(c)}</th>" for c in columns))
            add("</tr></thead><tbody>")
            for row in content.risk:
                add("<tr>" + "".join(f"<td>{_e(row.get(c, ''))}</td>" for c in columns) + "</tr>")
            add("</tbody></table>")
        else:
            add("<p>No scored deployments near the window.</p>")
        add("</section>")

    unmapped = analysis["unmapped"]
    if unmapped:
        add(f"<section><h2>Unmapped firing alerts ({len(unmapped)})</h2><ul>")
        for fp in unmapped:
            alert = by_fp.get(fp)
            labels = _labels_text(alert["labels"]) if alert else ""
            add(f"<li><code>{_e(fp)}</code> {_e(labels)}</li>")
        add("</ul></section>")
    rejected = analysis.get("rejected", [])
    if rejected:
        add(f"<section><h2>Rejected records ({summary.get('rejected', len(rejected)):,})</h2>")
        add("<table><thead><tr><th>where</th><th>why</th></tr></thead><tbody>")
        for row in rejected[:200]:
            add(f"<tr><td>{_e(row['where'])}</td><td>{_e(row['reason'])}</td></tr>")
        add("</tbody></table></section>")

    listed = ", ".join(_e(m) for m in members)
    add(
        "<footer>Made by Watchfloor from event times (the same input gives the same file). "
        f"The snapshot archive also holds: {listed}.</footer>"
    )
    add("</body></html>")
    return "\n".join(parts) + "\n"


def _domain_html(
    rank: int,
    domain: Mapping[str, Any],
    explained: list[Mapping[str, Any]],
    by_fp: Mapping[str, Any],
) -> str:
    severity = _css_severity(domain["severity"])
    members = domain["members"]
    impacted = domain["impacted"]
    out = [
        f'<article class="domain {severity}">',
        f'<h3>[{rank}] {_e(domain["id"])} <span class="sev {severity}">{_e(domain["severity"])}'
        f"</span> {len(members)} alerting, {len(domain['alerts'])} alerts, "
        f"{len(impacted)} impacted, since {_e(domain['first_seen'])}</h3>",
        "<b>Root causes</b><ol>",
    ]
    reasons = {row["component"]: row.get("reasons", []) for row in explained}
    for cause in domain["root_causes"]:
        silent = "" if cause["alerting"] else " (silent: raises no alert)"
        why = "; ".join(reasons.get(cause["component"], []))
        out.append(
            f"<li><b>{_e(cause['component'])}</b> {float(cause['score']):.2f}{_e(silent)}"
            + (f'<span class="reasons">{_e(why)}</span>' if why else "")
            + "</li>"
        )
    out.append("</ol>")
    out.append(f'<p class="list"><b>Alerting:</b> {_listing(members)}</p>')
    if impacted:
        out.append(f'<p class="list"><b>Impacted:</b> {_listing(impacted)}</p>')
    names = sorted({by_fp[fp]["alertname"] for fp in domain["alerts"] if fp in by_fp})
    if names:
        out.append(f'<p class="list"><b>Alerts:</b> {_listing(names)}</p>')
    return "\n".join(out)


def _timeline_highlights(rows: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The timeline rows worth reading: all but the changes that only change the size."""
    severity: dict[str, str] = {}
    kept: list[Mapping[str, Any]] = []
    for row in rows:
        domain = row["domain"]
        if row["change"] != "changed" or severity.get(domain) != row["severity"]:
            kept.append(row)
        severity[domain] = row["severity"]
    return kept


def _listing(values: list[str]) -> str:
    shown = ", ".join(_e(v) for v in values[:_LISTED])
    if len(values) > _LISTED:
        shown += f", &hellip; (+{len(values) - _LISTED} more)"
    return shown


def _css_severity(label: str) -> str:
    return label if label in ("critical", "major", "warning", "info") else "info"


def _operator_by_domain(
    actions: list[Mapping[str, Any]], merged_into: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each domain's actions as one line, those on domains merged into it included."""
    merges = merged_into or {}
    lines: dict[str, list[str]] = {}
    for action in actions:
        domain = final = action["domain"]
        seen = {final}
        while final in merges and merges[final] not in seen:
            final = merges[final]
            seen.add(final)
        on = f" on {domain}" if final != domain else ""
        text = f"{action['kind']}{on} by {action['who']} at {action['at']}"
        if action.get("text"):
            text += f": {action['text']}"
        lines.setdefault(final, []).append(_e(text))
    return {domain: "; ".join(items) for domain, items in lines.items()}


def _merges(timeline: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Merged domain -> the domain it merged into, from the snapshot's domain timeline."""
    return {
        str(row["domain"]): str(row["into"])
        for row in timeline
        if row.get("change") == "merged" and row.get("into")
    }


def _labels_text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))


def alerts_csv(alerts: Iterable[Mapping[str, Any]]) -> bytes:
    """The alerts as CSV (UTF-8, header first), cells neutralised against formulas."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ALERT_COLUMNS)
    for alert in alerts:
        annotations = alert.get("annotations", {})
        row = [
            alert["fingerprint"],
            alert["alertname"],
            alert["severity"],
            alert["status"],
            alert["component"] or "",
            alert["domain"] or "",
            alert["starts_at"],
            alert["ends_at"] or "",
            alert["last_seen"],
            annotations.get("summary", ""),
            annotations.get("description", ""),
            _labels_text(alert["labels"]),
            alert.get("generator_url", ""),
        ]
        writer.writerow([csv_safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8")
