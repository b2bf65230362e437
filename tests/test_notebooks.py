"""`python -m convoi_nb.notebooks`: the bundled notebooks run from copies in `.convoi_nb/notebooks/` (never
overwriting a copy you changed), and JupyterLab starts as root too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from convoi_nb import notebooks
from convoi_nb.notebooks import FIRST, RECORD, copy_notebooks, jupyter_command
from convoi_nb.workspace import DIR_ENV, FOLDER_NAME

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def bundled(tmp_path: Path) -> Path:
    source = tmp_path / "bundled"
    source.mkdir()
    for name in (FIRST, "02.ipynb"):
        (source / name).write_text(f'{{"cells": [], "name": "{name} v1"}}')
    return source


def test_copies_are_made_once_and_a_changed_copy_is_never_overwritten(bundled: Path, tmp_path: Path) -> None:
    target = tmp_path / "copies"
    done = copy_notebooks(bundled, target)
    assert done.copied == [FIRST, "02.ipynb"] and not done.updated and not done.kept
    assert (target / FIRST).read_text() == (bundled / FIRST).read_text()
    (target / FIRST).write_text("my edits and outputs")  # what JupyterLab's autosave does
    again = copy_notebooks(bundled, target)
    assert not again.copied and not again.updated and not again.kept
    for name in (FIRST, "02.ipynb"):
        (bundled / name).write_text(f'{{"cells": [], "name": "{name} v2"}}')  # a newer checkout
    newer = copy_notebooks(bundled, target)
    assert newer.kept == [FIRST] and newer.updated == ["02.ipynb"]  # yours kept; an untouched copy updated
    assert (target / FIRST).read_text() == "my edits and outputs"
    assert "v2" in (target / "02.ipynb").read_text()
    assert copy_notebooks(bundled, target).kept == [FIRST]  # said again until you decide
    (target / FIRST).unlink()  # delete yours to get the new one
    assert copy_notebooks(bundled, target).copied == [FIRST] and "v2" in (target / FIRST).read_text()
    assert sorted(p.name for p in target.iterdir()) == sorted([FIRST, "02.ipynb", RECORD])  # no temporary left


def test_a_link_or_a_broken_record_is_never_written_through(bundled: Path, tmp_path: Path) -> None:
    target = tmp_path / "copies"
    target.mkdir()
    outside = tmp_path / "outside.ipynb"
    outside.write_text("yours")
    (target / FIRST).symlink_to(outside)
    (target / RECORD).write_text("[not, a record")
    (target / "02.ipynb").write_text("an older copy, no record of it")
    done = copy_notebooks(bundled, target)
    assert done.kept == [FIRST, "02.ipynb"] and not done.copied and not done.updated
    assert outside.read_text() == "yours" and (target / FIRST).is_symlink()
    assert (target / "02.ipynb").read_text() == "an older copy, no record of it"


@pytest.mark.parametrize(("euid", "root"), [(0, True), (1000, False)])
def test_jupyterlab_is_started_on_the_copies_with_allow_root_only_as_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], euid: int, root: bool
) -> None:
    """Issue 25, item 9: `jupyter lab` as root exits with "Running as root is not recommended"."""
    monkeypatch.delenv(DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "geteuid", lambda: euid)
    started: list[tuple[str, list[str], Path]] = []
    notebooks.main(["--no-browser"], run=lambda exe, argv: started.append((exe, argv, Path.cwd())))
    [(exe, argv, cwd)] = started
    copies = tmp_path / FOLDER_NAME / "notebooks"
    assert exe == sys.executable and argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert ("--allow-root" in argv) is root and "--no-browser" in argv and argv[-1] == FIRST
    assert cwd == copies and (copies / FIRST).read_bytes() == (ROOT / "notebooks" / FIRST).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [FOLDER_NAME]  # nothing outside the working folder
    assert "copied 01_quickstart.ipynb" in capsys.readouterr().out
    assert jupyter_command(["--allow-root"], euid=0).count("--allow-root") == 1


def test_jupyterlab_accepts_the_command_line() -> None:
    from jupyterlab.labapp import LabApp

    app = LabApp()
    app.parse_command_line(jupyter_command(["--no-browser"], euid=0)[3:])
    assert app.config.ServerApp.allow_root is True and app.extra_args == [FIRST]


def test_jupyterlab_starts_with_the_launchers_command(tmp_path: Path) -> None:
    """The real server, as this test's user (root in the project's containers), until it says it is running."""
    (tmp_path / FIRST).write_bytes((ROOT / "notebooks" / FIRST).read_bytes())
    command = jupyter_command(["--no-browser", "--ServerApp.port=0", "--ServerApp.port_retries=0"])
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path)}
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    said: list[str] = []
    try:
        assert server.stderr is not None
        for line in server.stderr:  # a condition, not a sleep: the line that says it serves, or the end
            said.append(line)
            if "is running at" in line:
                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert any("is running at" in line for line in said), "".join(said[-5:])
    assert not any("Running as root" in line for line in said)


def test_without_a_checkout_the_launcher_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(notebooks, "__file__", str(tmp_path / "site-packages" / "convoi_nb" / "notebooks.py"))
    with pytest.raises(SystemExit, match=r"the bundled notebooks are in the convoi_nb checkout.*pip install -e"):
        notebooks.main([], run=lambda exe, argv: pytest.fail("JupyterLab started"))
    assert not (tmp_path / FOLDER_NAME / "notebooks").exists()
