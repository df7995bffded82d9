"""Kafka connection options: bootstrap, topics, group, start position, librdkafka properties.

Shared by the console (`watchfloor --kafka ...`) and the headless commands
(`record`, `analyze --kafka`). Any librdkafka property can be given with
`-X key=value` or a Java-style properties file (`--kafka-config FILE`), SASL and
SSL included; the values of secret properties (passwords, keys, tokens) are
never logged, shown or written anywhere: `describe()` and `redacted()` mask them.
"""

from __future__ import annotations

import argparse
import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from core.model import parse_time

__all__ = [
    "KafkaConfigError",
    "KafkaOptions",
    "StartPosition",
    "add_kafka_arguments",
    "is_secret",
    "load_properties",
    "options_from_args",
    "parse_start",
    "redacted",
]

MASK: Final = "********"
# A property whose name contains one of these holds a secret (librdkafka names:
# sasl.password, ssl.key.password, ssl.keystore.password, ssl.key.pem,
# sasl.oauthbearer.client.secret, sasl.oauthbearer.config, ...).
_SECRET_PARTS: Final = (
    "password",
    "secret",
    "token",
    "credential",
    "ssl.key.pem",
    "ssl_key",
    "private",
    "sasl.oauthbearer.config",
    "sasl.oauthbearer.assertion",
)
# Properties Watchfloor sets itself: a user's value would break at-least-once.
_RESERVED: Final = frozenset(("enable.auto.commit", "enable.auto.offset.store"))
_KEY: Final = re.compile(r"^[A-Za-z0-9_.\-]+$")

StartKind = Literal["committed", "earliest", "latest", "time"]


class KafkaConfigError(ValueError):
    """An option or properties file that cannot be used; one line for the operator."""


def is_secret(key: str) -> bool:
    """Whether a librdkafka property holds a secret that must never be shown."""
    lowered = key.lower()
    return any(part in lowered for part in _SECRET_PARTS)


def redacted(config: dict[str, str]) -> dict[str, str]:
    """`config` with every secret value masked (for logs and the About box)."""
    return {key: (MASK if is_secret(key) else value) for key, value in config.items()}


@dataclass(frozen=True, slots=True)
class StartPosition:
    """Where to start reading a partition that has no position yet."""

    kind: StartKind = "committed"
    time: float | None = None  # epoch seconds, for kind "time"

    def describe(self) -> str:
        if self.kind == "time" and self.time is not None:
            from core.model import format_time

            return f"from {format_time(self.time)}"
        return f"from {self.kind}"


def parse_start(text: str) -> StartPosition:
    """'committed', 'earliest', 'latest', or a time (RFC 3339 or epoch seconds/ms)."""
    value = text.strip().lower()
    if value in ("committed", "earliest", "latest"):
        return StartPosition(value)  # type: ignore[arg-type]
    if value in ("beginning", "start"):
        return StartPosition("earliest")
    if value in ("end", "now"):
        return StartPosition("latest")
    try:
        return StartPosition("time", parse_time(text))
    except ValueError:
        raise KafkaConfigError(
            f"expected committed, earliest, latest or a time (RFC 3339 or epoch), got {text!r}"
        ) from None


def load_properties(path: str | Path) -> dict[str, str]:
    """Read a Java-style properties file: `key=value` (or `key: value`), `#`/`!` comments."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KafkaConfigError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise KafkaConfigError(f"{str(path)!r} is not UTF-8 text") from None
    properties: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped[0] in "#!":
            continue
        try:
            key, value = _split_property(stripped)
        except KafkaConfigError as exc:
            raise KafkaConfigError(f"{path.name} line {number}: {exc}") from None
        properties[key] = value
    return properties


def parse_assignments(items: list[str]) -> dict[str, str]:
    """`-X key=value` options as a dict (later ones win)."""
    properties: dict[str, str] = {}
    for item in items:
        key, value = _split_property(item.strip())
        properties[key] = value
    return properties


def _split_property(text: str) -> tuple[str, str]:
    match = re.match(r"^([^=:\s]+)\s*[=:]\s*(.*)$", text)
    if match is None:
        raise KafkaConfigError(f"expected key=value, got {_mask_value(text)!r}")
    key, value = match.group(1), match.group(2).strip()
    if not _KEY.match(key):
        raise KafkaConfigError(f"not a librdkafka property name: {key!r}")
    if key in _RESERVED:
        raise KafkaConfigError(
            f"{key} is managed by Watchfloor (offsets are committed after apply)"
        )
    return key, value


def _mask_value(text: str) -> str:
    """A malformed `key=value` item, its value part masked when the key looks secret."""
    head = re.split(r"[=:\s]", text, maxsplit=1)[0]
    return f"{head}={MASK}" if is_secret(head) else text


def default_group() -> str:
    """One consumer group per operator account, so two consoles do not split a topic."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): still a stable group
        user = "console"
    return f"watchfloor-{re.sub(r'[^A-Za-z0-9_.-]', '_', user)}"


@dataclass(frozen=True, slots=True)
class KafkaOptions:
    """Everything needed to consume alert topics."""

    bootstrap: str
    topics: tuple[str, ...]
    group: str | None = None
    start: StartPosition = StartPosition()
    properties: dict[str, str] = field(default_factory=dict)
    dead_letter: str | None = None

    def consumer_config(self, **overrides: object) -> dict[str, object]:
        """The librdkafka configuration: defaults, then the user's properties, then ours."""
        config: dict[str, object] = {
            "bootstrap.servers": self.bootstrap,
            "client.id": "watchfloor",
            # A broker that comes back is found again quickly, without hammering it.
            "reconnect.backoff.ms": 250,
            "reconnect.backoff.max.ms": 5_000,
            "auto.offset.reset": "latest" if self.start.kind == "latest" else "earliest",
        }
        config.update(self.properties)
        config["enable.auto.commit"] = False
        config["enable.auto.offset.store"] = False
        if self.group is not None:
            config["group.id"] = self.group
        config.update(overrides)
        return config

    def producer_config(self) -> dict[str, object]:
        """For the dead-letter topic: the same cluster and security properties."""
        config: dict[str, object] = {"bootstrap.servers": self.bootstrap}
        for key, value in self.properties.items():
            if key.startswith(("security.", "sasl.", "ssl.", "client.", "socket.", "broker.")):
                config[key] = value
        config["enable.idempotence"] = False
        config["acks"] = "all"
        return config

    def describe(self) -> str:
        """What the status bar and logs say: broker, topics, group, never a secret."""
        text = f"kafka {self.bootstrap} {','.join(self.topics)}"
        if self.group:
            text += f" (group {self.group})"
        return text


def add_kafka_arguments(
    parser: argparse.ArgumentParser, *, required: bool = False, default_from: str = "committed"
) -> None:
    """The Kafka options shared by the console and the headless commands."""
    parser.add_argument(
        "--kafka",
        metavar="BOOTSTRAP",
        required=required,
        help="Kafka bootstrap servers, host:port[,host:port]",
    )
    parser.add_argument(
        "--topic",
        metavar="TOPIC",
        action="append",
        default=[],
        help="topic to read (repeat, or comma-separate, for several)",
    )
    parser.add_argument("--group", metavar="ID", help="consumer group id")
    parser.add_argument(
        "--from",
        dest="kafka_from",
        metavar="WHERE",
        default=default_from,
        help="where to start: committed, earliest, latest, or a time "
        f"(RFC 3339 or epoch) (default: {default_from})",
    )
    parser.add_argument(
        "-X",
        dest="kafka_properties",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="any librdkafka property, e.g. -X security.protocol=SASL_SSL (repeatable)",
    )
    parser.add_argument(
        "--kafka-config",
        metavar="FILE",
        help="librdkafka properties file (key=value lines); -X options override it",
    )


def options_from_args(
    args: argparse.Namespace, *, default_group_id: str | None = None
) -> KafkaOptions:
    """Check the Kafka options of a parsed command line (raises KafkaConfigError)."""
    bootstrap = (args.kafka or "").strip()
    if not bootstrap:
        raise KafkaConfigError("--kafka: give the bootstrap servers, host:port")
    topics = tuple(
        topic.strip() for item in args.topic for topic in item.split(",") if topic.strip()
    )
    if not topics:
        raise KafkaConfigError("--topic: give at least one topic")
    try:
        start = parse_start(args.kafka_from)
    except KafkaConfigError as exc:
        raise KafkaConfigError(f"--from: {exc}") from None
    properties: dict[str, str] = {}
    if args.kafka_config:
        properties.update(load_properties(args.kafka_config))
    try:
        properties.update(parse_assignments(args.kafka_properties))
    except KafkaConfigError as exc:
        raise KafkaConfigError(f"-X: {exc}") from None
    group = args.group or properties.pop("group.id", None) or default_group_id
    if start.kind == "committed" and group is None:
        raise KafkaConfigError("--from committed needs a consumer group (--group ID)")
    dead_letter = getattr(args, "dead_letter", None)
    return KafkaOptions(
        bootstrap=bootstrap,
        topics=topics,
        group=group,
        start=start,
        properties=properties,
        dead_letter=dead_letter or None,
    )
