"""Review reads exactly the files the manifest lists, checked against it first: no glob over the user's path, no
Hive partition parsed from it, no stray file counted, no raw DuckDB error for a planted file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from convoi_nb import ConvoiClient, DatasetError
from convoi_nb.review import Review, arrow_dataset, export_calls

from .conftest import edit_manifest


@pytest.fixture(scope="module")
def exported(week_client_module: ConvoiClient, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("files") / "calls"
    export_calls(week_client_module, root)
    return root


def copy(exported: Path, to: Path) -> Path:
    shutil.copytree(exported, to, symlinks=True)
    return to


def count(root: Path) -> int:
    with Review(root) as review:
        return int(review.query("SELECT COUNT(*) AS n FROM calls")["n"].iloc[0])


@pytest.mark.parametrize(("name", "siblings"), [("g[ab]", ["ga", "gb"]), ("h*", ["h1", "h2"]), ("q?", ["qx"])])
def test_a_folder_name_is_never_a_pattern(exported: Path, tmp_path: Path, name: str, siblings: list[str]) -> None:
    """Issue 28, item 6: `Review("g[ab]")` counted its siblings `ga` and `gb` too."""
    for sibling in siblings:
        copy(exported, tmp_path / sibling)
    assert count(copy(exported, tmp_path / name)) == 36
    assert arrow_dataset(tmp_path / name).count_rows() == 36


def test_key_value_folders_above_the_export_are_not_columns(exported: Path, tmp_path: Path) -> None:
    """DuckDB's Hive partitioning parses every `key=value` folder of a path, the user's own ones included."""
    root = copy(exported, tmp_path / "status=archived" / "agent_id=x" / "calls")
    with Review(root) as review:
        assert set(review.cost_by("status").index) <= {"ended", "failed", "expired"}
        assert review.cost_by("agent")["calls"].sum() == 36
        assert "agent_id=x" not in str(review.query("SELECT DISTINCT agent_id FROM calls"))


def test_a_stray_day_is_refused_not_counted(exported: Path, tmp_path: Path) -> None:
    """Issue 28, item 7: a stray `day=2020-01-01/part-0.parquet` was counted."""
    root = copy(exported, tmp_path / "calls")
    shutil.copytree(
        root / f"day={min(json.loads((root / '_manifest.json').read_text())['days'])}", root / "day=2020-01-01"
    )
    with pytest.raises(
        DatasetError, match=r"does not match its manifest: day=2020-01-01 is not a day its manifest lists"
    ):
        Review(root)
    with pytest.raises(DatasetError, match="day=2020-01-01"):
        arrow_dataset(root)


def test_a_stray_file_in_a_day_folder_is_refused(exported: Path, tmp_path: Path) -> None:
    root = copy(exported, tmp_path / "calls")
    day = next(root.glob("day=*"))
    shutil.copy(day / "part-0.parquet", day / "part-1.parquet")
    with pytest.raises(DatasetError, match=rf"{day.name}/part-1.parquet is not the day's file"):
        Review(root)


def planted(root: Path, change: str) -> Path:
    """Rewrite the oldest day's file with one thing changed."""
    oldest = root / f"day={min(json.loads((root / '_manifest.json').read_text())['days'])}" / "part-0.parquet"
    table = pq.read_table(oldest)
    if change == "type":  # money as a float
        i = table.schema.get_field_index("cost_amount")
        table = table.set_column(i, pa.field("cost_amount", pa.float64()), table.column(i).cast(pa.float64()))
    elif change == "column":
        table = table.append_column("metadata.planted", pa.array(["x"] * len(table)))
    elif change == "rows":
        table = table.slice(1)
    elif change == "day":
        shifted = pa.array(
            [t.replace(year=2020) for t in table.column("created_at").to_pylist()], type=pa.timestamp("us", tz="UTC")
        )
        table = table.set_column(table.schema.get_field_index("created_at"), "created_at", shifted)
    pq.write_table(table, oldest)
    return oldest


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("type", "column cost_amount is double, not decimal128"),
        ("column", "column metadata.planted is no metadata key its manifest lists"),
        ("rows", r"it holds \d+ calls, its manifest says \d+"),
        ("day", "it holds calls made on 2020-"),
    ],
)
def test_a_file_that_disagrees_with_the_manifest_is_a_dataset_error(
    exported: Path, tmp_path: Path, change: str, named: str
) -> None:
    """Issue 28, item 7: a planted file with other column types failed with DuckDB's raw BinderException."""
    root = copy(exported, tmp_path / "calls")
    path = planted(root, change)
    with pytest.raises(DatasetError, match=rf"{path}: {named}"):
        Review(root)


def test_a_file_that_is_not_parquet_is_a_dataset_error(exported: Path, tmp_path: Path) -> None:
    root = copy(exported, tmp_path / "calls")
    path = next(root.glob("day=*")) / "part-0.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(DatasetError, match=f"{path} is not a readable Parquet file"):
        Review(root)


def test_an_empty_manifest_list_is_a_dataset_error(exported: Path, tmp_path: Path) -> None:
    root = copy(exported, tmp_path / "calls")
    edit_manifest(root, lambda data: [])
    with pytest.raises(DatasetError, match=r"_manifest\.json is not a valid export manifest \(the whole file"):
        Review(root)
