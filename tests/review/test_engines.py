"""One set of review queries on every engine: DuckDB and Spark agree exactly, any Ibis table reviews alike, the SQL
text is the compiler's (no injection in any dialect), and an engine that is missing or cannot read says so."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
import pytest
import sqlglot
import sqlglot.expressions as exp

from convoi_nb import ConfigurationError, ConvoiClient, DatasetError, ValidationError
from convoi_nb.review import Review
from convoi_nb.review.queries import DIALECTS
from convoi_nb.review.spark import calls_table
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

QUESTIONS: list[tuple[str, Any]] = [
    ("cost_by agent", lambda r: r.cost_by("agent")),
    ("cost_by week agent", lambda r: r.cost_by("week", "agent")),
    ("cost_by month status", lambda r: r.cost_by(["month", "status"])),
    ("cost_by metadata.customer_tier", lambda r: r.cost_by("metadata.customer_tier")),
    ("cost_by day", lambda r: r.cost_by("day")),
    ("top_calls", lambda r: r.top_calls(25)),
    ("variant_rates", lambda r: r.variant_rates()),
    ("period_change day", lambda r: r.period_change("day")),
    ("period_change week", lambda r: r.period_change("week")),
]
# Strings that break hand-made quoting in one dialect or another: quotes, backslashes, comments, backticks.
NASTY = ["x\\' OR 1=1 --", "x' OR '1'='1", "x\\", "\\'", 'a"b`c', "x'); DROP TABLE calls; --", "\\\\'\\"]


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two weeks of generated history across two months, exported through the listing."""
    folder = tmp_path_factory.mktemp("engines") / "calls"
    clock = ManualClock(dt.datetime(2026, 12, 6, tzinfo=dt.timezone.utc))
    with Sandbox(SandboxSettings(clock=clock, seed=11)) as sandbox:
        sandbox.generate_history(1500, days=14, experiment_share=0.5)
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            client.export_calls(folder)
    return folder


@pytest.fixture(scope="module")
def on_duckdb(history: Path) -> Iterator[Review]:
    with Review(history) as review:
        yield review


def exact_part(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns that must agree exactly: everything but the float sums and rates (summed in another order)."""
    floats = [c for c in frame.columns if str(frame[c].dtype) == "float64"]
    return frame.drop(columns=floats).reset_index()


@pytest.mark.parametrize(("what", "ask"), QUESTIONS, ids=[q[0] for q in QUESTIONS])
def test_every_total_is_equal_on_duckdb_and_spark_exactly(
    history: Path, on_duckdb: Review, spark_session: Any, what: str, ask: Any
) -> None:
    with Review(history, backend=spark_session) as on_spark:
        duck, spark = ask(on_duckdb), ask(on_spark)
    assert list(duck.columns) == list(spark.columns) and list(duck.index.names) == list(spark.index.names)
    pd.testing.assert_frame_equal(exact_part(duck), exact_part(spark))  # Decimals compared as Decimals: exact
    for column in duck.columns:
        if str(duck[column].dtype) == "float64":
            pd.testing.assert_series_equal(duck[column], spark[column], rtol=1e-9)
    money = [c for c in duck.columns if c in ("total_cost", "cost_amount")]
    assert money and all(isinstance(v, Decimal) for v in spark[money[0]])


def test_a_table_you_already_have_reviews_alike(history: Path, on_duckdb: Review) -> None:
    """`Review.from_table`: an Ibis table of the files (here DuckDB's own reader, without `day`) gives the same
    answers as the review of the folder."""
    files = sorted(str(p) for p in history.glob("day=*/*.parquet"))
    table = ibis.duckdb.connect().read_parquet(files, union_by_name=True)
    table = table.drop(*[c for c in table.columns if c == "day"])
    review = Review.from_table(table)
    assert review.path is None and "customer_tier" in review.metadata_keys
    for _, ask in QUESTIONS:
        pd.testing.assert_frame_equal(exact_part(ask(review)), exact_part(ask(on_duckdb)))
    assert "FROM" in review.sql("cost_by", by="day", dialect="trino")
    with pytest.raises(DatasetError, match="made from a table"):
        review.arrow()
    with pytest.raises(ValidationError, match="runs SQL on embedded DuckDB"):
        Review.from_table(ibis.memtable(table.limit(1).to_pyarrow())).query("SELECT 1")


@pytest.mark.parametrize(
    ("table", "message"),
    [("calls", "table: must be an Ibis table"), (ibis.memtable({"id": ["a"]}), "table: has no column agent_id")],
)
def test_from_table_refuses_what_is_no_table_of_calls(table: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Review.from_table(table)


# -- SQL text: the compiler's, for each dialect; every string parameter stays a literal ---------------------------


@pytest.mark.parametrize("dialect", list(DIALECTS))
@pytest.mark.parametrize("nasty", NASTY)
def test_a_string_parameter_stays_one_literal_in_every_dialect(on_duckdb: Review, dialect: str, nasty: str) -> None:
    """Issue 27: the hand-written Spark SQL emitted `= 'x\\'' OR 1=1 --'` for experiment="x\\' OR 1=1 --": Spark
    reads `\\'` as a quote, so the rest ran as SQL. Parsed back in its own dialect, the text holds the input as one
    literal, and nothing else."""
    text = on_duckdb.sql("variant_rates", experiment=nasty, dialect=dialect)
    tree = sqlglot.parse_one(text, read=DIALECTS[dialect])
    literals = [node.this for node in tree.find_all(exp.Literal) if node.is_string]
    assert nasty in literals
    assert not [c for c in tree.find_all(exp.Or)]  # no condition smuggled in
    assert not list(tree.find_all(exp.Drop)) and len(sqlglot.parse(text, read=DIALECTS[dialect])) == 1


def test_a_metadata_key_with_quotes_stays_one_identifier(on_duckdb: Review) -> None:
    """A metadata key is the user's text too: quoted by the compiler in each dialect, it names one column."""
    key = "we`ird\"key'\\"
    frame = on_duckdb.top_calls(3)[["id", "agent_id", "status", "duration_seconds", "cost_amount", "currency"]]
    frame = frame.rename(columns={"currency": "cost_currency"}).assign(
        created_at=pd.Timestamp("2026-12-01", tz="UTC"), metadata="{}", **{f"metadata.{key}": ["a", "b", "a"]}
    )
    review = Review.from_table(ibis.memtable(frame))
    assert review.cost_by(f"metadata.{key}")["calls"].to_dict() == {"a": 2, "b": 1}
    for dialect, read in DIALECTS.items():
        tree = sqlglot.parse_one(review.sql("cost_by", by=f"metadata.{key}", dialect=dialect), read=read)
        assert f"metadata.{key}" in {node.name for node in tree.find_all(exp.Identifier)}, dialect


@pytest.mark.parametrize("nasty", NASTY)
def test_the_injection_matches_nothing_on_either_engine(
    history: Path, on_duckdb: Review, spark_session: Any, nasty: str
) -> None:
    """Run, not only parsed: the experiment named by the hostile string has no calls, on DuckDB and on Spark, and
    the Spark SQL text run by Spark itself answers nothing either."""
    assert on_duckdb.variant_rates(nasty).empty
    with Review(history, backend=spark_session) as on_spark:
        assert on_spark.variant_rates(nasty).empty
        spark_frame = spark_session.read.parquet(*(str(p) for p in sorted(history.glob("day=*/*.parquet"))))
        spark_frame.createOrReplaceTempView("calls")
        text = on_spark.sql("variant_rates", experiment=nasty, dialect="spark")
        assert spark_session.sql(text).count() == 0
        real = on_duckdb.variant_rates()["experiment"].iloc[0]  # and a real name still finds its calls
        assert spark_session.sql(on_spark.sql("variant_rates", experiment=real, dialect="spark")).count() > 0


# -- bad input: an engine missing, or one that cannot read the folder ----------------------------------------------


def test_spark_not_installed_names_the_extra(history: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("pyspark", "pyspark.sql", "ibis.backends.pyspark"):
        monkeypatch.setitem(sys.modules, name, None)  # what `import pyspark` meets where it is not installed
    with pytest.raises(ConfigurationError, match=r'pip install "convoi_nb\[spark\]"') as caught:
        Review(history, backend="spark")
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("backend", ["sparkk", 5, object()])
def test_an_unknown_backend_is_a_validation_error(history: Path, backend: Any) -> None:
    with pytest.raises(ValidationError, match="backend: must be None or 'duckdb'.*SparkSession"):
        Review(history, backend=backend)


def no_jvm_trace(message: str) -> None:
    assert "\tat " not in message and "JVM stacktrace" not in message and "py4j" not in message.lower()
    assert len(message.splitlines()) <= 6


def test_spark_that_cannot_read_the_folder_is_a_dataset_error(spark_session: Any, tmp_path: Path) -> None:
    """A session that does not see the path (a cluster without the shared folder) or a file that is not Parquet:
    Spark's own message inside a DatasetError, without the JVM's stack trace."""
    missing = tmp_path / "calls" / "day=2026-12-01" / "part-0.parquet"
    with pytest.raises(
        DatasetError, match=r"Spark cannot read the files of .*calls: .*(PATH_NOT_FOUND|not exist)"
    ) as a:
        calls_table(spark_session, [missing])
    no_jvm_trace(str(a.value))
    missing.parent.mkdir(parents=True)
    missing.write_bytes(b"not parquet at all")
    with pytest.raises(DatasetError, match="Spark cannot read the files of") as b:
        calls_table(spark_session, [missing])
    no_jvm_trace(str(b.value))
    assert a.value.__cause__ is None and b.value.__cause__ is None


def test_a_file_spoiled_after_opening_is_a_dataset_error_on_spark(
    history: Path, spark_session: Any, tmp_path: Path
) -> None:
    folder = tmp_path / "calls"
    shutil.copytree(history, folder)
    with Review(folder, backend=spark_session) as review:
        next(folder.glob("day=*/part-0.parquet")).write_bytes(b"spoiled")
        with pytest.raises(DatasetError, match="pyspark could not answer the review query") as caught:
            review.cost_by("agent")
    no_jvm_trace(str(caught.value))


def test_an_expression_refines_and_runs_on_the_reviews_engine(on_duckdb: Review) -> None:
    """`review.expression(...)`: the query as Ibis, bound to the review's own DuckDB connection."""
    expression = on_duckdb.expression("cost_by", by="agent")
    cheap = expression.filter(expression.calls > 0).to_pyarrow()
    assert cheap.num_rows == 3
    assert sum(cheap.column("total_cost").to_pylist(), Decimal(0)) == sum(
        on_duckdb.cost_by("agent")["total_cost"], Decimal(0)
    )
    with pytest.raises(ValidationError, match="period: must be one of day, week, month"):
        on_duckdb.expression("period_change", period="year")


def test_the_reviews_schema_is_duckdbs_view_of_the_files(on_duckdb: Review) -> None:
    """The schema the queries are built on comes from the files' own schemas; it is what DuckDB reads."""
    assert on_duckdb._db is not None
    arrow = on_duckdb._db.table("calls").limit(0).to_arrow_table().schema
    assert on_duckdb._table.schema() == ibis.Schema.from_pyarrow(arrow)
