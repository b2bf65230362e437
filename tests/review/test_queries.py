"""Review: DuckDB's answers over the exported files, checked against the listing itself (exact Decimal totals)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from convoi_nb import DatasetError, ValidationError
from convoi_nb.models import Call
from convoi_nb.review import Review, arrow_dataset
from convoi_nb.review.files import ExportedFiles
from convoi_nb.sandbox import Sandbox

from .conftest import ENGINES


@pytest.fixture(scope="module")
def exported_folder(week: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Call]]:
    from convoi_nb import ConvoiClient

    folder = tmp_path_factory.mktemp("review") / "calls"
    with ConvoiClient(api_key=week.api_key, base_url=week.url) as client:
        client.export_calls(folder, page_size=7)
        calls = list(client.list_calls())
    return folder, calls


@pytest.fixture(scope="module", params=ENGINES)
def exported(
    request: pytest.FixtureRequest, exported_folder: tuple[Path, list[Call]]
) -> Iterator[tuple[Review, list[Call]]]:
    """The week's export reviewed on each engine: the same questions, the same answers."""
    backend = None if request.param == "duckdb" else request.getfixturevalue("spark_session")
    with Review(exported_folder[0], backend=backend) as review:
        yield review, exported_folder[1]


@pytest.fixture(scope="module")
def duck_exported(exported_folder: tuple[Path, list[Call]]) -> Iterator[tuple[Review, list[Call]]]:
    """The week's export on embedded DuckDB, for what only DuckDB does (your own SQL: `query()`)."""
    with Review(exported_folder[0]) as review:
        yield review, exported_folder[1]


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


@pytest.mark.parametrize("keys", [("agent", "week"), (["agent", "week"],), (("agent", "week"),)])
def test_cost_by_several_keys_matches_the_listing_exactly(exported: tuple[Review, list[Call]], keys: Any) -> None:
    """Issue 25, item 2: `cost_by(["agent", "week"])` was a ValidationError, `cost_by("agent", "week")` a TypeError."""
    review, calls = exported
    table = review.cost_by(*keys)
    assert table.index.names == ["agent", "week"]
    expected = totals(calls, lambda c: (c.agent_id, monday(c.created_at.date())))
    assert {key: (row["calls"], row["total_cost"]) for key, row in table.iterrows()} == {
        key: (n, cost) for key, (n, cost, _) in expected.items()
    }
    assert all(isinstance(v, Decimal) for v in table["total_cost"])
    # The exact totals add up to the one-key totals, and to every call's cost.
    assert sum(table["total_cost"], Decimal(0)) == sum(review.cost_by("agent")["total_cost"], Decimal(0))
    assert sum(table["total_cost"], Decimal(0)) == sum((c.cost.amount for c in calls), Decimal(0))
    order = sqlglot.parse_one(review.sql("cost_by", by=["week", "agent"], dialect="duckdb"), read="duckdb").args[
        "order"
    ]
    assert [(o.this.name, bool(o.args.get("desc"))) for o in order.expressions] == [
        ("week", False),
        ("total_cost", True),
        ("agent", False),
        ("currency", False),
    ]


def test_every_money_column_has_a_float_twin_that_plots(exported: tuple[Review, list[Call]]) -> None:
    """Issue 25, item 2: `cost_by("agent")["total_cost"].plot.bar()` was `TypeError: no numeric data to plot`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    review, _ = exported
    results = {
        "cost_by": review.cost_by("agent"),
        "top_calls": review.top_calls(5),
        "variant_rates": review.variant_rates(),
        "period_change": review.period_change("day"),
    }
    if review.engine == "duckdb":
        results["query"] = review.query("SELECT agent_id, SUM(cost_amount) AS spent FROM calls GROUP BY agent_id")
    money = {"cost_by": ["total_cost"], "top_calls": ["cost_amount"], "variant_rates": ["total_cost"],
             "period_change": ["total_cost", "cost_change"], "query": ["spent"]}  # fmt: skip
    for name, frame in results.items():
        decimals = [c for c in frame.columns if frame[c].map(lambda v: isinstance(v, Decimal)).any()]
        assert decimals == money[name], name
        for column in decimals:
            columns = list(frame.columns)
            twin = columns[columns.index(column) + 1]
            assert twin == column + "_float" and str(frame[twin].dtype) == "float64", name
            exact, floats = frame[column], frame[twin]
            assert (exact.isna() == floats.isna()).all()
            assert all(float(e) == f for e, f in zip(exact.dropna(), floats.dropna(), strict=True))
    ax = review.cost_by("agent")["total_cost_float"].plot.bar()
    assert len(ax.patches) == 3
    weekly = review.cost_by("week", "agent")["total_cost_float"].unstack("agent")
    assert weekly.plot().get_lines()
    plt.close("all")
    if review.engine != "duckdb":
        return
    own = review.query("SELECT SUM(cost_amount) AS c, 'yours' AS c_float FROM calls")  # your own column is kept
    assert list(own.columns) == ["c", "c_float"] and own["c_float"].tolist() == ["yours"]


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


def test_the_sql_text_is_shown_for_other_engines(duck_exported: tuple[Review, list[Call]]) -> None:
    review, _ = duck_exported
    standard = review.sql("cost_by", by="metadata.source")
    assert '"metadata.source"' in standard and 'FROM "calls"' in standard and "read_parquet" not in standard
    spark = review.sql("cost_by", by="metadata.source", dialect="spark")
    assert "`metadata.source`" in spark and '"' not in spark
    assert review.query(review.sql("period_change", period="week"))["calls"].sum() == 36


BAD_CALLS: list[tuple[str, Any, str]] = [
    # (what, call on a review, the message's field and rule)
    (
        "cost_by unknown key",
        lambda r: r.cost_by("metadata.colour"),
        "no exported call has metadata key 'colour'.*source",
    ),
    (
        "cost_by unknown",
        lambda r: r.cost_by("planet"),
        "by: 'planet' is not a known dimension; known: agent, agent_id, status, day, week, month, metadata.campaign",
    ),
    ("cost_by None", lambda r: r.cost_by(None), "by: must be a dimension name or a non-empty list of them"),
    ("cost_by empty list", lambda r: r.cost_by([]), r"by: must be a dimension name .*\(got \[\]\)"),
    ("cost_by unknown in a list", lambda r: r.cost_by(["agent", "planet"]), "by: 'planet' is not a known dimension"),
    ("cost_by unknown second key", lambda r: r.cost_by("agent", "wek"), "by: 'wek' is not a known dimension"),
    ("cost_by repeated", lambda r: r.cost_by("week", "week"), "by: names 'week' more than once"),
    ("cost_by number in a list", lambda r: r.cost_by(["agent", 5]), "by: must be a dimension name or a list"),
    ("period unknown", lambda r: r.period_change("fortnight"), "period: must be one of day, week, month"),
    ("period list", lambda r: r.period_change(["day"]), "period: must be one of day, week, month"),
    ("period None", lambda r: r.period_change(None), "period: must be one of"),
    ("n zero", lambda r: r.top_calls(0), r"n: must be an integer from 1 to 2\*\*63 - 1 \(got 0\)"),
    ("n huge", lambda r: r.top_calls(10**30), r"n: must be an integer from 1 to 2\*\*63 - 1"),
    ("n float", lambda r: r.top_calls(2.5), "n: must be an integer"),
    ("n bool", lambda r: r.top_calls(True), "n: must be an integer"),
    ("n text", lambda r: r.top_calls("3"), "n: must be an integer"),
    ("experiment number", lambda r: r.variant_rates(5), "experiment: must be a name or None"),
    ("sql without by", lambda r: r.sql("cost_by"), "by: is required by cost_by"),
    ("sql unknown parameter", lambda r: r.sql("top_calls", m=3), "m: is not a parameter of top_calls"),
    ("sql unknown query", lambda r: r.sql("cost"), "name: must be one of cost_by, top_calls"),
    ("sql name number", lambda r: r.sql(5), "name: must be one of"),
    (
        "dialect unknown",
        lambda r: r.sql("top_calls", dialect="oracle"),
        "dialect: must be one of duckdb, spark, pyspark",
    ),
    ("dialect list", lambda r: r.sql("top_calls", dialect=["spark"]), "dialect: must be one of duckdb, spark, pyspark"),
    ("query not text", lambda r: r.query(5), "text: must be SQL text"),
    ("query syntax", lambda r: r.query("SELEC 1"), "text: Parser Error"),
    ("query unknown table", lambda r: r.query("SELECT * FROM nowhere"), "text: Catalog Error"),
    ("query bad cast", lambda r: r.query("SELECT CAST('x' AS INTEGER)"), "text: Conversion Error"),
]


@pytest.mark.parametrize(("what", "call", "message"), BAD_CALLS, ids=[b[0] for b in BAD_CALLS])
def test_each_bad_argument_is_a_validation_error(
    duck_exported: tuple[Review, list[Call]], what: str, call: Any, message: str
) -> None:
    """Issue 28, item 14: `top_calls(10**30)` was DuckDB's ConversionException, `period_change(["day"])` a
    TypeError, `sql("cost_by")` a KeyError."""
    review, _ = duck_exported
    with pytest.raises(ValidationError, match=message) as caught:
        call(review)
    assert type(caught.value) is ValidationError and caught.value.__cause__ is None


def test_what_is_not_an_export_is_a_dataset_error(duck_exported: tuple[Review, list[Call]], tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not an export folder"):
        Review(tmp_path)
    with pytest.raises(DatasetError, match="not an export folder"):
        arrow_dataset(tmp_path)
    (tmp_path / "x.parquet").write_text("x")
    with pytest.raises(DatasetError, match="not an export folder"):
        Review(tmp_path / "x.parquet")
    review, _ = duck_exported
    closed = Review(review.path)
    closed.close()
    closed.close()  # twice is fine
    with pytest.raises(DatasetError, match="is closed"):
        closed.cost_by("agent")


def test_counts_are_integers_and_money_decimals(exported: tuple[Review, list[Call]]) -> None:
    """Issue 28, item 14: variant_rates() gave the count `ended` as Decimal('5.00')."""
    review, calls = exported
    rates = review.variant_rates()
    for column in ("calls", "ended"):
        assert all(type(v) is int for v in rates[column].tolist()), column
    ended = sum(1 for c in calls if c.metadata.get("experiment") == "exp-a" and c.status == "ended")
    assert rates["ended"].sum() == ended
    change = review.period_change("day")
    assert str(change["calls_change"].dtype) == "Int64" and change["calls_change"].isna().iloc[0]
    assert all(isinstance(v, Decimal) for v in rates["total_cost"])
    if review.engine != "duckdb":
        return
    summed = review.query("SELECT SUM(1) AS n, SUM(cost_amount) AS cost FROM calls")
    assert summed["n"].tolist() == [len(calls)] and type(summed["n"].tolist()[0]) is int  # DuckDB's HUGEINT sum


def test_the_cost_review_guide_runs(
    spark_session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """docs/how-to/cost-review.md, every python block in order: export, DuckDB, Spark (the shared session), SQL.

    The Spark block is marked not run for tests/docs/test_code_blocks.py (a JVM of its own takes tens of seconds);
    here it runs on the session the review tests share.
    """
    from ..docs.code_blocks import blocks, run_blocks

    page = (Path(__file__).parents[2] / "docs" / "how-to" / "cost-review.md").read_text(encoding="utf-8")
    runnable = [block for block in blocks(page) if block.language == "python"]  # marked ones too
    namespace = run_blocks("docs/how-to/cost-review.md", runnable, tmp_path, monkeypatch)
    printed = capsys.readouterr().out  # the guide prints the Spark SQL: identifiers quoted with backticks
    assert "FROM `calls`" in printed and 'FROM "calls"' not in printed
    assert (tmp_path / "calls" / "_manifest.json").exists()
    assert namespace["on_spark"].engine == "pyspark"


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
    from convoi_nb.review.results import tidy as _tidy

    tidy = _tidy(Decimal(column))
    assert str(tidy) == shown and tidy == Decimal(column)  # the same amount, exactly


# -- your own SQL: its errors are yours, and it cannot change the review ---------------------------------------


@pytest.fixture()
def own_review(duck_exported: tuple[Review, list[Call]]) -> Iterator[Review]:
    """A review of its own: a test that changes it (on code that let it) leaves the module's review alone."""
    with Review(duck_exported[0].path) as review:
        yield review


def test_a_file_your_query_names_is_your_error_not_the_reviews(own_review: Review) -> None:
    """It was 'cannot read the files of <folder> (changed since this review opened?)'."""
    with pytest.raises(
        ValidationError, match=r'text: IO Error: No files found that match the pattern "/nonexistent\.csv'
    ) as caught:
        own_review.query("SELECT * FROM read_csv('/nonexistent.csv')")
    assert "changed since" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("DROP VIEW calls", "DROP"),
        ("CREATE TABLE copy AS SELECT * FROM calls", "CREATE"),
        ("CREATE OR REPLACE VIEW calls AS SELECT 1 AS id", "CREATE"),
        ("ALTER VIEW calls RENAME TO old_calls", "ALTER"),
        ("INSERT INTO calls (id) VALUES ('x')", "INSERT"),
        ("SET TimeZone = 'Europe/Paris'", "SET"),
        ("ATTACH ':memory:' AS other", "ATTACH"),
        ("EXPLAIN ANALYZE DROP VIEW calls", "EXPLAIN"),  # EXPLAIN ANALYZE runs what it explains
        ("PRAGMA disable_object_cache", "PRAGMA"),
    ],
)
def test_a_statement_that_would_change_the_review_is_refused_before_it_runs(
    own_review: Review, text: str, kind: str
) -> None:
    """`query("DROP VIEW calls")` ran, and `cost_by` then failed as 'invalid review query: … Catalog Error'."""
    before = own_review.cost_by("agent")[["currency", "calls", "total_cost"]]  # exact (the rates are floats)
    with pytest.raises(ValidationError, match=rf"text: must be a query that reads .*not a {kind} statement"):
        own_review.query(text)
    assert own_review.cost_by("agent")[["currency", "calls", "total_cost"]].equals(before)
    setting = own_review.query("SELECT current_setting('TimeZone') AS zone, COUNT(*) AS n FROM duckdb_tables()")
    assert setting["zone"].tolist() == ["UTC"] and setting["n"].tolist() == [0]
    assert own_review.query("SELECT COUNT(*) AS n FROM duckdb_databases() WHERE NOT internal")["n"].tolist() == [1]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1 AS a; DROP VIEW calls", r"must be exactly one statement \(got 2\)"),
        ("", r"must be exactly one statement \(got none\)"),
        ("PIVOT calls ON status USING count(*)", r"PIVOT must list its columns here, e.g. PIVOT calls ON status IN"),
        ("COPY (SELECT 1) TO 'out.csv'", "not a COPY statement"),
    ],
)
def test_more_than_one_statement_or_an_open_pivot_is_refused(own_review: Review, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        own_review.query(text)
    assert own_review.query("SELECT COUNT(*) AS n FROM calls")["n"].tolist()[0] > 0


@pytest.mark.parametrize(
    "text",
    [
        "FROM calls LIMIT 1",
        "WITH c AS (SELECT status FROM calls) SELECT DISTINCT status FROM c",
        "DESCRIBE calls",
        "SUMMARIZE calls",
        "SHOW TABLES",
        "PIVOT calls ON status IN ('ended', 'failed') USING count(*)",
        "SELECT 1 AS one;",
    ],
)
def test_queries_that_read_still_run(own_review: Review, text: str) -> None:
    assert len(own_review.query(text)) >= 1


def test_a_review_file_gone_is_still_a_dataset_error(duck_exported: tuple[Review, list[Call]], tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "calls"
    shutil.copytree(duck_exported[0].path, folder)
    with Review(folder) as review:
        next(folder.glob("day=*/part-0.parquet")).unlink()
        with pytest.raises(DatasetError, match=r"cannot read the files of .* \(changed since this review opened\?\)"):
            review.cost_by("agent")
        with pytest.raises(DatasetError, match=r"changed since this review opened"):  # your query, its file
            review.query("SELECT COUNT(*) AS n FROM calls")
