"""Calls as typed pandas DataFrames: one row per call, metadata flattened, tokens masked by default.

`client.calls_frame(**filters)` is the client's thin method over `calls_to_frame`; this module never imports
the client.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd

from .errors import ValidationError
from .models import KNOWN_STATUSES, Call, mask_token

CallLike = Call | Mapping[str, Any]

BASE_COLUMNS = (
    "id",
    "status",
    "agent_id",
    "created_at",
    "updated_at",
    "duration_seconds",
    "cost_amount",
    "cost_currency",
    "room_id",
    "participant_identity",
    "livekit_url",
    "livekit_token",
)
_STRING_COLUMNS = ("id", "agent_id", "cost_currency", "room_id", "participant_identity", "livekit_url", "livekit_token")
METADATA_PREFIX = "metadata."
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def check_include_tokens(include_tokens: object) -> None:
    """Refuse anything but a bool, which a truthy string such as "no" would otherwise pass as.

    Args:
        include_tokens: the value given.

    Raises:
        ValidationError: it is not a bool.
    """
    if not isinstance(include_tokens, bool):
        raise ValidationError.of_field(
            "calls frame", "include_tokens", f"must be True or False, got {include_tokens!r}"
        )


def _as_dict(call: object, position: int) -> Mapping[str, Any]:
    if isinstance(call, Call):
        return call.model_dump()
    if isinstance(call, Mapping):
        return call
    raise ValidationError.of_field(
        "calls", f"calls[{position}]", f"must be a Call or the API's call dict, got a {type(call).__name__}"
    )


def calls_to_frame(calls: Iterable[CallLike], *, include_tokens: bool = False) -> pd.DataFrame:
    """One row per call with documented dtypes.

    `created_at`/`updated_at` are tz-aware (UTC), `status` is categorical, durations and costs are floats,
    identifiers are pandas strings, each metadata key becomes a `metadata.<key>` column. The LiveKit token is
    masked unless `include_tokens=True`. Accepts `Call` objects or the API's call dicts.

    Args:
        calls: `Call` objects or the API's call dicts, in any iterable (a `list_calls()` iterator streams).
        include_tokens: keep the full LiveKit tokens (masked by default).

    Returns:
        One row per call.

    Raises:
        ValidationError: `calls` is not an iterable of calls, or `include_tokens` not a bool.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> calls = [client.create_web_call(agent.id, metadata={"ticket": n, "vip": n == 2}) for n in (1, 2)]
        >>> frame = convoi_nb.calls_to_frame(calls)
        >>> frame[["metadata.ticket", "metadata.vip"]]
           metadata.ticket  metadata.vip
        0                1         False
        1                2          True
        >>> frame.dtypes[["created_at", "status", "metadata.ticket"]].astype(str).tolist()
        ['datetime64[ns, UTC]', 'category', 'Int64']
    """
    check_include_tokens(include_tokens)
    if isinstance(calls, (str, bytes, Mapping, Call)) or not isinstance(calls, Iterable):
        raise ValidationError.of_field(
            "calls", "calls", f"must be an iterable of Call objects or call dicts, got a {type(calls).__name__}"
        )
    columns: dict[str, list[Any]] = {name: [] for name in BASE_COLUMNS}
    metadata_rows: list[Mapping[str, Any]] = []
    reveal = (lambda token: token) if include_tokens else mask_token
    # One pass over plain dicts, appending to column lists: several times faster than json_normalize.
    for position, call in enumerate(calls):
        data = _as_dict(call, position)
        livekit, cost = data.get("livekit") or {}, data.get("cost") or {}
        columns["id"].append(data.get("id"))
        columns["status"].append(data.get("status"))
        columns["agent_id"].append(data.get("agent_id"))
        columns["created_at"].append(data.get("created_at"))
        columns["updated_at"].append(data.get("updated_at"))
        columns["duration_seconds"].append(data.get("duration_seconds"))
        amount = cost.get("amount")
        columns["cost_amount"].append(float(amount) if amount is not None else None)  # Decimal in a Call
        columns["cost_currency"].append(cost.get("currency"))
        columns["room_id"].append(data.get("room_id"))
        columns["participant_identity"].append(livekit.get("participant_identity"))
        columns["livekit_url"].append(livekit.get("url"))
        columns["livekit_token"].append(reveal(livekit.get("token")))
        metadata_rows.append(data.get("metadata") or {})
    return _typed(columns, metadata_rows)


def _typed(columns: dict[str, list[Any]], metadata_rows: list[Mapping[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            **{name: pd.array(columns[name], dtype="string") for name in _STRING_COLUMNS},
            "status": pd.Categorical(columns["status"], categories=_status_categories(columns["status"])),
            "created_at": _timestamps(columns["created_at"]),
            "updated_at": _timestamps(columns["updated_at"]),
            "duration_seconds": pd.array(columns["duration_seconds"], dtype="float64"),
            "cost_amount": pd.array(columns["cost_amount"], dtype="float64"),
        },
        columns=list(BASE_COLUMNS),
    )
    keys: dict[str, None] = {}
    for row in metadata_rows:
        keys.update(dict.fromkeys(row))
    if not keys:
        return frame
    # All metadata columns in one concat: inserting hundreds one by one fragments the frame (and warns).
    metadata = pd.DataFrame(
        {METADATA_PREFIX + key: scalar_column([row.get(key) for row in metadata_rows]) for key in keys},
        index=frame.index,
    )
    return pd.concat([frame, metadata], axis=1)


def scalar_column(values: list[Any]) -> pd.Series:
    """A column with the narrowest honest dtype that always exports (CSV, Parquet).

    strings → `string`; booleans → `boolean`; integers → `Int64`; numbers → `float64`; a column mixing kinds
    (say 3 in one call, "gold" in another) → `string`, each value as its JSON text; lists and objects → JSON text.

    Args:
        values: one metadata key's value in each call (None where a call lacks it).

    Returns:
        The column.
    """
    dtype = metadata_dtype(metadata_kinds(values))
    return pd.Series(metadata_values(values, dtype), dtype=dtype)


# The per-key dtype decision, split in two so that the Parquet export (convoi_nb.review) can decide it over
# values it saw in earlier pages and days: the kinds of a key's values union across batches, the dtype follows.
def metadata_kinds(values: Iterable[Any]) -> frozenset[str]:
    """The kinds of JSON values a metadata key holds.

    `string`, `boolean`, `int53` (exact as a float), `int64`, `bigint` (beyond 64 bits), `float` and `json`
    (lists, objects). None is no kind.

    Args:
        values: a metadata key's values.

    Returns:
        The kinds present.
    """
    values = list(values)
    kinds: set[str] = set()
    for kind in set(map(type, values)):  # exact types: bool is not counted as int
        if kind is int:
            ints = [v for v in values if type(v) is int]
            kinds.add(
                "int53"
                if all(abs(v) < 2**53 for v in ints)
                else "int64"
                if all(_INT64_MIN <= v <= _INT64_MAX for v in ints)
                else "bigint"
            )
        elif kind is not type(None):
            kinds.add(_KIND_OF.get(kind, "json"))
    return frozenset(kinds)


_KIND_OF = {str: "string", bool: "boolean", float: "float"}


def metadata_dtype(kinds: Iterable[str]) -> str:
    """The pandas dtype for a key whose values have these `metadata_kinds` (all of them: a union is fine).

    Args:
        kinds: kinds from `metadata_kinds`.

    Returns:
        A pandas dtype name.
    """
    kinds = frozenset(kinds)
    if kinds <= {"string"}:
        return "string"
    if kinds == {"boolean"}:
        return "boolean"
    if kinds <= {"int53", "int64"}:
        return "Int64"
    if kinds <= {"int53", "float"}:  # every integer exact as a float
        return "float64"
    return "string"  # mixed kinds: JSON text


def metadata_values(values: Iterable[Any], dtype: str) -> list[Any]:
    """The values as that dtype holds them: floats for `float64`, JSON text for non-strings in `string`.

    Args:
        values: a metadata key's values.
        dtype: the dtype `metadata_dtype` chose.

    Returns:
        The values, converted.
    """
    if dtype == "float64":
        return [float("nan") if v is None else float(v) for v in values]
    if dtype == "string":
        return [v if v is None or isinstance(v, str) else _json_text(v) for v in values]
    return list(values)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _status_categories(statuses: list[Any]) -> list[str]:
    extra = sorted({s for s in statuses if s is not None and s not in KNOWN_STATUSES})
    return [*KNOWN_STATUSES, *extra]


def _timestamps(values: list[Any]) -> pd.Series:
    if values and isinstance(values[0], datetime):
        return pd.Series(pd.to_datetime(values, utc=True))
    return pd.Series(pd.to_datetime(values, utc=True, format="ISO8601"))
