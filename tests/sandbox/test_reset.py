"""A sandbox database per project (in its working folder), and `python -m convoi_nb.sandbox reset`, which removes
that project's sandbox databases and nothing else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from convoi_nb.sandbox.__main__ import reset
from convoi_nb.sandbox.settings import DB_ENV
from convoi_nb.workspace import DIR_ENV, FOLDER_NAME

COUNT_AFTER_ONE_CALL = """
import convoi_nb
client = convoi_nb.connect()
client.create_web_call(client.list_agents()[0].id)
print(len(list(client.list_calls())))
"""


def run(project: Path, *args: str, data: Path) -> str:
    """A fresh Python process in `project`, on the embedded sandbox, with its own per-user data folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONVOI_API_KEY", "CONVOI_BASE_URL", DB_ENV, DIR_ENV)}
    env["XDG_DATA_HOME"] = str(data)  # where the per-user data folder was: nothing may land there
    done = subprocess.run(
        [sys.executable, *args], cwd=project, env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout.strip().splitlines()[-1]


def test_two_projects_have_two_sandboxes_and_reset_empties_one(tmp_path: Path) -> None:
    """Issue 25, item 7: every clone shared the sandbox database in the per-user data folder, so a fresh
    clone's quickstart table already held older calls."""
    first, second, data = tmp_path / "first", tmp_path / "second", tmp_path / "data"
    for folder in (first, second, data):
        folder.mkdir()
    assert run(first, "-c", COUNT_AFTER_ONE_CALL, data=data) == "1"
    assert run(first, "-c", COUNT_AFTER_ONE_CALL, data=data) == "2"  # kept across processes
    assert run(second, "-c", COUNT_AFTER_ONE_CALL, data=data) == "1"  # another project: its own calls
    assert (first / FOLDER_NAME / "sandbox.sqlite3").is_file() and list(data.iterdir()) == []
    (first / FOLDER_NAME / "convoi_experiments.sqlite3").write_bytes(b"results")
    said = run(first, "-m", "convoi_nb.sandbox", "reset", data=data)
    assert said.startswith("kept: everything else")
    assert run(first, "-c", COUNT_AFTER_ONE_CALL, data=data) == "1"  # afresh
    assert run(second, "-c", COUNT_AFTER_ONE_CALL, data=data) == "2"  # the other project's, untouched
    assert (first / FOLDER_NAME / "convoi_experiments.sqlite3").read_bytes() == b"results"


def test_reset_removes_only_the_sandbox_files_and_follows_no_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(DIR_ENV, raising=False)
    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / FOLDER_NAME
    (folder / "exports").mkdir(parents=True)
    outside = tmp_path / "yours.sqlite3"
    outside.write_bytes(b"yours")
    owned = ["sandbox.sqlite3", "sandbox.sqlite3-wal", "sandbox.sqlite3-shm", "standalone.sqlite3-journal"]
    kept = [".gitignore", "convoi_experiments.sqlite3", "sandbox.sqlite3.bak", "exports/part-0.parquet"]
    for name in owned + kept:
        (folder / name).write_bytes(b"x")
    (folder / "standalone.sqlite3").symlink_to(outside)  # a link is not the sandbox's file: kept, not followed
    assert sorted(reset()) == sorted(owned)
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()) == sorted(
        [*kept, "standalone.sqlite3"]
    )
    assert (folder / "standalone.sqlite3").is_symlink() and outside.read_bytes() == b"yours"
    out = capsys.readouterr().out
    assert f"removed from {folder}: sandbox.sqlite3" in out and "left as they are" in out
    assert reset() == [] and "nothing to remove" in capsys.readouterr().out
    monkeypatch.setenv(DB_ENV, str(outside))  # a shared database is not this project's to remove
    assert reset() == [] and outside.read_bytes() == b"yours"
    assert "that database is shared, so it was left as it is" in capsys.readouterr().out


def test_reset_refuses_a_working_folder_that_is_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(DIR_ENV, raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "sandbox.sqlite3").write_bytes(b"not this project's")
    project = tmp_path / "project"
    project.mkdir()
    (project / FOLDER_NAME).symlink_to(elsewhere)
    monkeypatch.chdir(project)
    with pytest.raises(SystemExit):
        reset()
    assert "is a symbolic link or not a folder: nothing removed" in capsys.readouterr().err
    assert (elsewhere / "sandbox.sqlite3").read_bytes() == b"not this project's"
