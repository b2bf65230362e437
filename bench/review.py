"""Cost review at account scale: generated history → export through the HTTP listing → the review's queries (Ibis,
compiled for embedded DuckDB), against the same queries written by hand in raw DuckDB SQL over the same files and
the same aggregations in pandas.

    python bench/review.py           # 1,000,000 calls
    python bench/review.py --quick   # 5,000 calls (CI smoke run)

The sandbox serves from its own process; the export, the DuckDB queries and the pandas baseline each run in a
child process of their own, which reports its own peak RSS (VmHWM), so no step's memory hides another's.
Targets: export and queries each ≤ 1 GiB peak RSS; each Review query ≤ 1.3× raw DuckDB (or within 10 ms of it); the
first answer from the folder (open + cost by agent) ≥ 5× faster than pandas reading the same columns and grouping.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, best_of, in_child, peak_rss_mib, process_cpu_seconds

from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY
from convoi_nb.sandbox.process import spawn

QUESTIONS = ("agent", "day", "week", "status", "metadata.source", "top", "variants", "week change")
# The same eight questions written by hand in DuckDB SQL, over a view `calls` of the same files (with `day`).
_TOTALS = (
    "cost_currency AS currency, COUNT(*) AS calls, SUM(cost_amount) AS total_cost, SUM(duration_seconds) / 60 "
    "AS minutes, CAST(SUM(cost_amount) AS DOUBLE) * 60 / NULLIF(SUM(duration_seconds), 0) AS cost_per_minute"
)
RAW_SQL = {
    "agent": f"SELECT agent_id AS agent, {_TOTALS} FROM calls GROUP BY ALL ORDER BY total_cost DESC, agent, currency",
    "day": f"SELECT day, {_TOTALS} FROM calls GROUP BY ALL ORDER BY day, currency",
    "week": f"SELECT CAST(date_trunc('week', day) AS DATE) AS week, {_TOTALS} FROM calls GROUP BY ALL "
    "ORDER BY week, currency",
    "status": f"SELECT status, {_TOTALS} FROM calls GROUP BY ALL ORDER BY total_cost DESC, status, currency",
    "metadata.source": f'SELECT "metadata.source", {_TOTALS} FROM calls GROUP BY ALL '
    'ORDER BY total_cost DESC, "metadata.source", currency',
    "top": "SELECT id, agent_id, status, created_at, duration_seconds, cost_amount, cost_currency AS currency, "
    "metadata FROM calls ORDER BY cost_amount DESC, id LIMIT 10",
    "variants": f'SELECT "metadata.experiment" AS experiment, "metadata.variant" AS variant, {_TOTALS}, '
    "SUM(CASE WHEN status = 'ended' THEN 1 ELSE 0 END) AS ended FROM calls WHERE \"metadata.experiment\" IS NOT "
    "NULL GROUP BY ALL ORDER BY experiment, currency, cost_per_minute, variant",
    "week change": "WITH t AS (SELECT CAST(date_trunc('week', day) AS DATE) AS period, cost_currency AS currency, "
    "COUNT(*) AS calls, SUM(cost_amount) AS total_cost, SUM(duration_seconds) / 60 AS minutes FROM calls "
    "GROUP BY ALL) SELECT *, total_cost - LAG(total_cost) OVER w AS cost_change, CAST(total_cost AS DOUBLE) / "
    "NULLIF(CAST(LAG(total_cost) OVER w AS DOUBLE), 0) - 1 AS cost_change_ratio, calls - LAG(calls) OVER w AS "
    "calls_change, minutes - LAG(minutes) OVER w AS minutes_change FROM t "
    "WINDOW w AS (PARTITION BY currency ORDER BY period) ORDER BY period, currency",
}
ROUNDS = 15


# -- the children --------------------------------------------------------------------------------------------


def child_export(url: str, folder: str) -> dict[str, Any]:
    from convoi_nb import ConvoiClient

    started, cpu = time.perf_counter(), time.process_time()
    with ConvoiClient(api_key=DEFAULT_API_KEY, base_url=url) as client:
        summary = client.export_calls(folder)
    return {
        "calls": summary.calls,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rss": peak_rss_mib(),
    }


def review_questions(review: Any) -> dict[str, Any]:
    """Each question as the Review asks it."""
    return {
        **{by: (lambda by=by: review.cost_by(by)) for by in ("agent", "day", "week", "status", "metadata.source")},
        "top": lambda: review.top_calls(10),
        "variants": lambda: review.variant_rates(),
        "week change": lambda: review.period_change("week"),
    }


def raw_connection(folder: str) -> Any:
    """A bare DuckDB connection with a view `calls` over the export's files, written by hand."""
    import duckdb

    files = sorted(str(p) for p in Path(folder).glob("day=*/*.parquet"))
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    db.execute("SET parquet_metadata_cache = true")
    union = "true" if len({tuple(_columns(f)) for f in files}) > 1 else "false"
    db.execute(
        "CREATE VIEW calls AS SELECT *, DATE '1970-01-01' + CAST(epoch_us(created_at) // 86400000000 AS INTEGER) "
        f"AS day FROM read_parquet({files!r}, hive_partitioning = false, union_by_name = {union})"  # temp paths
    )
    return db


def _columns(file: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(file).names)


def child_duckdb(folder: str) -> dict[str, Any]:
    """Each question on the Review (Ibis → DuckDB) and by hand in raw DuckDB SQL (to pandas, `.df()`), alternately,
    the fastest of ROUNDS each."""
    from convoi_nb.review import Review

    db = raw_connection(folder)
    per: dict[str, dict[str, float]] = {}
    with Review(folder) as review:
        asked = review_questions(review)
        for name in QUESTIONS:
            asked[name]()  # warm: files' footers cached, the query compiled once
            db.sql(RAW_SQL[name]).df()
            review_s, raw_s = [], []
            for _ in range(ROUNDS):  # alternately, so a burst of load on a shared machine hits both alike
                review_s.append(best_of(1, asked[name]))
                raw_s.append(best_of(1, lambda name=name: db.sql(RAW_SQL[name]).df()))
            per[name] = {"review": min(review_s), "raw": min(raw_s)}
    db.close()
    total = sum(times["review"] for times in per.values())
    return {"seconds": total, "per": per, "rss": peak_rss_mib()}


def child_first(folder: str, how: str) -> dict[str, Any]:
    """The first answer (cost by agent) in a fresh process, from the folder: the Review opening it, or pandas
    reading the same columns and grouping (exact Decimal sums, as the Review's). Imports are timed apart."""
    started = time.perf_counter()
    if how == "review":
        from convoi_nb.review import Review

        imported = time.perf_counter()
        with Review(folder) as review:
            rows = len(review.cost_by("agent"))
    else:
        import pandas as pd
        import pyarrow.parquet as pq

        imported = time.perf_counter()
        files = sorted(str(p) for p in Path(folder).glob("day=*/*.parquet"))
        columns = ["agent_id", "cost_currency", "cost_amount", "duration_seconds"]
        frame: pd.DataFrame = pq.ParquetDataset(files).read(columns=columns).to_pandas()
        rows = len(
            frame.groupby(["agent_id", "cost_currency"], observed=True).agg(
                calls=("agent_id", "size"), total_cost=("cost_amount", "sum"), seconds=("duration_seconds", "sum")
            )
        )
    done = time.perf_counter()
    return {"seconds": done - imported, "imports": imported - started, "rows": rows}


def child_pandas(folder: str) -> dict[str, Any]:
    """The same eight answers from the whole frame in pandas: once with the exact Decimal amounts (the totals
    DuckDB gives), once with float64 amounts (the frames' dtype: faster, not exact)."""
    import pandas as pd

    from convoi_nb.review import arrow_dataset

    started = time.perf_counter()
    frame = arrow_dataset(Path(folder)).to_table().to_pandas()
    load = time.perf_counter() - started
    week = frame["created_at"].dt.floor("D") - pd.to_timedelta(frame["created_at"].dt.weekday, unit="D")

    def totals(keys: list[Any], rows: Any) -> Any:
        return rows.groupby(keys, observed=True).agg(
            calls=("id", "count"), total_cost=("cost_amount", "sum"), seconds=("duration_seconds", "sum")
        )

    def run() -> None:
        for key in ("agent_id", "day", "status", "metadata.source"):
            totals([key, "cost_currency"], frame)
        totals([week, "cost_currency"], frame)
        if frame["cost_amount"].dtype == "float64":
            frame.nlargest(10, "cost_amount")  # the fast way, for floats only
        else:
            frame.sort_values(["cost_amount", "id"], ascending=[False, True]).head(10)
        tagged = frame[frame["metadata.experiment"].notna()]
        totals(["metadata.experiment", "metadata.variant", "cost_currency"], tagged)
        weekly = totals([week, "cost_currency"], frame)
        weekly["total_cost"].diff()

    exact = best_of(1, run)  # Decimal objects: slow enough that one round tells
    frame["cost_amount"] = frame["cost_amount"].astype("float64")
    return {"exact": exact, "float": best_of(3, run), "load": load, "rss": peak_rss_mib(), "rows": len(frame)}


CHILDREN = {"export": child_export, "duckdb": child_duckdb, "pandas": child_pandas, "first": child_first}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 calls (CI smoke run)")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--days", type=float, default=90.0, help="days the history spreads over")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*args.child[1:])))
        return
    n = args.calls or (5_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="convoi-review-bench-") as tmp:
        db, folder = Path(tmp) / "sandbox.sqlite3", Path(tmp) / "calls"
        sandbox = Sandbox(SandboxSettings(db_path=db))
        started = time.perf_counter()
        sandbox.generate_history(n, days=args.days)
        generated = time.perf_counter() - started
        sandbox.stop()
        process, url = spawn(["--db", str(db)], cwd=str(ROOT))
        try:
            served = process_cpu_seconds(process.pid)
            export = in_child(__file__, "export", url, str(folder))
            served = process_cpu_seconds(process.pid) - served
        finally:
            process.terminate()
            process.wait(timeout=10)
        size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
        duck = in_child(__file__, "duckdb", str(folder))
        frame = in_child(__file__, "pandas", str(folder))
        first = {
            how: min((in_child(__file__, "first", str(folder), how) for _ in range(3)), key=lambda r: r["seconds"])
            for how in ("review", "pandas")
        }
    assert export["calls"] == frame["rows"] == n, (export, frame)
    print(
        f"{n:,} calls: history generated in {generated:.1f} s; export {export['calls'] / export['seconds']:,.0f} "
        f"calls/s ({export['seconds']:.1f} s, {size / 2**20:.0f} MiB of Parquet, peak RSS "
        f"{export['rss']:.0f} MiB)"
    )
    print(
        f"CPU per call: sandbox serving the listing {served / n * 1e6:.0f} µs, exporting process "
        f"{export['cpu'] / n * 1e6:.0f} µs (pages are fetched one after another, so the two add up)"
    )
    print(
        f"review queries ({len(QUESTIONS)}: {', '.join(QUESTIONS)}): DuckDB over the files {duck['seconds']:.3f} s "
        f"(peak RSS {duck['rss']:.0f} MiB)"
    )
    print(
        f"pandas on the full frame (loaded in {frame['load']:.1f} s, peak RSS {frame['rss']:.0f} MiB): exact Decimal "
        f"totals {frame['exact']:.3f} s, DuckDB {frame['exact'] / duck['seconds']:.1f}× faster; float64 totals "
        f"{frame['float']:.3f} s, DuckDB {frame['float'] / duck['seconds']:.1f}× faster; counting the load, "
        f"DuckDB {(frame['float'] + frame['load']) / duck['seconds']:.1f}× faster"
    )
    within = max(export["rss"], duck["rss"]) <= 1024
    print(f"peak RSS of export and queries within 1 GiB: {'yes' if within else 'NO'}")
    print("each Review query (Ibis → DuckDB) against the same query written by hand in raw DuckDB SQL:")
    overhead_ok = True
    for name, times in duck["per"].items():
        ratio, extra_ms = times["review"] / times["raw"], (times["review"] - times["raw"]) * 1000
        ok = ratio <= 1.3 or extra_ms <= 10
        overhead_ok &= ok
        print(
            f"  {name:16} Review {times['review'] * 1000:7.1f} ms, raw DuckDB {times['raw'] * 1000:7.1f} ms: "
            f"{ratio:.2f}× ({extra_ms:+.1f} ms) {'ok' if ok else 'OVER'}"
        )
    print(f"every Review query ≤ 1.3× raw DuckDB or within 10 ms: {'yes' if overhead_ok else 'NO'}")
    review_s, pandas_s = first["review"]["seconds"], first["pandas"]["seconds"]
    speedup = pandas_s / review_s
    print(
        f"first answer from the folder (cost by agent, fresh process, best of 3): Review {review_s:.3f} s, "
        f"pandas reading the same columns and grouping {pandas_s:.3f} s: {speedup:.1f}× "
        f"({'ok' if speedup >= 5 else 'under the 5× target'}); imports before it: convoi_nb.review "
        f"{first['review']['imports']:.2f} s, pandas + pyarrow {first['pandas']['imports']:.2f} s"
    )


if __name__ == "__main__":
    main()
