"""The Arrow schema of an exported call dataset.

The frames' columns (convoi_nb.frames) less the LiveKit token, money as a decimal, and `metadata.<key>` columns
typed by the frames' own per-key rule.

Timestamps are microseconds in UTC (what Spark and Trino read; pandas keeps the time zone), `status` is
dictionary-encoded (a category in pandas), `cost_amount` is DECIMAL(18, 9) (exact sums in SQL), `metadata` keeps
each call's metadata as JSON text, so typed columns can be rebuilt when a key's type widens.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..frames import BASE_COLUMNS, METADATA_PREFIX, metadata_dtype, metadata_kinds, metadata_values
from ..models import KNOWN_STATUSES, Call

MONEY = pa.decimal128(18, 9)
_MONEY_STEP = Decimal("1e-9")
TIMESTAMP = pa.timestamp("us", tz="UTC")
METADATA_JSON = "metadata"
# pandas dtype (frames.metadata_dtype) -> Arrow type
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "boolean": pa.bool_(),
    "Int64": pa.int64(),
    "float64": pa.float64(),
}
_TYPES = {
    "status": pa.dictionary(pa.int32(), pa.string()),
    "created_at": TIMESTAMP,
    "updated_at": TIMESTAMP,
    "duration_seconds": pa.float64(),
    "cost_amount": MONEY,
}
# Never a token column: the export writes no credential, not even a masked one.
COLUMNS: tuple[str, ...] = tuple(name for name in BASE_COLUMNS if name != "livekit_token")
BASE_SCHEMA = pa.schema(
    [pa.field(name, _TYPES.get(name, pa.string())) for name in COLUMNS] + [pa.field(METADATA_JSON, pa.string())]
)


def call_row(call: Call) -> tuple[Any, ...]:
    """One call as the base columns' values (in `COLUMNS` order), then its metadata as JSON text.

    Args:
        call: The call.

    Returns:
        The row.
    """
    amount = call.cost.amount
    if amount.as_tuple().exponent < -9:  # type: ignore[operator]  # finer than the column keeps
        amount = amount.quantize(_MONEY_STEP)
    return (
        call.id,
        call.status,
        call.agent_id,
        call.created_at,
        call.updated_at,
        call.duration_seconds,
        amount,
        call.cost.currency,
        call.room_id,
        call.livekit.participant_identity,
        call.livekit.url,
        metadata_json(call.metadata),
    )


def metadata_json(metadata: Mapping[str, Any]) -> str:
    """A call's metadata as JSON text, keys sorted.

    Args:
        metadata: The call's metadata.

    Returns:
        The JSON text.
    """
    # sorted keys: the same metadata is the same text, so files rebuilt from it are byte for byte the same
    return json.dumps(metadata, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def base_table(rows: Sequence[tuple[Any, ...]]) -> pa.Table:
    """The base columns of these rows (from `call_row`), ordered by creation time then id.

    Args:
        rows: Rows from `call_row`.

    Returns:
        The table.
    """
    columns: list[Sequence[Any]] = list(zip(*rows, strict=False)) if rows else [[] for _ in BASE_SCHEMA]
    arrays = []
    for field, values in zip(BASE_SCHEMA, columns, strict=False):
        if field.name == "status":
            arrays.append(_statuses(values))
        else:
            arrays.append(pa.array(values, type=field.type))
    table = pa.Table.from_arrays(arrays, schema=BASE_SCHEMA)
    return table.take(pc.sort_indices(table, [("created_at", "ascending"), ("id", "ascending")]))


def normalized(base: pa.Table) -> pa.Table:
    """Base columns read back from a file, as `base_table` builds them (the status dictionary included).

    Args:
        base: The base columns as read.

    Returns:
        The table.
    """
    base = base.select(BASE_SCHEMA.names)
    status = _statuses(base.column("status").to_pylist())
    return base.set_column(base.schema.get_field_index("status"), BASE_SCHEMA.field("status"), status).cast(BASE_SCHEMA)


def _statuses(values: Sequence[str]) -> pa.DictionaryArray:
    extra = sorted(set(values) - set(KNOWN_STATUSES))  # a status from a newer server is one more category
    dictionary = pa.array([*KNOWN_STATUSES, *extra], type=pa.string())
    index = {status: i for i, status in enumerate(dictionary.to_pylist())}
    return pa.DictionaryArray.from_arrays(pa.array([index[v] for v in values], type=pa.int32()), dictionary)


def decoded_metadata(base: pa.Table) -> list[dict[str, Any]]:
    """Each row's metadata, decoded from its JSON column.

    Args:
        base: A table with the base columns.

    Returns:
        One dict per row.
    """
    return [json.loads(text) for text in base.column(METADATA_JSON).to_pylist()]


def kinds_of(decoded: Sequence[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Each metadata key's kinds of values in these calls (frames.metadata_kinds).

    Args:
        decoded: The calls' metadata.

    Returns:
        The kinds, by key.
    """
    keys = sorted({key for metadata in decoded for key in metadata})
    return {key: metadata_kinds(metadata.get(key) for metadata in decoded) for key in keys}


def with_metadata_columns(
    base: pa.Table, decoded: Sequence[Mapping[str, Any]], kinds: Mapping[str, Sequence[str]]
) -> pa.Table:
    """`base` plus one `metadata.<key>` column per key its calls carry (sorted by key).

    Each column has the type the dataset-wide `kinds` of its key give, so every file of a dataset agrees on a
    key's type.

    Args:
        base: The base columns.
        decoded: Each row's metadata.
        kinds: The dataset's kinds of values, by key.

    Returns:
        The table with its metadata columns.
    """
    table = base
    for key in sorted({key for metadata in decoded for key in metadata}):
        dtype = metadata_dtype(kinds[key])
        values = metadata_values((metadata.get(key) for metadata in decoded), dtype)
        table = table.append_column(
            pa.field(METADATA_PREFIX + key, ARROW_TYPES[dtype]),
            pa.array(values, type=ARROW_TYPES[dtype], from_pandas=True),
        )
    return table


def schema_problems(schema: pa.Schema, kinds: Mapping[str, Sequence[str]]) -> list[str]:
    """How a file's schema differs from what an export with these metadata `kinds` writes.

    The export writes the base columns in order and type, then `metadata.<key>` columns of known keys only,
    each of its key's type.

    Args:
        schema: The file's Arrow schema.
        kinds: The manifest's metadata keys and their kinds of values.

    Returns:
        One line per difference; empty when the file is as the export writes it.
    """
    base = schema.names[: len(BASE_SCHEMA)]
    if base != BASE_SCHEMA.names:
        return [f"its first columns are {', '.join(base)}, not {', '.join(BASE_SCHEMA.names)}"]
    problems = [
        f"column {name} is {field.type}, not {wanted}"
        for name, field, wanted in zip(base, list(schema)[: len(BASE_SCHEMA)], BASE_SCHEMA.types, strict=True)
        if not field.type.equals(wanted)
    ]
    for field in list(schema)[len(BASE_SCHEMA) :]:
        key = field.name[len(METADATA_PREFIX) :]
        if not field.name.startswith(METADATA_PREFIX) or key not in kinds:
            problems.append(f"column {field.name} is no metadata key its manifest lists")
        elif not field.type.equals(wanted := ARROW_TYPES[metadata_dtype(kinds[key])]):
            problems.append(f"column {field.name} is {field.type}, not {wanted}")
    return problems
