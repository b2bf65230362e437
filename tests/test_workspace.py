"""The per-project working folder `.convoi_nb/`: found by one rule, ignored by git on its own, never a link."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from convoi_nb import ConfigurationError, workspace
from convoi_nb.workspace import DIR_ENV, FOLDER_NAME

GIT = shutil.which("git")


@pytest.fixture(autouse=True)
def no_named_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DIR_ENV, raising=False)


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def test_the_folder_is_found_by_one_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain" / "sub"
    plain.mkdir(parents=True)
    assert workspace.locate(plain) == plain / FOLDER_NAME  # no checkout: the current directory
    checkout = tmp_path / "checkout"
    (checkout / "notebooks").mkdir(parents=True)
    (checkout / ".git").mkdir()
    # A notebook in notebooks/ and a script at the top of a checkout share the checkout's folder...
    assert workspace.locate(checkout / "notebooks") == workspace.locate(checkout) == checkout / FOLDER_NAME
    (checkout / "worktree").mkdir()
    (checkout / "worktree" / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
    assert workspace.locate(checkout / "worktree") == checkout / "worktree" / FOLDER_NAME
    # ... and the launcher's copies, inside .convoi_nb/notebooks, use the project's.
    assert workspace.locate(checkout / FOLDER_NAME / "notebooks") == checkout / FOLDER_NAME
    monkeypatch.chdir(checkout / "notebooks")
    assert workspace.locate() == checkout / FOLDER_NAME
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "mine"))  # a folder you name wins
    assert workspace.locate() == (tmp_path / "mine").resolve()


def test_it_is_created_private_and_ignored_by_git_without_touching_yours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if GIT is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("*.log\n")
    git(tmp_path, "add", ".gitignore")
    git(tmp_path, "commit", "-qm", "start")
    monkeypatch.chdir(tmp_path)
    folder = workspace.ensure()
    assert folder == tmp_path / FOLDER_NAME and stat.S_IMODE(folder.stat().st_mode) == 0o700
    (folder / "sandbox.sqlite3").write_bytes(b"calls")
    (folder / "exports").mkdir()
    (folder / "exports" / "part-0.parquet").write_bytes(b"x")
    assert git(tmp_path, "status", "--porcelain", "--untracked-files=all") == ""
    assert (tmp_path / ".gitignore").read_text() == "*.log\n"  # yours, untouched
    assert "*" in (folder / ".gitignore").read_text().splitlines()
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert workspace.path("exports", "calls") == folder / "exports" / "calls"


def test_what_is_there_is_kept_and_never_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / FOLDER_NAME
    folder.mkdir(mode=0o755)
    (folder / ".gitignore").write_text("# mine\n*\n!keep.txt\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("yours")
    (folder / "CACHEDIR.TAG").symlink_to(outside)
    assert workspace.ensure() == folder
    assert (folder / ".gitignore").read_text() == "# mine\n*\n!keep.txt\n"
    assert outside.read_text() == "yours"  # the link was not written through
    assert stat.S_IMODE(folder.stat().st_mode) == 0o755  # an existing folder keeps its mode


def test_a_link_or_a_file_where_the_folder_should_be_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / FOLDER_NAME).symlink_to(elsewhere)
    monkeypatch.chdir(project)
    with pytest.raises(ConfigurationError, match="is a symbolic link"):
        workspace.ensure()
    with pytest.raises(ConfigurationError, match="is a symbolic link"):
        workspace.path("convoi_experiments.sqlite3")
    assert list(elsewhere.iterdir()) == []
    (project / FOLDER_NAME).unlink()
    (project / FOLDER_NAME).write_text("a file of yours")
    with pytest.raises(ConfigurationError, match="is not a folder"):
        workspace.ensure()
    assert (project / FOLDER_NAME).read_text() == "a file of yours"


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", f"..{os.sep}x", 5])
def test_a_name_inside_is_one_plain_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: object) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match="one plain name"):
        workspace.path("exports", name)  # type: ignore[arg-type]  # checked at run time
    assert not (tmp_path / FOLDER_NAME).exists()  # refused before anything was created


def test_a_folder_that_cannot_be_made_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv(DIR_ENV, str(tmp_path / "file" / "inside"))
    with pytest.raises(ConfigurationError, match=f"cannot be used.*set {DIR_ENV}"):
        workspace.ensure()
