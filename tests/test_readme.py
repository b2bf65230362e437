"""The README's first screen: the twenty-line tour runs as written (on the embedded sandbox), the first command is
the notebooks launcher, the test command is named, and the page stays short. Everything else the README used to
carry lives in the docs; tests/docs/test_pages.py checks that the site has a page for each of those topics."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.docs.code_blocks import blocks, run_blocks

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
MAX_LINES = 150  # issue 24: what a reader sees at once, then links into the docs


def test_twenty_line_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    heading = README[: README.index("## In twenty lines")].count("\n") + 1
    tour = next(block for block in blocks(README) if block.runs and block.line > heading)  # the one under it
    assert len(tour.code.strip().splitlines()) <= 20
    namespace = run_blocks("README.md", [tour], tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "(masked)" in out and "cost_per_minute" in out
    assert len(namespace["frame"]) == 1 and namespace["results"].summary()["ended"].sum() >= 15


def test_the_first_screen_has_the_two_commands_and_stays_short() -> None:
    assert len(README.splitlines()) <= MAX_LINES
    # The first command is the notebooks launcher (issue 25: JupyterLab on copies, so the checkout stays clean).
    first = re.search(r"^## Two commands\n.*?```bash\n(.*?)```", README, re.S | re.M).group(1)
    assert first.strip().endswith(".venv/bin/python -m convoi_nb.notebooks"), first
    assert importlib.util.find_spec("convoi_nb.notebooks") is not None
    assert "bash .ci/run" in README
    headings = re.findall(r"^## (.+)$", README, re.M)
    assert headings[:2] == ["Two commands", "In twenty lines"], headings


def test_the_picture_is_in_the_repository_and_small() -> None:
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+\.png)\)", README)
    assert pictures, "the README shows the panel or a card"
    for picture in pictures:
        path = Path(__file__).resolve().parent.parent / picture
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", picture
        assert path.stat().st_size < 150 * 1024, picture


def test_links_into_the_docs_point_at_pages_that_exist() -> None:
    root = Path(__file__).resolve().parent.parent
    links = re.findall(r"\]\((docs/[^)#]+\.md)(?:#[^)]*)?\)", README)
    assert len(links) >= 10, links
    missing = [link for link in links if not (root / link).is_file()]
    assert not missing, missing
