"""Deployment history tables: reading them and deciding what each column is.

A history is a CSV (or Parquet) table, one row per deployment or change. Each
column has a role: the outcome `label`, the deployment `time`, an `id`, the
`service` (topology component) it touches, or a feature. Roles not given are
found by name (`DEFAULT_ROLE_NAMES`, first match wins); every other column is
a feature, numeric when all its values read as numbers (true/false and yes/no
count as 1/0), categorical otherwise.

Some columns are set aside on their own, each with a note the commands print:
pandas' unnamed index column, a column equal to the label on every row (it
would leak the outcome), and a text column that is different on nearly every
row (an identifier, not a feature). Missing feature values are kept and
imputed by the model; a missing time or id, a label that is not a yes/no
value, or a mostly numeric column with a few stray words are errors naming
the line.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_ROLE_NAMES",
    "ColumnRoles",
    "History",
    "HistoryError",
    "Schema",
    "load_history",
    "load_plan",
    "read_table",
]

DEFAULT_ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "label": ("failed", "label", "outcome", "bug", "incident", "rolled_back"),
    "time": ("time", "timestamp", "date", "deployed_at", "created_at", "when"),
    "id": ("deploy_id", "deployment_id", "change_id", "id", "_id", "commit"),
    "service": ("service", "component"),
}
"""Column names tried, in order, for each role not given on the command line."""

_TRUE = frozenset({"1", "true", "yes", "y", "t", "failed", "fail", "failure"})
_FALSE = frozenset({"0", "false", "no", "n", "f", "ok", "success", "succeeded", "passed"})
_IDENTIFIER_SHARE = 0.9  # a text column this unique (over 50+ rows) is an identifier
_STRAY_SHARE = 0.05  # a numeric column with at most this share of words is an error


class HistoryError(ValueError):
    """A history or plan file the risk commands cannot use; one line, for the operator."""


@dataclass(frozen=True, slots=True)
class ColumnRoles:
    """Which column plays which role; None: found by name (`DEFAULT_ROLE_NAMES`)."""

    label: str | None = None
    time: str | None = None
    id: str | None = None
    service: str | None = None
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Schema:
    """The input columns a model was trained on: what a plan must provide."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    time: str | None
    id: str | None
    service: str | None
    label: str

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    def to_json(self) -> dict[str, Any]:
        return {
            "numeric": list(self.numeric),
            "categorical": list(self.categorical),
            "time": self.time,
            "id": self.id,
            "service": self.service,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Schema:
        return cls(
            numeric=tuple(data["numeric"]),
            categorical=tuple(data["categorical"]),
            time=data["time"],
            id=data["id"],
            service=data["service"],
            label=data["label"],
        )


@dataclass(slots=True)
class History:
    """A history (or plan) table in time order, with its columns sorted into roles.

    `features` holds the feature columns only (numeric as float64, NaN for
    missing; categorical as text, None for missing). `labels` is None for a plan.
    """

    features: pd.DataFrame
    times: npt.NDArray[np.float64]
    ids: list[str]
    services: list[str] | None
    labels: npt.NDArray[np.int8] | None
    schema: Schema
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: npt.NDArray[np.intp] | Sequence[int]) -> History:
        """The given rows (positions), in that order."""
        index = np.asarray(rows, dtype=np.intp)
        return History(
            features=self.features.iloc[index].reset_index(drop=True),
            times=self.times[index],
            ids=[self.ids[i] for i in index.tolist()],
            services=None if self.services is None else [self.services[i] for i in index.tolist()],
            labels=None if self.labels is None else self.labels[index],
            schema=self.schema,
            source=self.source,
            notes=list(self.notes),
        )


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame of text and numbers (raises HistoryError)."""
    import pandas as pd

    file = Path(path)
    if not file.is_file():
        raise HistoryError(f"{file}: no such file")
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            try:
                frame = pd.read_parquet(file)
            except ImportError:
                raise HistoryError(
                    f"{file}: reading Parquet needs pyarrow (pip install pyarrow); "
                    "or save the table as CSV"
                ) from None
        else:
            # Text as object dtype: pandas 3 would otherwise infer its own string dtype.
            frame = pd.read_csv(file, low_memory=False)
            frame = frame.astype(
                {c: object for c in frame.columns if frame[c].dtype.kind not in "biufcM"}
            )
    except HistoryError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HistoryError(f"{file}: not a readable CSV/Parquet table ({first})") from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise HistoryError(f"{file}: the table has no rows")
    frame.columns = [str(c) for c in frame.columns]
    duplicated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if duplicated:
        raise HistoryError(f"{file}: duplicate column names {', '.join(duplicated)}")
    return frame


def _find(frame: pd.DataFrame, given: str | None, role: str, required: bool) -> str | None:
    columns = list(frame.columns)
    if given is not None:
        if given not in columns:
            raise HistoryError(
                f"--{role} {given!r}: no such column (columns: {', '.join(columns[:20])})"
            )
        return given
    lower = {c.lower(): c for c in columns}
    for name in DEFAULT_ROLE_NAMES[role]:
        if name in lower:
            return lower[name]
    if required:
        tried = ", ".join(DEFAULT_ROLE_NAMES[role])
        raise HistoryError(f"no {role} column (tried {tried}); name it with --{role} COLUMN")
    return None


def _line(position: int) -> int:
    """The file line of a data row (1-based, after the header)."""
    return position + 2


def _parse_times(values: pd.Series, column: str) -> npt.NDArray[np.float64]:
    import pandas as pd

    missing = values.isna().to_numpy()
    if missing.any():
        where = int(np.flatnonzero(missing)[0])
        raise HistoryError(f"column {column!r}: missing time on line {_line(where)}")
    numbers = pd.to_numeric(values, errors="coerce")
    if not numbers.isna().any():
        out = numbers.to_numpy(dtype=np.float64)
        # Epoch milliseconds when that large (Kafka's unit), as core.model does.
        return np.where(np.abs(out) >= 1e11, out / 1000.0, out)
    parsed = pd.to_datetime(values.astype(str), utc=True, errors="coerce", format="ISO8601")
    bad = parsed.isna().to_numpy()
    if bad.any():
        where = int(np.flatnonzero(bad)[0])
        raise HistoryError(
            f"column {column!r}: cannot read {str(values.iloc[where])[:40]!r} as a time "
            f"on line {_line(where)} (use RFC 3339 or epoch seconds)"
        )
    stamps = parsed.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return np.asarray(stamps, dtype=np.float64) / 1e9


def _parse_labels(values: pd.Series, column: str) -> npt.NDArray[np.float64]:
    """0.0 / 1.0, NaN where missing (raises on anything that is not a yes/no value)."""
    out = np.full(len(values), np.nan)
    for position, value in enumerate(values.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if value is True or value is False:
            out[position] = float(value)
            continue
        text = str(value).strip().lower()
        if text in ("", "nan", "<na>"):
            continue
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and number in (0.0, 1.0):
            out[position] = number
        elif text in _TRUE:
            out[position] = 1.0
        elif text in _FALSE:
            out[position] = 0.0
        else:
            raise HistoryError(
                f"column {column!r}: {str(value)[:40]!r} on line {_line(position)} is not an "
                "outcome (use 1/0, true/false, yes/no, failed/ok)"
            )
    return out


def _numeric(values: pd.Series, column: str) -> npt.NDArray[np.float64] | None:
    """The column as numbers (NaN for missing), or None when it is text."""
    import pandas as pd

    present = values.notna().to_numpy()
    if values.dtype == bool or str(values.dtype) == "boolean":
        return values.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = np.array(pd.to_numeric(values, errors="coerce"), dtype=np.float64)
    words = present & np.isnan(numbers)
    if not words.any():
        return numbers
    text = values[words].astype(str).str.strip().str.lower()
    flags = text.map(lambda t: 1.0 if t in _TRUE else 0.0 if t in _FALSE else np.nan)
    numbers[words] = flags.to_numpy(dtype=np.float64)
    still = present & np.isnan(numbers)
    if not still.any():
        return numbers
    if still.sum() <= max(1, _STRAY_SHARE * present.sum()) and (~still & present).any():
        where = int(np.flatnonzero(still)[0])
        raise HistoryError(
            f"column {column!r} is numeric but has {int(still.sum())} value(s) that are not "
            f"numbers, first {str(values.iloc[where])[:40]!r} on line {_line(where)} "
            f"(fix them, leave them empty, or --exclude {column})"
        )
    return None


def _categorical(values: pd.Series) -> npt.NDArray[np.object_]:
    out = values.astype(object).to_numpy()
    result = np.empty(len(out), dtype=object)
    for i, v in enumerate(out.tolist()):
        missing = v is None or (isinstance(v, float) and math.isnan(v)) or str(v) == "<NA>"
        result[i] = None if missing else str(v)
    return result


def load_history(path: str | Path, roles: ColumnRoles | None = None) -> History:
    """Read a labelled deployment history and sort its columns into roles and features."""
    frame = read_table(path)
    return history_from_frame(frame, roles or ColumnRoles(), source=str(path))


def history_from_frame(frame: pd.DataFrame, roles: ColumnRoles, *, source: str = "") -> History:
    """`load_history` for a table already in memory."""

    for name in roles.exclude:
        if name not in frame.columns:
            raise HistoryError(f"--exclude {name!r}: no such column")
    label = _find(frame, roles.label, "label", True)
    time = _find(frame, roles.time, "time", True)
    ident = _find(frame, roles.id, "id", False)
    service = _find(frame, roles.service, "service", False)
    assert label is not None and time is not None
    taken = [c for c in (label, time, ident, service) if c is not None]
    if len(set(taken)) != len(taken):
        raise HistoryError(f"one column has two roles: {', '.join(taken)}")
    notes: list[str] = []

    labels = _parse_labels(frame[label], label)
    unlabelled = np.isnan(labels)
    if unlabelled.all():
        raise HistoryError(f"column {label!r}: no row has an outcome")
    if unlabelled.any():
        first = _line(int(np.flatnonzero(unlabelled)[0]))
        notes.append(
            f"{int(unlabelled.sum())} row(s) without an outcome in {label!r} left out "
            f"(first on line {first})"
        )
        frame = frame.loc[~unlabelled].reset_index(drop=True)
        labels = labels[~unlabelled]
    times = _parse_times(frame[time], time)

    numeric: dict[str, npt.NDArray[np.float64]] = {}
    categorical: dict[str, npt.NDArray[np.object_]] = {}
    for column in frame.columns:
        if column in taken or column in roles.exclude:
            continue
        values = frame[column]
        if column == "" or column.startswith("Unnamed: "):
            notes.append(f"column {column!r} (an unnamed index) set aside")
            continue
        as_numbers = _numeric(values, column)
        if as_numbers is not None:
            if np.array_equal(as_numbers, labels):
                notes.append(f"column {column!r} equals the outcome on every row: set aside")
                continue
            numeric[column] = as_numbers
            continue
        text = _categorical(values)
        distinct = len({v for v in text.tolist() if v is not None})
        if len(text) >= 50 and distinct >= _IDENTIFIER_SHARE * len(text):
            notes.append(f"column {column!r} is different on nearly every row: set aside")
            continue
        categorical[column] = text
    if service is not None and service not in roles.exclude:
        # The service is a feature too: services differ in how reliable they are.
        categorical[service] = _categorical(frame[service])
    if not numeric and not categorical:
        raise HistoryError("no feature columns left (every column has a role or is excluded)")

    schema = Schema(
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        time=time,
        id=ident,
        service=service,
        label=label,
    )
    features = _frame(numeric, categorical)
    history = History(
        features=features,
        times=times,
        ids=_ids(frame, ident),
        services=_services(frame, service),
        labels=labels.astype(np.int8),
        schema=schema,
        source=source,
        notes=notes,
    )
    # Time order; a stable sort keeps file order among deployments at the same time.
    order = np.argsort(times, kind="stable")
    if not np.array_equal(order, np.arange(len(order))):
        history = history.take(order)
    return history


def _frame(
    numeric: dict[str, npt.NDArray[np.float64]], categorical: dict[str, npt.NDArray[np.object_]]
) -> pd.DataFrame:
    """Numbers as float64, categories as object columns with None for missing."""
    import pandas as pd

    columns: dict[str, Any] = dict(numeric)
    columns.update({k: pd.Series(v, dtype=object) for k, v in categorical.items()})
    return pd.DataFrame(columns)


def _ids(frame: pd.DataFrame, column: str | None) -> list[str]:
    if column is None:
        return [f"line {_line(i)}" for i in range(len(frame))]
    values = frame[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise HistoryError(f"column {column!r}: missing id on line {_line(int(missing.argmax()))}")
    return [str(v) for v in values.tolist()]


def _services(frame: pd.DataFrame, column: str | None) -> list[str] | None:
    if column is None:
        return None
    return ["" if v is None else str(v) for v in _categorical(frame[column]).tolist()]


def load_plan(path: str | Path, schema: Schema) -> History:
    """Read planned deployments and check them against the model's training schema."""
    return plan_from_frame(read_table(path), schema, source=str(path))


def plan_from_frame(frame: pd.DataFrame, schema: Schema, *, source: str = "") -> History:
    """`load_plan` for a table already in memory (raises HistoryError on a mismatch)."""

    needed = list(schema.features)
    if schema.time is not None:
        needed.append(schema.time)
    if schema.service is not None:
        needed.append(schema.service)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise HistoryError(
            f"the plan does not match the model: it lacks column(s) {', '.join(missing)} "
            "that the model was trained with"
        )
    numeric: dict[str, npt.NDArray[np.float64]] = {}
    for column in schema.numeric:
        as_numbers = _numeric(frame[column], column)
        if as_numbers is None:
            raise HistoryError(
                f"the plan does not match the model: column {column!r} was numeric in "
                "training but holds text here"
            )
        numeric[column] = as_numbers
    categorical = {column: _categorical(frame[column]) for column in schema.categorical}
    times = (
        _parse_times(frame[schema.time], schema.time)
        if schema.time is not None
        else np.zeros(len(frame), dtype=np.float64)
    )
    ident = schema.id if schema.id is not None and schema.id in frame.columns else None
    notes = []
    extra = [c for c in frame.columns if c not in needed and c not in (schema.id, schema.label)]
    if extra:
        notes.append(f"column(s) not used by the model: {', '.join(extra[:10])}")
    return History(
        features=_frame(numeric, categorical),
        times=times,
        ids=_ids(frame, ident),
        services=_services(frame, schema.service),
        labels=None,
        schema=schema,
        source=source,
        notes=notes,
    )
