"""The README's examples run as written (on the embedded sandbox)."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def python_block(after_heading: str) -> str:
    section = README.split(after_heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_twenty_line_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from convoi_nb import _connect

    monkeypatch.chdir(tmp_path)  # the working folder .convoi_nb/ (the results store) lands here
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    monkeypatch.setenv("CONVOI_SANDBOX_DB", ":memory:")
    monkeypatch.setattr(_connect, "_sandbox", None)
    code = python_block("## In twenty lines")
    assert len(code.strip().splitlines()) <= 20
    namespace: dict = {}
    try:
        exec(compile(code, "README.md", "exec"), namespace)
    finally:
        if _connect._sandbox is not None:
            _connect._sandbox.stop()
    out = capsys.readouterr().out
    assert "(masked)" in out and "cost_per_minute" in out
    assert len(namespace["frame"]) == 1 and namespace["results"].summary()["ended"].sum() >= 15


def test_readme_keeps_the_sections_users_look_for() -> None:
    headings = re.findall(r"^## (.+)$", README, re.M)
    for wanted in (
        "Two commands",
        "In twenty lines",
        "Notebooks",
        "DataFrames for cost review",
        "Experiments: compare override variants",
        "Widgets",
        "Benchmarks",
        "Configuration",
        "The API it speaks",
        "Errors",
        "Retries and idempotency",
        "Secrets",
        "The embedded sandbox",
        "Binder",
        "Development",
    ):
        assert wanted in headings, wanted
    # The first command is the notebooks launcher (issue 25: JupyterLab on copies, so the checkout stays clean).
    first = re.search(r"^## Two commands\n.*?```bash\n(.*?)```", README, re.S | re.M).group(1)
    assert first.strip().endswith(".venv/bin/python -m convoi_nb.notebooks"), first
    assert importlib.util.find_spec("convoi_nb.notebooks") is not None
    assert "bash .ci/run" in README


def test_the_error_tree_is_the_one_the_package_draws() -> None:
    from convoi_nb import errors

    def tree(text: str) -> str:
        start = text.index("```\nConvoiError") + 4
        return text[start : text.index("```", start)]

    assert tree(README) == tree(errors.__doc__ or "")
