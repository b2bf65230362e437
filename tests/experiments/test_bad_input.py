"""Every documented bad input of the experiments API raises one of the package's own errors, before anything is
sent: `ValidationError` (also a `ValueError`) for a bad argument, the same class wherever the same check runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from convoi_nb.budget import cap_from_text, check_cap
from convoi_nb.errors import ConvoiError, ValidationError
from convoi_nb.experiments import Experiment, ExperimentResults, Variant
from convoi_nb.sandbox import Sandbox

from .test_experiment import AGENT, VARIANTS, client_for, creates_sent, reliable  # noqa: F401 (a fixture)

DEFINITIONS: list[tuple[str, Callable[[], Any]]] = [
    ("name", lambda: Experiment("", AGENT, VARIANTS)),
    ("variants", lambda: Experiment("x", AGENT, [])),
    ("unique", lambda: Experiment("x", AGENT, [Variant("a"), Variant("a")])),
    ("replicates", lambda: Experiment("x", AGENT, VARIANTS, 0)),
    ("replicates", lambda: Experiment("x", AGENT, VARIANTS, True)),  # type: ignore[arg-type]  # a bad input on purpose
    ("name", lambda: Variant("  ")),
    ("axes", lambda: Variant.grid(None, {})),
    ("llm.model", lambda: Variant.grid(None, {"llm.model": []})),
    ("max_cost", lambda: check_cap(-1)),
    ("max_cost", lambda: check_cap("lots")),
    ("max_cost", lambda: cap_from_text("five")),
]


@pytest.mark.parametrize(("named", "call"), DEFINITIONS, ids=[f"{i}-{n}" for i, (n, _) in enumerate(DEFINITIONS)])
def test_a_bad_definition_is_a_validation_error(named: str, call: Callable[[], Any]) -> None:
    with pytest.raises(ValidationError, match=named):
        call()


def test_bad_run_arguments_fail_before_anything_is_sent(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("bad", AGENT, VARIANTS, 2, store=tmp_path / "r.sqlite3")
    for named, call in [
        ("concurrency", lambda: experiment.run(client, concurrency=0, progress=False)),
        ("max_cost", lambda: experiment.run(client, max_cost=float("nan"), progress=False)),
        ("max_cost", lambda: experiment.run(client, max_cost=[5], progress=False)),
        ("pilot", lambda: experiment.estimate(client, pilot=1)),
        ("pilot", lambda: experiment.plan(client, pilot=True)),
        ("metric", lambda: experiment.plan(client, metric="price")),
        ("probability", lambda: experiment.plan(client, probability=80)),
        ("kind", lambda: experiment.create_cell(client, "baseline", 0, kind="other")),
    ]:
        with pytest.raises(ValidationError, match=named):
            call()
    assert creates_sent(reliable) == []


def test_bad_reading_arguments_are_validation_errors(reliable: Sandbox, tmp_path: Path) -> None:
    results: ExperimentResults = Experiment("read", AGENT, VARIANTS, 2, store=tmp_path / "r.sqlite3").run(
        client_for(reliable), progress=False
    )
    for named, call in [
        ("level", lambda: results.summary(level=95)),
        ("level", lambda: results.compare(level=0)),
        ("baseline", lambda: results.compare("nope")),
        ("power", lambda: results.verdict(power=1)),
        ("seed", lambda: results.summary(seed=1.5)),
        ("detect", lambda: results.plan(detect=2)),
        ("metric", lambda: results.plan(metric="quality")),
        ("probability", lambda: results.plan(probability=1)),
        ("until", lambda: results.wait("done", progress=False)),
        ("timeout", lambda: results.wait(timeout=-1, progress=False)),
        ("concurrency", lambda: results.wait(concurrency=0, progress=False)),
        ("metric", lambda: results.verdict().finding("quality")),
    ]:
        with pytest.raises(ValidationError, match=named) as raised:
            call()
        assert isinstance(raised.value, (ConvoiError, ValueError))
