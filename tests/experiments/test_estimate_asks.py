"""An estimate never spends without asking: on a client that may bill real money its pilot needs `pilot=` or
`confirm=True`, and a refused pilot creates nothing (real HTTP against the sandbox, marked as the real service the
way `connect()` marks it: `confirm_runs_over` set)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoi_nb import ConvoiClient
from convoi_nb.errors import ValidationError
from convoi_nb.experiments import Experiment, ExperimentError
from convoi_nb.experiments.pilot import bills_money
from convoi_nb.sandbox import Sandbox

from .test_experiment import AGENT, VARIANTS, client_for, creates_sent, reliable  # noqa: F401 (a fixture)


def test_a_pilot_on_the_real_service_is_refused_until_asked_for(reliable: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    with client_for(reliable, confirm_runs_over=20) as client:
        experiment = Experiment("asks", AGENT, VARIANTS, 6, store=store)
        with pytest.raises(ExperimentError) as refused:
            experiment.estimate(client)
        message = str(refused.value)
        assert "pilot of 6 calls (up to 2 per variant)" in message and reliable.url in message
        assert "not known in advance" in message and "no" in message  # the most it can cost, honestly
        assert "pilot=2" in message and "confirm=True" in message and "Nothing was created" in message
        assert creates_sent(reliable) == [] and reliable.service.store.count() == 0  # the server saw no create
        assert experiment.cells_to_create() == 18  # and the store recorded none
        estimate = experiment.estimate(client, confirm=True)  # asked: the default pilot runs
        assert len(creates_sent(reliable)) == 6 and estimate.known and estimate.to_create == 12
        again = experiment.estimate(client)  # enough finished calls: no pilot, nothing to ask
        assert len(creates_sent(reliable)) == 6 and again.to_create == 12


def test_an_explicit_pilot_is_asking(reliable: Sandbox, tmp_path: Path) -> None:
    with client_for(reliable, confirm_runs_over=0) as client:
        experiment = Experiment("explicit", AGENT, VARIANTS[:2], 5, store=tmp_path / "r.sqlite3")
        assert experiment.estimate(client, pilot=3).rests_on == (3, 3)
        assert len(creates_sent(reliable)) == 6


def test_a_client_off_this_machine_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """A real URL: the refusal comes before any request (one would fail to connect, not raise ExperimentError)."""
    with ConvoiClient(api_key="sk_live_abc", base_url="https://convoi.invalid") as client:
        assert bills_money(client) and client.confirm_runs_over is None  # a plain client on the real service
        experiment = Experiment("remote", AGENT, VARIANTS, 4, store=tmp_path / "r.sqlite3")
        with pytest.raises(ExperimentError, match="pilot of 6 calls .* on https://convoi.invalid"):
            experiment.estimate(client)
        with pytest.raises(ValidationError, match="confirm: must be True or False"):
            experiment.estimate(client, confirm="yes")  # type: ignore[arg-type]  # a bad value on purpose


def test_the_sandbox_runs_its_pilot_without_asking(reliable: Sandbox, tmp_path: Path) -> None:
    with client_for(reliable) as client:
        assert not bills_money(client)
        estimate = Experiment("free", AGENT, VARIANTS, 4, store=tmp_path / "r.sqlite3").estimate(client)
    assert len(creates_sent(reliable)) == 6
    assert "rests on 2 finished calls per variant: wide" in str(estimate)


def test_a_bad_level_is_refused_before_the_pilot(reliable: Sandbox, tmp_path: Path) -> None:
    with client_for(reliable) as client:
        experiment = Experiment("level", AGENT, VARIANTS, 4, store=tmp_path / "r.sqlite3")
        with pytest.raises(ValidationError, match="level"):
            experiment.estimate(client, level=90)
    assert creates_sent(reliable) == []


def test_plan_asks_before_its_pilot_as_estimate_does(reliable: Sandbox, tmp_path: Path) -> None:
    with client_for(reliable, confirm_runs_over=20) as client:
        experiment = Experiment("plans", AGENT, VARIANTS, 6, store=tmp_path / "r.sqlite3")
        with pytest.raises(ExperimentError) as refused:
            experiment.plan(client)
        message = str(refused.value)
        assert message.startswith("experiment.plan() would first run a pilot of 9 calls (up to 3 per variant)")
        assert "pilot=3" in message and "confirm=True" in message and "Nothing was created" in message
        assert creates_sent(reliable) == [] and experiment.cells_to_create() == 18
        with pytest.raises(ValidationError, match="confirm: must be True or False"):
            experiment.plan(client, confirm=1)  # type: ignore[arg-type]  # a bad value on purpose
        assert creates_sent(reliable) == []
        plan = experiment.plan(client, pilot=2)  # an explicit pilot is asking
        assert len(creates_sent(reliable)) == 6 and list(plan.index) == [v.name for v in VARIANTS]
