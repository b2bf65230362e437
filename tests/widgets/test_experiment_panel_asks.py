"""ExperimentPanel: Estimate cost never spends without asking. Where calls may cost real money (here the sandbox
marked as the real service the way `connect()` marks it, with `confirm_runs_over`), the pilot waits for a Yes that
names how many calls it makes; Cancel creates nothing."""

from __future__ import annotations

from pathlib import Path

from convoi_nb.sandbox import Sandbox
from convoi_nb.widgets import ExperimentPanel

from .conftest import Opened


def test_estimate_asks_before_its_pilot_and_cancel_creates_nothing(
    tmp_path: Path, opened: Opened, calm_sandbox: Sandbox
) -> None:
    client = opened.client(calm_sandbox, confirm_runs_over=50)
    panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
    panel.replicates.value = 4
    assert panel.confirm.layout.display == "none"  # nothing asked yet
    panel.estimate_button.click()
    assert panel._thread is None and not panel.busy  # nothing started on one click
    assert panel.confirm.asking and panel.confirm.layout.display is None
    question = panel.confirm.question.value
    assert "pilot first: 2 calls (up to 2 per variant)" in question and calm_sandbox.url in question
    assert "unknown" in question and "Run the pilot?" in question
    assert calm_sandbox.service.store.count() == 0
    panel.confirm.cancel.click()
    assert not panel.confirm.asking and panel.confirm.layout.display == "none"
    assert panel.status.value == "pilot cancelled: nothing was created" and panel._thread is None
    assert calm_sandbox.service.store.count() == 0
    panel.estimate_button.click()  # asked again; this time Yes
    panel.confirm.yes.click()
    panel.wait(timeout=60)
    assert calm_sandbox.service.store.count() == 2  # the pilot, and nothing more
    line = panel.estimate_line.value
    assert line.startswith("this run: ~$") and "rests on 2 finished calls per variant: wide" in line
    panel.estimate_button.click()  # enough finished calls now: no pilot, so nothing to ask
    panel.wait(timeout=60)
    assert not panel.confirm.asking and calm_sandbox.service.store.count() == 2


def test_a_budgeted_run_asks_before_the_pilot_its_cap_needs(
    tmp_path: Path, opened: Opened, calm_sandbox: Sandbox
) -> None:
    client = opened.client(calm_sandbox, confirm_runs_over=1)
    panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
    panel.replicates.value = 3
    panel.budget.value = "100"
    assert panel.start(resume=False) is None
    assert "Run with a Budget runs a pilot first: 2 calls" in panel.confirm.question.value
    assert calm_sandbox.service.store.count() == 0
    panel.confirm.yes.click()
    results = panel.wait(timeout=60)
    assert results is not None and calm_sandbox.service.store.count() == 3
    assert panel.status.value.startswith("done in")


def test_a_question_about_another_run_is_withdrawn(tmp_path: Path, opened: Opened, calm_sandbox: Sandbox) -> None:
    client = opened.client(calm_sandbox, confirm_runs_over=0)
    panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
    panel.estimate_button.click()
    assert panel.confirm.asking
    panel.replicates.value = 7  # the question was about the 5-replicate run
    assert not panel.confirm.asking and panel.confirm.layout.display == "none"
    panel.confirm.yes.click()  # a stale Yes does nothing
    assert panel._thread is None and calm_sandbox.service.store.count() == 0
