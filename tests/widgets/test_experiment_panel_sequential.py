"""ExperimentPanel in "Until decided" mode: the real sequential runner through real HTTP, the decision shown with
its anytime-valid intervals, eliminated variants greyed with their look, the stop reason, calls and spend, and a
Stop button that leaves every shown interval valid."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np

from convoi_nb import ConvoiClient
from convoi_nb.money import Money
from convoi_nb.sandbox import ManualClock
from convoi_nb.stats.sequential import SequentialConfig, decide
from convoi_nb.widgets import ExperimentPanel
from convoi_nb.widgets.decision_view import CELL, GREY, decision_html

from .conftest import Opened

FAST = 20000.0  # simulated seconds per real second: a wave's calls end at once


def sequential_panel(opened: Opened, client: ConvoiClient, store: Path, name: str) -> ExperimentPanel:
    """A panel of three variants whose costs differ, in "Until decided" mode, one create at a time (so the
    calls' arrival order, and their simulated outcomes, are the same on every run)."""
    panel = opened.widget(ExperimentPanel, client, store=store)
    panel.name.value = name
    for variant, (path, value) in {"gpt-4o": ("llm.model", "gpt-4o"), "fast": ("tts.speed", 1.3)}.items():
        panel.variants.add(variant)
        panel.variants.entries[-1].form.rows[path].control.value = value
    panel.design.value = "decided"
    panel.sequential.max_replicates.value = 20
    panel.concurrency.value = 1
    return panel


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_decision_html_labels_the_intervals_and_greys_the_eliminated() -> None:
    rng = np.random.default_rng(1)
    outcomes = {
        "a": list(rng.lognormal(-1.0, 0.2, 12)),
        "b": list(rng.lognormal(-0.3, 0.2, 12)),
        "c": list(rng.lognormal(-0.98, 0.2, 12)),
    }
    config = SequentialConfig(min_replicates=5, max_replicates=12, planned=10)
    decision = decide(outcomes, config, calls=30, spend=Money(Decimal("9.5"), "USD"))
    assert decision.status == "max_replicates" and "b" in decision.eliminated  # the case under test
    html = decision_html(decision)
    assert "anytime-valid 95% intervals: they hold however often you look" in html
    assert "Stopped at the maximum, 12 calls per variant. No winner; leader" in html
    look = decision.eliminated["b"]
    row = next(r for r in html.split("<tr") if ">b</td>" in r)
    assert f"color:{GREY}" in row and f"left at look {look}" in row
    assert "30 calls created, $9.50 spent, 12 looks" in html
    stopped = decide({k: v[:6] for k, v in outcomes.items()}, config, calls=18, spend=Money(Decimal("3"), "USD"))
    assert stopped.status == "running"
    by_hand = decision_html(stopped, stopped_by_hand=True)
    assert "Stopped by hand after look 6: not decided" in by_hand and "stay valid now that you stopped" in by_hand


def test_run_until_decided_shows_the_decision(
    tmp_path: Path, opened: Opened, count_reads: Callable[[], dict[str, int]]
) -> None:
    sandbox = opened.sandbox(expire_rate=0, fail_rate=0, time_scale=FAST, seed=3)
    client = opened.client(sandbox)
    panel = sequential_panel(opened, client, tmp_path / "panel.sqlite3", "panel-seq")
    assert panel.sequential.layout.display is None and panel.stop_button.layout.display is None
    assert panel.replicates.layout.display == "none"  # the fixed design's field
    panel.run_button.click()
    results = panel.wait(timeout=120)
    assert results is not None
    decision = results.decision
    assert decision is not None and decision.done
    shown = panel.decision_shown  # replayed from the refresh's own frame read: the same decision
    assert shown is not None and (shown.status, shown.eliminated, shown.calls) == (
        decision.status,
        decision.eliminated,
        decision.calls,
    )
    assert panel.status.value.startswith("done in") and (
        "Decided" in panel.status.value or "No winner" in panel.status.value
    )
    shown = panel.decision.value
    assert "anytime-valid 95% intervals: they hold however often you look" in shown
    for name, look in decision.eliminated.items():
        assert f"left at look {look}" in shown and f"<tr style='color:{GREY}'><td style='{CELL}'>{name}</td>" in shown
    assert f"{decision.calls} calls created" in shown and sandbox.service.store.count() == decision.calls
    assert panel.summary.outputs == () and panel.summary_heading.layout.display == "none"  # no fixed-n intervals
    assert panel.stop_button.disabled and not panel.stop()  # nothing to stop any more
    counts = count_reads()
    results._analysis = None  # as after a change of the data
    panel.refresh(final=True)  # the table, the spend and the decision
    assert counts == {"frame": 1, "analysis": 1}


def test_stop_creates_no_more_calls_and_keeps_the_intervals_valid(tmp_path: Path, opened: Opened) -> None:
    clock = ManualClock()  # calls never end unless the clock moves: the run waits on its first wave
    sandbox = opened.sandbox(expire_rate=0, fail_rate=0, clock=clock, seed=3)
    client = opened.client(sandbox)
    panel = sequential_panel(opened, client, tmp_path / "panel.sqlite3", "panel-stop")
    assert panel.stop_button.disabled
    panel.run_button.click()
    wait_until(lambda: sandbox.service.store.count() == 3 and not panel.stop_button.disabled)
    assert panel.stop()
    results = panel.wait(timeout=60)
    assert results is not None and not panel.busy and panel.progress.description == "stopped"
    assert "stopped by hand after look 0: no new call is created" in panel.status.value
    assert "anytime-valid, so it stays valid" in panel.status.value
    assert sandbox.service.store.count() == 3  # the first wave only
    decision = results.decision
    assert decision is not None and not decision.done


def test_a_bad_tolerance_is_refused_before_anything_runs(tmp_path: Path, opened: Opened) -> None:
    sandbox = opened.sandbox(expire_rate=0, fail_rate=0)
    panel = sequential_panel(opened, opened.client(sandbox), tmp_path / "panel.sqlite3", "panel-tol")
    panel.sequential.tolerance.value = "lots"
    assert panel.start(resume=False) is None
    assert "Tolerance" in panel.status.value and "such as 0.05 or 5%" in panel.status.value
    assert sandbox.service.store.count() == 0
    panel.sequential.tolerance.value = "5%"
    assert panel.sequential.settings()["tolerance"] == 0.05
