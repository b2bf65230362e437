"""Every `>>>` example in the package's docstrings runs, with doctest, against the embedded sandbox.

The examples are found by doctest's own finder in every module of the package (private ones too: `ConvoiClient`
lives in `convoi_nb._client`), one test each. Each runs as a user's fresh notebook would: in an empty temporary
working folder, with `CONVOI_API_KEY` / `CONVOI_BASE_URL` unset and `CONVOI_SANDBOX_DB=":memory:"`, so
`convoi_nb.connect()` gives the embedded sandbox: a fresh one for each example (empty, so counts and replays in
one example never depend on another), already running (as after an earlier `connect()` in a notebook, so its
one announcement line is not part of any output), on a fast clock (`time_scale=3600`: a simulated call ends in
well under a second). There is no other shared setup: each example makes its own client and imports, on top of
its module's globals (doctest's default).

Outputs that vary (ids, timestamps, ports) are matched with `...` (ELLIPSIS); whitespace is normalized.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import convoi_nb
from convoi_nb import _connect
from convoi_nb.sandbox import Sandbox, SandboxSettings
from tests.docs.code_blocks import as_a_reader

SKIPPED_MODULES = ("convoi_nb.sandbox.__main__",)  # runs its command line when imported
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
DOCS_TIME_SCALE = 3600.0


def package_modules() -> list[str]:
    names = [convoi_nb.__name__]
    for info in pkgutil.walk_packages(convoi_nb.__path__, prefix=convoi_nb.__name__ + "."):
        if info.name not in SKIPPED_MODULES and "join_frontend" not in info.name:
            names.append(info.name)
    return names


def collect_examples() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    found: dict[str, doctest.DocTest] = {}
    for name in package_modules():
        module = importlib.import_module(name)
        for test in finder.find(module, module.__name__):
            if test.examples:
                found.setdefault(test.name, test)
    return sorted(found.values(), key=lambda test: test.name)


EXAMPLES = collect_examples()


@pytest.fixture()
def docs_sandbox() -> Iterator[Sandbox]:
    """The embedded sandbox the examples' `connect()` finds, on a fast clock, for one example."""
    previous = _connect._sandbox
    with Sandbox(SandboxSettings(db_path=":memory:", time_scale=DOCS_TIME_SCALE)) as sandbox:
        _connect._sandbox = sandbox
        try:
            yield sandbox
        finally:
            _connect._sandbox = previous


@pytest.fixture()
def user_session(docs_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    as_a_reader(monkeypatch, tmp_path)  # restored after the example, whatever it sets
    return tmp_path


def test_examples_were_found() -> None:
    names = {test.name for test in EXAMPLES}
    assert "convoi_nb._connect.connect" in names
    assert "convoi_nb.experiments.experiment.Experiment.run" in names


@pytest.mark.parametrize("example", EXAMPLES, ids=[test.name for test in EXAMPLES])
def test_example_runs(example: doctest.DocTest, user_session: Path) -> None:
    example.globs = dict(example.globs)  # a fresh copy of the module's globals for each run
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report = io.StringIO()
    with redirect_stdout(io.StringIO()):  # doctest captures the examples' own output itself
        runner.run(example, out=report.write, clear_globs=True)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{example.name} ({example.filename}:{example.lineno}):\n{report.getvalue()}"
