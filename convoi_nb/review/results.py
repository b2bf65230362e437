"""Query results as pandas: integers as `Int64`, money as exact Decimals each followed by its float twin, UTC times.

One rule for every engine's Arrow result, so DuckDB's and Spark's answers come back as the same frame.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pyarrow as pa

# Each exact money column `X` (a Decimal) is followed by `X_float`, the same amount as a float, which pandas and
# matplotlib plot; sum and compare the Decimal column.
FLOAT_SUFFIX = "_float"
_CENTS = Decimal("0.01")
_INTEGERS = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}


def to_frame(table: pa.Table) -> pd.DataFrame:
    """The result as pandas: integers as `Int64`, money as exact Decimals, each followed by its `_float` twin.

    Timestamps without a zone (Spark gives its session's time, which the review sets to UTC) are marked UTC.

    Args:
        table: An engine's result.

    Returns:
        The frame.
    """
    frame: pd.DataFrame = table.to_pandas(types_mapper=lambda kind: pd.Int64Dtype() if kind in _INTEGERS else None)
    for field in table.schema:
        if pa.types.is_timestamp(field.type) and field.type.tz is None:
            frame[field.name] = frame[field.name].dt.tz_localize("UTC")
        if not pa.types.is_decimal(field.type):
            continue
        if field.type.scale == 0:  # a SUM of integers is a DECIMAL(38, 0) on DuckDB: a count
            frame[field.name] = frame[field.name].map(int, na_action="ignore").astype("Int64")
            continue
        frame[field.name] = frame[field.name].map(tidy, na_action="ignore")
        twin = field.name + FLOAT_SUFFIX
        if twin not in frame.columns:  # a column of that name in your own SQL is kept as it is
            floats = frame[field.name].map(float, na_action="ignore").astype("float64")
            frame.insert(list(frame.columns).index(field.name) + 1, twin, floats)
    return frame


def tidy(amount: Decimal) -> Decimal:
    """The same amount without the column's trailing zeros (2265.150048, not 2265.150048000; 0.00, not 0E-9).

    Args:
        amount: An exact amount.

    Returns:
        The same amount, shorter.
    """
    exponent = amount.normalize().as_tuple().exponent
    short = amount.normalize()
    return short.quantize(_CENTS) if isinstance(exponent, int) and exponent > -2 else short
