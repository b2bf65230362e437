"""calls_to_frame: documented dtypes, flattened metadata, masked tokens."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from convoi_nb import calls_to_frame
from convoi_nb.frames import BASE_COLUMNS
from convoi_nb.models import Call

from .models.test_responses import EXAMPLE, TOKEN


def calls() -> list[dict[str, Any]]:
    return [
        {
            **EXAMPLE,
            "id": "call_1",
            "status": "ended",
            "duration_seconds": 61.5,
            "cost": {"amount": 0.12, "currency": "USD"},
            "metadata": {"source": "web", "n": 1},
        },
        {**EXAMPLE, "id": "call_2", "status": "transferring", "metadata": {"source": "app", "vip": True}},
        {**EXAMPLE, "id": "call_3", "duration_seconds": 0, "metadata": {}},
    ]


def test_dtypes_are_documented() -> None:
    frame = calls_to_frame(calls())
    assert list(frame.columns[: len(BASE_COLUMNS)]) == list(BASE_COLUMNS)
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["updated_at"].dtype) == "datetime64[ns, UTC]"
    assert isinstance(frame["status"].dtype, pd.CategoricalDtype)
    assert frame["duration_seconds"].dtype == "float64" and frame["cost_amount"].dtype == "float64"
    for column in ("id", "agent_id", "room_id", "participant_identity", "livekit_url", "cost_currency"):
        assert frame[column].dtype == "string", column
    assert frame["updated_at"][0] == pd.Timestamp("2026-11-25T08:00:01Z")  # the +02:00 offset converted


def test_unknown_status_becomes_a_category_not_an_error() -> None:
    frame = calls_to_frame(calls())
    assert "transferring" in frame["status"].cat.categories and "ended" in frame["status"].cat.categories
    assert frame["status"].tolist() == ["ended", "transferring", "initiated"]


def test_metadata_is_flattened_with_honest_dtypes() -> None:
    frame = calls_to_frame(calls())
    assert frame["metadata.source"].tolist()[:2] == ["web", "app"] and pd.isna(frame["metadata.source"][2])
    assert frame["metadata.source"].dtype == "string"
    assert frame["metadata.n"].tolist()[0] == 1
    assert frame["metadata.vip"].tolist()[1] is True


def test_token_masked_by_default_and_kept_on_request() -> None:
    masked = calls_to_frame(calls())
    assert not masked.astype(str).apply(lambda col: col.str.contains(TOKEN[:20], regex=False)).any().any()
    assert masked["livekit_token"][0].endswith("(masked)")
    assert calls_to_frame(calls(), include_tokens=True)["livekit_token"][0] == TOKEN


def test_call_objects_and_dicts_give_the_same_frame() -> None:
    from_dicts = calls_to_frame(calls())
    from_models = calls_to_frame([Call.model_validate(c) for c in calls()])
    pd.testing.assert_frame_equal(from_dicts, from_models)


def test_empty_input_keeps_columns_and_dtypes() -> None:
    frame = calls_to_frame([])
    assert list(frame.columns) == list(BASE_COLUMNS) and len(frame) == 0
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_client_calls_frame_lists_every_page(kind: str, sandbox: Any, agent_id: str) -> None:
    import uuid

    from .conftest import make_client

    client = make_client(kind, api_key=sandbox.api_key, base_url=sandbox.url)
    tag = uuid.uuid4().hex
    for i in range(5):
        client.create_web_call(agent_id, metadata={"frame_test": tag, "i": i})
    frame = client.calls_frame(metadata={"frame_test": tag}, page_size=2)
    client.close()
    assert sorted(frame["metadata.i"].tolist()) == [0, 1, 2, 3, 4]
    assert frame["livekit_token"].str.endswith("(masked)").all()
    assert sandbox.api_key not in frame.to_csv()


def with_metadata(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**EXAMPLE, "id": f"call_{i}", "metadata": row} for i, row in enumerate(rows)]


def test_every_metadata_column_has_one_exportable_dtype(tmp_path: Any) -> None:
    frame = calls_to_frame(
        with_metadata(
            {"tier": 3, "ratio": 1, "flag": True, "name": "a", "nested": {"a": [1, 2]}},
            {"tier": "gold", "ratio": 0.5, "flag": None, "name": None, "nested": None},
            {"tier": True, "ratio": None, "flag": False},
        )
    )
    assert frame["metadata.tier"].dtype == "string"  # mixed kinds: each value as its JSON text
    assert frame["metadata.tier"].tolist() == ["3", "gold", "true"]
    assert frame["metadata.ratio"].dtype == "float64" and frame["metadata.ratio"].tolist()[:2] == [1.0, 0.5]
    assert frame["metadata.flag"].dtype == "boolean" and frame["metadata.name"].dtype == "string"
    assert frame["metadata.nested"].tolist()[0] == '{"a": [1, 2]}'
    frame.to_parquet(tmp_path / "f.parquet")  # pyarrow refused mixed int/str object columns before
    frame.to_csv(tmp_path / "f.csv")
    assert pd.read_parquet(tmp_path / "f.parquet")["metadata.tier"].tolist() == ["3", "gold", "true"]
    assert len(pd.read_csv(tmp_path / "f.csv")) == 3


def test_integers_stay_integers_with_gaps() -> None:
    frame = calls_to_frame(with_metadata({"n": 1}, {}, {"n": 3}))
    assert frame["metadata.n"].dtype == "Int64" and frame["metadata.n"].tolist()[::2] == [1, 3]


def test_three_hundred_keys_build_without_warnings() -> None:
    import warnings

    rows = [{f"k{i}": (i if n % 2 else f"v{i}") for i in range(n, n + 300)} for n in range(4)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a PerformanceWarning (fragmented frame) fails the test
        frame = calls_to_frame(with_metadata(*rows))
    assert sum(c.startswith("metadata.") for c in frame.columns) == 303


def test_integers_beyond_int64_stay_exact_as_text() -> None:
    frame = calls_to_frame(
        with_metadata({"order_id": 2**64}, {"order_id": 7}, {"mixed": 2**60, "x": 1}, {"mixed": 0.5})
    )
    assert frame["metadata.order_id"].dtype == "string" and frame["metadata.order_id"][0] == str(2**64)
    assert frame["metadata.mixed"].tolist()[2:] == [str(2**60), "0.5"]  # no float rounding of a large int
