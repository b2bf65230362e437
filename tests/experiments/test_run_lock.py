"""Runs of one experiment take turns, across clients and processes, so that one spend cap sees every call."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import ConvoiClient
from convoi_nb.errors import APITimeoutError
from convoi_nb.experiments import Experiment, ExperimentError, Variant
from convoi_nb.sandbox import Sandbox

from .test_experiment import AGENT, client_for, creates_sent, reliable  # noqa: F401 (a fixture)

VARIANTS = [Variant("a"), Variant("b", {"llm": {"model": "gpt-4o"}})]


def test_a_second_client_cannot_run_the_experiment_while_the_first_does(reliable: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    first, second = client_for(reliable), client_for(reliable)
    inside, release = threading.Event(), threading.Event()

    def hold(done: int, total: int) -> None:  # the first run pauses after its first create
        if done == 1:
            inside.set()
            release.wait(30)

    runner = threading.Thread(
        target=lambda: Experiment("shared", AGENT, VARIANTS, 3, store=store).run(
            first, concurrency=1, progress=False, on_progress=hold
        )
    )
    runner.start()
    try:
        assert inside.wait(30)
        with pytest.raises(ExperimentError, match="'shared' is already running.*one spend cap"):
            Experiment("shared", AGENT, VARIANTS, 3, store=store).run(second, progress=False)
        # Another experiment in the same store is not held up.
        Experiment("other", AGENT, VARIANTS[:1], 1, store=store).run(second, progress=False)
    finally:
        release.set()
        runner.join(60)
    assert len([k for k in creates_sent(reliable)]) == 7  # 6 of the first run, 1 of the other experiment
    again = Experiment("shared", AGENT, VARIANTS, 3, store=store).run(second, progress=False)  # its turn now
    assert len(again.frame()) == 6 and len(creates_sent(reliable)) == 7


HOLDER = """
import sys, time
from pathlib import Path
from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant
client = ConvoiClient(api_key=sys.argv[1], base_url=sys.argv[2])
marker, release = Path(sys.argv[5] + ".inside"), Path(sys.argv[5] + ".release")

def hold(done, total):
    if done == 1:
        marker.touch()
        while not release.exists():  # waits for the test to say so
            time.sleep(0.02)

Experiment("across", sys.argv[3], [Variant("a"), Variant("b", {"llm": {"model": "gpt-4o"}})], 2,
           store=sys.argv[4]).run(client, concurrency=1, progress=False, on_progress=hold)
"""


def test_another_process_cannot_run_the_experiment_at_the_same_time(reliable: Sandbox, tmp_path: Path) -> None:
    store, flag = tmp_path / "r.sqlite3", tmp_path / "flag"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, reliable.api_key, reliable.url, AGENT, str(store), str(flag)]
    )
    try:
        deadline = time.monotonic() + 60
        while not Path(f"{flag}.inside").exists():
            assert holder.poll() is None and time.monotonic() < deadline, "the other process never started its run"
            time.sleep(0.02)
        with pytest.raises(ExperimentError, match="'across' is already running"):
            Experiment("across", AGENT, VARIANTS, 2, store=store).run(client_for(reliable), progress=False)
    finally:
        Path(f"{flag}.release").touch()
        assert holder.wait(60) == 0
    results = Experiment("across", AGENT, VARIANTS, 2, store=store).run(client_for(reliable), progress=False)
    assert len(results.frame()) == 4 and len(creates_sent(reliable)) == 4


def test_a_killed_run_leaves_no_lock_behind(reliable: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    script = HOLDER.replace("marker.touch()", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    killed = subprocess.run(
        [sys.executable, "-c", script, reliable.api_key, reliable.url, AGENT, str(store), str(tmp_path / "f")],
        timeout=60,
    )
    assert killed.returncode < 0
    results = Experiment("across", AGENT, VARIANTS, 2, store=store).run(
        ConvoiClient(api_key=reliable.api_key, base_url=reliable.url), progress=False
    )
    assert len(results.frame()) == 4


def _fails_with(error: BaseException) -> Any:
    def on_progress(done: int, total: int) -> None:
        raise error

    return on_progress


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(2, "No such file or directory", "/nonexistent/p.txt"),
        APITimeoutError("the attempt took longer than 1 s", method="GET", url="/x"),
    ],
    ids=["OSError", "APITimeoutError"],
)
def test_an_error_raised_inside_a_run_is_the_runs_own_not_the_stores_lock(
    reliable: Sandbox, tmp_path: Path, error: BaseException
) -> None:
    # Both are OSErrors (APITimeoutError is a TimeoutError); the lock's error translation once claimed them.
    experiment = Experiment("raises", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3")
    with pytest.raises(type(error)) as raised:
        experiment.run(client_for(reliable), progress=False, on_progress=_fails_with(error))
    assert raised.value is error and not isinstance(raised.value, ExperimentError)
    # The lock was released: the next run goes ahead.
    assert len(experiment.run(client_for(reliable), progress=False).frame()) == 2
