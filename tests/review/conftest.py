"""A sandbox with a hand-moved clock and a week of calls whose metadata changes shape as days pass: an integer
key that later holds text, a key that first appears on a later day, experiment tags on some calls."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

START = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)
AGENTS = [agent.id for agent in DEFAULT_ACCOUNT.agents]
DAYS = 6


def metadata_for(i: int) -> dict[str, Any]:
    metadata: dict[str, Any] = {"source": ("web", "app")[i % 2], "order_ref": i if i < 20 else f"ORD-{i}"}
    if i >= 28:
        metadata["campaign"] = "winter"  # a key that first appears in a later day (and a later page)
    if i % 3 == 0:
        metadata.update(experiment="exp-a", variant=("model=gpt-4o", "model=gpt-4o-mini")[i % 2], replicate=i)
    return metadata


def create_week(client: ConvoiClient, clock: ManualClock, *, settle: bool = True) -> None:
    """36 calls, 6 a day over `DAYS` days (newest last); `settle` lets every call finish."""
    for i in range(6 * DAYS):
        if i:
            clock.advance(4 * 3600)
        overrides = {"llm": {"model": "gpt-4o"}} if metadata_for(i).get("variant") == "model=gpt-4o" else None
        client.create_web_call(AGENTS[i % 3], agent_overrides=overrides, metadata=metadata_for(i))
    if settle:
        clock.advance(3600)


@pytest.fixture(scope="module")
def week() -> Iterator[Sandbox]:
    """A shared sandbox holding the finished week of calls (tests that change it make their own)."""
    clock = ManualClock(START)
    with Sandbox(SandboxSettings(clock=clock, seed=3)) as sandbox:
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            create_week(client, clock)
        yield sandbox


@pytest.fixture()
def week_api(client_factory: Any, week: Sandbox) -> Any:
    return client_factory(api_key=week.api_key, base_url=week.url)


def dataset_files(root: Path) -> dict[str, bytes]:
    """Every data file of an export, by its path in the folder."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.glob("day=*/*.parquet"))}


def checksum(root: Path) -> tuple[int, str]:
    """(rows, sha256 of every row of every day, in order, as JSON): the dataset's content."""
    digest, rows = hashlib.sha256(), 0
    for name in dataset_files(root):
        table = pq.read_table(root / name)
        digest.update(name.encode())
        digest.update(str(table.schema).encode())
        for row in table.to_pylist():
            digest.update(json.dumps(row, default=str, sort_keys=True).encode())
            rows += 1
    return rows, digest.hexdigest()


@pytest.fixture()
def week_client(week: Sandbox) -> Iterator[ConvoiClient]:
    """A sync client on the shared week (for tests about files, where the client's face does not matter)."""
    with ConvoiClient(api_key=week.api_key, base_url=week.url) as client:
        yield client


def snapshot(root: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """Every entry under `root` (links not followed): its mode and its bytes, link target or nothing."""
    found: dict[str, tuple[int, bytes | str | None]] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        if path.is_symlink():
            found[path.relative_to(root).as_posix()] = (mode, str(path.readlink()))
        elif path.is_file():
            found[path.relative_to(root).as_posix()] = (mode, path.read_bytes())
        else:
            found[path.relative_to(root).as_posix()] = (mode, None)
    return found


def edit_manifest(root: Path, edit: Any) -> None:
    """Apply `edit` to the manifest's JSON (it may return a replacement) and write it back."""
    path = root / "_manifest.json"
    data = json.loads(path.read_text())
    changed = edit(data)
    path.write_text(json.dumps(data if changed is None else changed))


@pytest.fixture(scope="module")
def week_client_module(week: Sandbox) -> Iterator[ConvoiClient]:
    """`week_client` for module-scoped fixtures."""
    with ConvoiClient(api_key=week.api_key, base_url=week.url) as client:
        yield client


# -- engines: every review question runs on embedded DuckDB and on Spark local[2] ------------------------------

ENGINES = ["duckdb", "spark"]


def spark_missing() -> str | None:
    """Why the Spark cases cannot run here (no pyspark, no Java), or None."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return 'pyspark is not installed: pip install "convoi_nb[spark]"'
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Spark needs Java 17+, which is not installed (Debian: apt-get install openjdk-17-jre-headless)"
    return None


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local Spark session for the whole test session: Spark takes seconds to start, so it starts once."""
    reason = spark_missing()
    if reason:
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("convoi_nb tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")  # a few hundred rows: 200 shuffle tasks would be all overhead
        .config("spark.driver.memory", "512m")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
