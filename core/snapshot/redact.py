"""Redaction: sensitive text replaced by stable pseudonyms across a whole snapshot.

A snapshot that leaves the company must not carry IP addresses, host names or
whatever else the operator marks, yet it must still make sense: the same
original value becomes the same pseudonym everywhere (alert labels, the
topology, the analysis, notes, the HTML report, the labels drawn in images),
so "host-7f3a1c is the root cause of the domain holding host-7f3a1c's
services" still reads right. Pseudonyms are a keyed hash (HMAC-SHA256) of the
original text, so they are stable for one key and cannot be reversed by
hashing guesses without the key.

Patterns (`--redact PATTERN`, repeatable):

- `ip`: IPv4 and IPv6 addresses;
- `hostnames`: dotted DNS names, the values of the labels that name hosts
  (`host`, `hostname`, `node`, `nodename`, and the host part of `instance`),
  and the ids and names of topology nodes of a host-like kind (`HOST_KINDS`);
- `label:NAME`: every value of the label NAME (and of node attribute NAME);
- `text:VALUE`: that exact text wherever it occurs (a customer's name, a
  label name);
- `re:REGEX`, or any other PATTERN: every match of the regular expression.

Matching is done in one pass over each string (user regexes first, then the
built-in patterns, then literal values longest first), so a pseudonym is never
redacted again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HOST_LABELS", "RedactionError", "Redactor", "parse_patterns"]

HOST_LABELS = ("host", "hostname", "node", "nodename", "instance")
"""Labels whose values name a host (`instance` with its port stripped)."""

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d])"
# Full eight-group form, or a compressed form with `::` (times such as 02:45:00
# have neither, so they are left alone).
_IPV6 = (
    r"(?<![0-9A-Fa-f:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
    r"|(?:[0-9A-Fa-f]{1,4}:){1,7}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?"
    r"|::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?)(?![0-9A-Fa-f:])"
)
_FQDN = (
    r"(?<![A-Za-z0-9-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z][A-Za-z0-9-]{0,61}[A-Za-z0-9](?![A-Za-z0-9-])"
)
HOST_KINDS = frozenset(
    {"host", "node", "server", "vm", "router", "switch", "firewall", "load_balancer", "gateway"}
)
"""Topology node kinds whose ids and names are host names."""
_STRUCTURAL = frozenset(
    {
        "severity",
        "status",
        "type",
        "change",
        "kind",
        "directed",
        "multigraph",
        "domain_min_severity",
    }
)
_FREE_KEYED = frozenset({"labels", "annotations"})
_PREFIX_CLEAN = re.compile(r"[^a-z0-9]+")


class RedactionError(ValueError):
    """A redaction pattern that cannot be used (bad regex, empty value)."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One redaction pattern as the operator gave it."""

    kind: str  # "ip", "hostnames", "label", "text", "regex"
    value: str = ""


def parse_patterns(specs: Iterable[str]) -> list[Pattern]:
    """Read `--redact` arguments; raises RedactionError with a one-line reason."""
    patterns: list[Pattern] = []
    for spec in specs:
        text = spec.strip()
        lowered = text.lower()
        if lowered in ("ip", "ips", "ip-addresses"):
            patterns.append(Pattern("ip"))
        elif lowered in ("hostnames", "hosts", "hostname"):
            patterns.append(Pattern("hostnames"))
        elif lowered.startswith("label:"):
            name = text[6:].strip()
            if not name:
                raise RedactionError(f"--redact {spec!r}: give a label name after 'label:'")
            patterns.append(Pattern("label", name))
        elif lowered.startswith("text:"):
            value = text[5:]
            if not value:
                raise RedactionError(f"--redact {spec!r}: give the text after 'text:'")
            patterns.append(Pattern("text", value))
        else:
            regex = text[3:] if lowered.startswith("re:") else spec
            try:
                compiled = re.compile(regex)
            except re.error as exc:
                raise RedactionError(
                    f"--redact {spec!r}: not a regular expression: {exc}"
                ) from None
            if compiled.fullmatch(""):
                raise RedactionError(f"--redact {spec!r}: the expression matches empty text")
            try:
                re.compile(_ungroup([regex])[0])
            except re.error:
                raise RedactionError(
                    f"--redact {spec!r}: group references are not supported"
                ) from None
            patterns.append(Pattern("regex", regex))
    return patterns


@dataclass(slots=True)
class Redactor:
    """Replaces sensitive text by keyed pseudonyms, consistently for one key.

    Call `learn` with the alerts' labels and the topology's node attributes
    first (label and host patterns collect their literal values there), then
    `text`/`value` on everything that goes into the snapshot.
    """

    patterns: list[Pattern]
    key: bytes
    _literals: dict[str, str] = field(default_factory=dict)  # original -> prefix
    _regex: re.Pattern[str] | None = None
    _prefixes: list[str] = field(default_factory=list)
    _cache: dict[str, str] = field(default_factory=dict)
    _taken: dict[str, str] = field(default_factory=dict)  # pseudonym -> original
    _done: dict[str, str] = field(default_factory=dict)  # whole strings already redacted

    @property
    def active(self) -> bool:
        return bool(self.patterns)

    def kinds(self) -> list[str]:
        """What was redacted, by kind only (the values themselves may be sensitive)."""
        return sorted({p.kind for p in self.patterns})

    def learn(
        self,
        labels: Iterable[Mapping[str, str]],
        node_attrs: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Collect the literal values that label, host and text patterns stand for."""
        nodes = list(node_attrs)
        wanted: dict[str, str] = {}
        for pattern in self.patterns:
            if pattern.kind == "label":
                wanted[pattern.value] = _prefix(pattern.value)
            elif pattern.kind == "text":
                self._literals.setdefault(pattern.value, "redacted")
            elif pattern.kind == "hostnames":
                for name in HOST_LABELS:
                    wanted.setdefault(name, "host")
                for attrs in nodes:
                    if str(attrs.get("kind", "")).lower() in HOST_KINDS:
                        for key in ("id", "name"):
                            value = attrs.get(key)
                            if isinstance(value, str) and value.strip():
                                self._literals.setdefault(value, "host")
        for mapping in [*labels, *nodes]:
            for name, prefix in wanted.items():
                value = mapping.get(name)
                if not isinstance(value, str) or not value.strip():
                    continue
                if name == "instance" and prefix == "host":
                    value = _host_part(value)
                    if not value:
                        continue
                self._literals.setdefault(value, prefix)
        self._regex = None

    def text(self, value: str) -> str:
        """`value` with every sensitive part replaced by its pseudonym."""
        if not self.patterns:
            return value
        done = self._done.get(value)
        if done is not None:
            return done
        regex = self._compiled()
        result = value if regex is None else regex.sub(self._replace, value)
        self._done[value] = result
        return result

    def value(self, data: Any, *, free_keys: bool = False) -> Any:
        """Redact every string in a JSON-like value.

        Keys are the snapshot's own structure and stay as they are, except in
        `labels` and `annotations`, whose names are data too; the values of
        enumerations (`severity`, `status`, ...) stay readable by the reader.
        """
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            out: dict[Any, Any] = {}
            for key, item in data.items():
                if free_keys:
                    out[self.text(key) if isinstance(key, str) else key] = self.value(item)
                elif key in _STRUCTURAL:
                    out[key] = item
                else:
                    out[key] = self.value(item, free_keys=key in _FREE_KEYED)
            return out
        if isinstance(data, list | tuple):
            return [self.value(item) for item in data]
        return data

    # -- internals -------------------------------------------------------------

    def _compiled(self) -> re.Pattern[str] | None:
        if self._regex is not None:
            return self._regex
        parts: list[str] = []
        prefixes: list[str] = []
        for pattern in self.patterns:
            if pattern.kind == "text":
                self._literals.setdefault(pattern.value, "redacted")
        for pattern in self.patterns:
            if pattern.kind == "regex":
                parts.append(pattern.value)
                prefixes.append("redacted")
        if any(p.kind == "ip" for p in self.patterns):
            parts.extend((_IPV4, _IPV6))
            prefixes.extend(("ip", "ip"))
        if any(p.kind == "hostnames" for p in self.patterns):
            parts.append(_FQDN)
            prefixes.append("host")
        # Literals as one trie per prefix (fast), longest match first, so a longer
        # value is never half-replaced by a shorter one.
        by_prefix: dict[str, list[str]] = {}
        for literal, prefix in self._literals.items():
            by_prefix.setdefault(prefix, []).append(literal)
        for prefix in sorted(by_prefix):
            parts.append(_trie_pattern(by_prefix[prefix]))
            prefixes.append(prefix)
        if not parts:
            return None
        self._prefixes = prefixes
        self._done.clear()
        self._regex = re.compile("|".join(f"({part})" for part in _ungroup(parts)))
        return self._regex

    def _replace(self, match: re.Match[str]) -> str:
        original = match.group(0)
        cached = self._cache.get(original)
        if cached is not None:
            return cached
        if not original:
            return original
        prefix = "redacted"
        index = match.lastindex
        if index is not None and index - 1 < len(self._prefixes):
            prefix = self._prefixes[index - 1]
        digest = hmac.new(self.key, original.encode("utf-8", "surrogatepass"), hashlib.sha256)
        hexdigest = digest.hexdigest()
        length = 6
        pseudonym = f"{prefix}-{hexdigest[:length]}"
        while self._taken.get(pseudonym, original) != original and length < len(hexdigest):
            length += 2
            pseudonym = f"{prefix}-{hexdigest[:length]}"
        self._taken[pseudonym] = original
        self._cache[original] = pseudonym
        return pseudonym


def _ungroup(parts: list[str]) -> list[str]:
    """Make a user's capturing groups non-capturing, so `lastindex` names the pattern.

    Python's `lastindex` is the last *closed* group: an inner group of a
    user's regex would shadow the outer one. Named and numbered groups are
    turned into `(?:`; escaped parentheses and classes are left alone.
    """
    out: list[str] = []
    for part in parts:
        rewritten: list[str] = []
        i = 0
        in_class = False
        while i < len(part):
            ch = part[i]
            if ch == "\\":
                rewritten.append(part[i : i + 2])
                i += 2
                continue
            if in_class:
                in_class = ch != "]"
            elif ch == "[":
                in_class = True
            elif ch == "(":
                if part.startswith("(?P<", i):
                    end = part.index(">", i)
                    rewritten.append("(?:")
                    i = end + 1
                    continue
                if not part.startswith("(?", i):
                    rewritten.append("(?:")
                    i += 1
                    continue
            rewritten.append(ch)
            i += 1
        out.append("".join(rewritten))
    return out


def _trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, longest first, as a character trie (no backtracking
    over hundreds of alternatives at every position)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy: the longer word is tried first, the shorter one when it ends here.
        return f"(?:{body})?" if ends else body

    return build(trie)


def _prefix(name: str) -> str:
    cleaned = _PREFIX_CLEAN.sub("-", name.lower()).strip("-")
    return cleaned[:24] or "label"


def _host_part(instance: str) -> str:
    """`instance` without its port (`10.0.0.1:9100` -> `10.0.0.1`, `[::1]:80` -> `::1`)."""
    value = instance.strip()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value
