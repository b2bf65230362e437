"""Review: DuckDB's answers over the exported files, checked against the listing itself (exact Decimal totals)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import DatasetError, ValidationError
from convoi_nb.models import Call
from convoi_nb.review import Review
from convoi_nb.review.files import ExportedFiles
from convoi_nb.sandbox import Sandbox


@pytest.fixture(scope="module")
def exported(week: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Review, list[Call]]]:
    from convoi_nb import ConvoiClient

    folder = tmp_path_factory.mktemp("review") / "calls"
    with ConvoiClient(api_key=week.api_key, base_url=week.url) as client:
        client.export_calls(folder, page_size=7)
        calls = list(client.list_calls())
    with Review(folder) as review:
        yield review, calls


def totals(calls: list[Call], key: Any) -> dict[Any, tuple[int, Decimal, float]]:
    found: dict[Any, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0.0])
    for call in calls:
        entry = found[key(call)]
        entry[0] += 1
        entry[1] += call.cost.amount
        entry[2] += call.duration_seconds / 60
    return {k: (n, cost, minutes) for k, (n, cost, minutes) in found.items()}


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@pytest.mark.parametrize(
    ("by", "key"),
    [
        ("agent", lambda c: c.agent_id),
        ("status", lambda c: c.status),
        ("day", lambda c: c.created_at.date()),
        ("week", lambda c: monday(c.created_at.date())),
        ("metadata.source", lambda c: c.metadata["source"]),
        ("metadata.order_ref", lambda c: str(c.metadata["order_ref"])),  # the mixed key, as its JSON text
    ],
)
def test_cost_by_matches_the_listing_exactly(exported: tuple[Review, list[Call]], by: str, key: Any) -> None:
    review, calls = exported
    table = review.cost_by(by)
    expected = totals(calls, key)
    assert set(table.index) == set(expected)
    for value, row in table.iterrows():
        n, cost, minutes = expected[value]
        assert row["calls"] == n and row["currency"] == "USD"
        assert isinstance(row["total_cost"], Decimal) and row["total_cost"] == cost  # exact, not a float
        assert row["minutes"] == pytest.approx(minutes)
        if minutes:
            assert row["cost_per_minute"] == pytest.approx(float(cost) / minutes)
        else:  # expired calls: no minutes, no rate (NULL, not a division error)
            assert row["cost_per_minute"] != row["cost_per_minute"]
    if by in ("day", "week"):
        assert all(type(v) is dt.date for v in table.index)  # shown as 2026-11-02, not a midnight timestamp
        assert list(table.index) == sorted(table.index)


def test_top_calls_and_period_change(exported: tuple[Review, list[Call]]) -> None:
    review, calls = exported
    top = review.top_calls(5)
    ranked = sorted(calls, key=lambda c: (-c.cost.amount, c.id))[:5]
    assert list(top["id"]) == [c.id for c in ranked] and list(top["cost_amount"]) == [c.cost.amount for c in ranked]
    change = review.period_change("day")
    by_day = totals(calls, lambda c: c.created_at.date())
    assert list(change["period"]) == sorted(by_day)
    costs = [by_day[day][1] for day in sorted(by_day)]
    assert list(change["cost_change"])[1:] == [b - a for a, b in zip(costs, costs[1:], strict=False)]
    assert change["cost_change"].isna().iloc[0] or change["cost_change"].iloc[0] is None
    assert change["cost_change_ratio"].iloc[1] == pytest.approx(float(costs[1] / costs[0]) - 1)


def test_variant_rates_group_experiment_calls(exported: tuple[Review, list[Call]]) -> None:
    review, calls = exported
    rates = review.variant_rates("exp-a")
    tagged = totals([c for c in calls if c.metadata.get("experiment") == "exp-a"], lambda c: c.metadata["variant"])
    assert set(rates["variant"]) == set(tagged) == {"model=gpt-4o", "model=gpt-4o-mini"}
    for _, row in rates.iterrows():
        assert row["total_cost"] == tagged[row["variant"]][1]
    # gpt-4o costs more per minute by the rate card than gpt-4o-mini (on the same agents' defaults otherwise)
    assert list(rates["variant"]) == ["model=gpt-4o-mini", "model=gpt-4o"]
    assert review.variant_rates("no-such-experiment").empty


def test_the_sql_text_is_shown_for_other_engines(exported: tuple[Review, list[Call]]) -> None:
    review, _ = exported
    standard = review.sql("cost_by", by="metadata.source")
    assert '"metadata.source"' in standard and "FROM calls" in standard and "read_parquet" not in standard
    spark = review.sql("cost_by", by="metadata.source", dialect="spark")
    assert "`metadata.source`" in spark and '"' not in spark
    assert review.query(review.sql("period_change", period="week"))["calls"].sum() == 36


def test_mistakes_are_named(exported: tuple[Review, list[Call]], tmp_path: Path) -> None:
    review, _ = exported
    with pytest.raises(ValidationError, match="no exported call has metadata key 'colour'.*source"):
        review.cost_by("metadata.colour")
    with pytest.raises(ValidationError, match="by: must be one of agent"):
        review.cost_by("planet")
    with pytest.raises(ValidationError, match="period"):
        review.period_change("fortnight")
    with pytest.raises(ValidationError, match=r"n: must be an integer from 1 to 2\*\*63 - 1"):
        review.top_calls(0)
    with pytest.raises(ValidationError, match="dialect"):
        review.sql("top_calls", dialect="oracle")
    with pytest.raises(DatasetError, match="not an export folder"):
        Review(tmp_path)
    (tmp_path / "x.parquet").write_text("x")
    with pytest.raises(DatasetError, match="not an export folder"):
        Review(tmp_path / "x.parquet")


def test_the_readme_example_runs(
    week: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from convoi_nb import ConvoiClient

    from ..test_readme import python_block

    monkeypatch.chdir(tmp_path)
    with ConvoiClient(api_key=week.api_key, base_url=week.url) as client:
        namespace: dict[str, Any] = {"client": client}
        exec(compile(python_block("## Cost review at account scale"), "README.md", "exec"), namespace)
    assert "FROM calls" in capsys.readouterr().out and (tmp_path / "calls" / "_manifest.json").exists()
    namespace["review"].close()


def test_a_key_missing_from_some_days_reads_as_null(exported: tuple[Review, list[Call]]) -> None:
    review, calls = exported  # campaign appears only in the newer days' files
    table = review.cost_by("metadata.campaign")
    without = sum(1 for c in calls if "campaign" not in c.metadata)
    assert without and table["calls"].sum() == len(calls)
    assert table.loc[[v for v in table.index if v is None or v != v], "calls"].sum() == without


def test_generated_history_reviews_alike(tmp_path: Path) -> None:
    """Days with the same columns are read without unifying schemas; the answers still match the listing."""
    from convoi_nb import ConvoiClient
    from convoi_nb.sandbox import ManualClock, SandboxSettings

    clock = ManualClock(dt.datetime(2026, 11, 20, tzinfo=dt.timezone.utc))
    with Sandbox(SandboxSettings(clock=clock)) as sandbox:
        sandbox.generate_history(900, days=3, experiment_share=0.5)
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            client.export_calls(tmp_path / "calls")
            calls = list(client.list_calls())
    schemas = list(ExportedFiles.read(tmp_path / "calls").schemas.values())
    assert all(schema.equals(schemas[0]) for schema in schemas)  # the path this test is for
    with Review(tmp_path / "calls") as review:
        table = review.cost_by("metadata.customer_tier")
        expected = totals(calls, lambda c: c.metadata["customer_tier"])
        assert {k: (row["calls"], row["total_cost"]) for k, row in table.iterrows()} == {
            k: (n, cost) for k, (n, cost, _) in expected.items()
        }
        assert len(review.variant_rates()) == 6


@pytest.mark.parametrize(
    ("column", "shown"),
    [("2265.150048000", "2265.150048"), ("0E-9", "0.00"), ("100.000000000", "100.00"), ("0.123456789", "0.123456789")],
)
def test_totals_show_without_the_columns_trailing_zeros(column: str, shown: str) -> None:
    from convoi_nb.review.queries import _tidy

    tidy = _tidy(Decimal(column))
    assert str(tidy) == shown and tidy == Decimal(column)  # the same amount, exactly
