"""Secrets for the stores: read from an environment variable or a file, never shown.

A `Secret` masks itself in `repr`/`str`, so a config object holding one can be
logged or shown in an error without leaking it; only `reveal()` gives the text,
and only the driver call that needs it calls it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

MASK = "***"


class SecretError(ValueError):
    """A secret file that cannot be used; the message never contains the secret."""


class Secret:
    """A token or password; masked in repr, str and format."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that authenticates with it."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def scrub(self, text: str) -> str:
        """`text` with every occurrence of the secret replaced by the mask."""
        return text.replace(self._value, MASK) if self._value else text

    def __reduce__(self) -> tuple[object, ...]:  # never serialised by accident
        raise TypeError("a Secret cannot be serialised")


def secret_from_file(path: str | Path) -> Secret:
    """The first line of a file (surrounding whitespace stripped).

    Raises SecretError naming the file, never its content, when it cannot be
    read or is empty.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SecretError(f"cannot read secret file {str(path)!r}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise SecretError(f"secret file {str(path)!r} is not UTF-8 text") from None
    value = text.splitlines()[0].strip() if text.strip() else ""
    if not value:
        raise SecretError(f"secret file {str(path)!r} is empty")
    return Secret(value)


def secret_from_env(names: Iterable[str]) -> Secret | None:
    """The first non-empty environment variable of `names`, or None."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return Secret(value)
    return None


def resolve_secret(file: str | Path | None, env_names: Iterable[str]) -> Secret | None:
    """A secret from `file` when given, else from the first set environment variable."""
    if file is not None:
        return secret_from_file(file)
    return secret_from_env(env_names)
