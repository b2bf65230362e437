"""The export never leaves the folder the user named: an edited manifest, a day folder or file replaced by a
link, a read-only file or folder, are each refused with a DatasetError before anything is written or removed;
what it creates is private (0700 folders, 0600 files)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import ConvoiClient, DatasetError, ValidationError
from convoi_nb.review import Review, export_calls

from .conftest import dataset_files, edit_manifest, snapshot


def newest_day(root: Path) -> str:
    return max(json.loads((root / "_manifest.json").read_text())["days"])


def test_an_edited_manifest_cannot_remove_a_folder_outside_the_export(
    week_client: ConvoiClient, tmp_path: Path
) -> None:
    """Issue 28, item 1: `in_flight` set on a real day and a day `zzz/../../victim` added made the next export
    remove the sibling folder `victim/`."""
    root, victim = tmp_path / "tm", tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me")
    export_calls(week_client, root)

    def plant(data: dict[str, Any]) -> None:
        first = min(data["days"])
        data["days"][first]["in_flight"] = 1
        data["days"]["zzz/../../victim"] = {"rows": 1, "in_flight": 0}

    edit_manifest(root, plant)
    (root / "day=zzz").mkdir()
    before = snapshot(root)
    with pytest.raises(DatasetError, match=r"_manifest\.json is not a valid export manifest.*zzz/\.\./\.\./victim"):
        export_calls(week_client, root)
    assert (victim / "precious.txt").read_text() == "keep me"
    assert snapshot(root) == before  # nothing written, renamed or removed


def _days_type(data: dict[str, Any]) -> None:
    data["days"][min(data["days"])]["rows"] = "3"


def _bool_rows(data: dict[str, Any]) -> None:
    data["days"][min(data["days"])]["rows"] = True


def _bad_date(data: dict[str, Any]) -> None:
    data["days"]["2026-13-40"] = {"rows": 1, "in_flight": 0}


def _unknown_key(data: dict[str, Any]) -> None:
    data["owner"] = "me"


def _pending_unknown_day(data: dict[str, Any]) -> None:
    data["pending"] = {"created_after": None, "written": ["2031-01-01"], "last_day": "2031-01-01"}


def _in_flight_over_rows(data: dict[str, Any]) -> None:
    data["days"][min(data["days"])]["in_flight"] = 999


def _case_keys(data: dict[str, Any]) -> None:
    data["metadata_kinds"]["Source"] = ["string"]  # an export written before keys were checked, say


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda data: [], "the whole file: Input should be an object"),
        (lambda data: None if data.pop("days") else None, None),  # days missing: a valid, empty manifest
        (_days_type, r"days\.\d{4}-\d\d-\d\d\.rows: Input should be a valid integer"),
        (_bool_rows, r"days\.\d{4}-\d\d-\d\d\.rows: Input should be a valid integer"),
        (_bad_date, r"days\.2026-13-40 \(the key\): must be a calendar day"),
        (_unknown_key, "owner: Extra inputs are not permitted"),
        (_pending_unknown_day, "pending.written names days the manifest does not hold: 2031-01-01"),
        (_in_flight_over_rows, r"in_flight \(999\) is more than rows"),
        (lambda data: {**data, "format": 2}, "format: Input should be 1"),
        (_case_keys, "metadata_kinds holds 'Source' and 'source', which SQL engines read as one column"),
    ],
)
def test_an_invalid_manifest_is_named_and_nothing_changes(
    week_client: ConvoiClient, tmp_path: Path, edit: Any, named: str | None
) -> None:
    root = tmp_path / "calls"
    export_calls(week_client, root)
    edit_manifest(root, edit)
    before = snapshot(root)
    if named is None:  # the manifest is valid but lists no day: every day folder is then a stray
        with pytest.raises(DatasetError, match=r"does not match its manifest: day=\S+ is not a day its manifest lists"):
            export_calls(week_client, root)
    else:
        with pytest.raises(DatasetError, match=rf"{root}/_manifest\.json is not a valid export manifest.*{named}"):
            export_calls(week_client, root)
        with pytest.raises(DatasetError, match="is not a valid export manifest"):
            Review(root)
    assert snapshot(root) == before


def test_a_day_listed_without_its_file_is_refused(week_client: ConvoiClient, tmp_path: Path) -> None:
    root = tmp_path / "calls"
    export_calls(week_client, root)
    oldest = min(json.loads((root / "_manifest.json").read_text())["days"])
    (root / f"day={oldest}" / "part-0.parquet").unlink()
    before = snapshot(root)
    with pytest.raises(DatasetError, match=rf"day={oldest}/part-0.parquet is listed but missing"):
        export_calls(week_client, root)
    with pytest.raises(DatasetError, match=rf"day={oldest}/part-0.parquet is listed but missing"):
        Review(root)
    assert snapshot(root) == before


@pytest.mark.parametrize("link", ["day folder", "day file", "manifest", "lock"])
def test_a_link_inside_the_folder_is_refused_never_written_through(
    week_client: ConvoiClient, tmp_path: Path, link: str
) -> None:
    """Issue 28, item 2: a day folder replaced by a link to `outside/` had `outside/part-0.parquet` overwritten."""
    root, outside = tmp_path / "calls", tmp_path / "outside"
    export_calls(week_client, root)
    day = newest_day(root)  # the day the next run rewrites
    outside.mkdir()
    if link == "day folder":
        shutil.move(root / f"day={day}" / "part-0.parquet", outside / "part-0.parquet")
        (root / f"day={day}").rmdir()
        (root / f"day={day}").symlink_to(outside, target_is_directory=True)
    elif link == "day file":
        shutil.move(root / f"day={day}" / "part-0.parquet", outside / "part-0.parquet")
        (root / f"day={day}" / "part-0.parquet").symlink_to(outside / "part-0.parquet")
    elif link == "manifest":
        shutil.move(root / "_manifest.json", outside / "part-0.parquet")
        (root / "_manifest.json").symlink_to(outside / "part-0.parquet")
    else:
        (root / "_export.lock").unlink()
        (outside / "part-0.parquet").write_text("not a lock")
        (root / "_export.lock").symlink_to(outside / "part-0.parquet")
    outside_before, inside_before = snapshot(outside), snapshot(root)
    with pytest.raises(DatasetError, match="link|Too many levels"):
        export_calls(week_client, root)
    assert snapshot(outside) == outside_before and snapshot(root) == inside_before
    if link != "lock":
        with pytest.raises(DatasetError, match="link"):
            Review(root)


def test_what_the_export_creates_is_private(week_client: ConvoiClient, tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask: without the export's own modes, folders 0755 and files 0644
    try:
        export_calls(week_client, tmp_path / "calls")
    finally:
        os.umask(old)
    root = tmp_path / "calls"
    modes = {p.relative_to(root).as_posix(): stat.S_IMODE(p.lstat().st_mode) for p in root.rglob("*")}
    modes["."] = stat.S_IMODE(root.stat().st_mode)
    assert {name for name, mode in modes.items() if mode != (0o700 if (root / name).is_dir() else 0o600)} == set()
    assert "_export.lock" in modes and "_manifest.json" in modes and len(dataset_files(root)) >= 6


def test_the_parent_folders_the_export_creates_are_private_too(week_client: ConvoiClient, tmp_path: Path) -> None:
    """`mkdir(parents=True)` made the missing parents 0755 (its mode applies to the last folder only)."""
    existing = tmp_path / "projects"
    existing.mkdir()
    existing.chmod(0o755)
    old = os.umask(0o022)
    try:
        export_calls(week_client, existing / "q3" / "costs" / "calls")
    finally:
        os.umask(old)
    created = ("q3", "q3/costs", "q3/costs/calls")
    assert {name: stat.S_IMODE((existing / name).stat().st_mode) for name in created} == dict.fromkeys(created, 0o700)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o755  # a folder that existed is left as it was


@pytest.mark.parametrize("target", ["folder", "manifest", "day folder", "day file"])
def test_a_read_only_file_or_folder_is_left_read_only(week_client: ConvoiClient, tmp_path: Path, target: str) -> None:
    """Refused from its mode bits, not from the OS's answer: the tests run as root, whom no mode stops."""
    root = tmp_path / "calls"
    export_calls(week_client, root)
    day = newest_day(root)  # rewritten by every run
    path = {
        "folder": root,
        "manifest": root / "_manifest.json",
        "day folder": root / f"day={day}",
        "day file": root / f"day={day}" / "part-0.parquet",
    }[target]
    read_only = 0o500 if path.is_dir() else 0o400
    path.chmod(read_only)
    try:
        before = snapshot(root)
        with pytest.raises(DatasetError, match=f"{path} is read-only; the export leaves it so"):
            export_calls(week_client, root)
        assert stat.S_IMODE(path.stat().st_mode) == read_only  # no bit added
        assert snapshot(root) == before
    finally:
        path.chmod(0o700)


def test_bad_paths_are_validation_errors(week_client: ConvoiClient, tmp_path: Path) -> None:
    for path in (None, 123, "", "a\0b"):
        with pytest.raises(ValidationError, match="path"):
            export_calls(week_client, path)  # type: ignore[arg-type]  # the mistake under test
        with pytest.raises(ValidationError, match="path"):
            Review(path)  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(DatasetError, match="does not exist"):
        Review(tmp_path / "missing")


def test_a_killed_writers_temporary_files_are_removed_and_nothing_else(
    week_client: ConvoiClient, tmp_path: Path
) -> None:
    """Temporary names are unique per writer (`.<name>.<16 hex>.tmp`); under the lock no other writer runs, so
    the next export removes what a killed one left, and only that."""
    root = tmp_path / "calls"
    export_calls(week_client, root)
    day = root / f"day={newest_day(root)}"
    left = [day / ".part-0.parquet.0123456789abcdef.tmp", root / "._manifest.json.fedcba9876543210.tmp"]
    kept = [day / ".keep", root / "notes.txt"]
    for path in left + kept:
        path.write_text("x")
    export_calls(week_client, root)
    assert [p.exists() for p in left] == [False, False] and all(p.exists() for p in kept)


def test_without_posix_file_access_the_folder_is_refused_with_a_configuration_error(
    week_client: ConvoiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where files cannot be reached relative to a folder's descriptor (Windows), nothing is written by path."""
    from convoi_nb import ConfigurationError
    from convoi_nb.review import folder

    monkeypatch.setattr(folder, "_POSIX", False)
    with pytest.raises(ConfigurationError, match="need a POSIX system"):
        export_calls(week_client, tmp_path / "calls")
    assert not (tmp_path / "calls").exists()
