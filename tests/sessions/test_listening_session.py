"""Blinded listening sessions against the sandbox over real HTTP: the secret order, the widget that never names a
variant before the end, ratings in the experiment's store, resuming after a killed kernel, and ratings in
summary() and verdict()."""

from __future__ import annotations

import itertools
import re
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from convoi_nb import ConvoiClient, ValidationError
from convoi_nb.experiments import Experiment, ExperimentError, ResultsStore, Variant
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets.listening_session import ListeningSessionPanel

from ..experiments.test_experiment import AGENT, creates_sent
from ..widgets.conftest import FrontEnd, Opened, front_end, opened  # noqa: F401 (fixtures)

# Names that appear nowhere else (not in the widget's JavaScript either), so a leak is unmistakable.
NAMES = ["Qzv-plain", "Qzv-gpt4o", "Qzv-fast"]
VARIANTS = [
    Variant(NAMES[0]),
    Variant(NAMES[1], {"llm": {"model": "gpt-4o"}}),
    Variant(NAMES[2], {"tts": {"speed": 1.3}}),
]
CRITERIA = ["helpful", "natural voice"]


@pytest.fixture()
def calm() -> Iterator[Sandbox]:
    """Calls that all end, fast."""
    with Sandbox(SandboxSettings(db_path=":memory:", expire_rate=0, fail_rate=0, time_scale=600)) as server:
        yield server


def client_of(sandbox: Sandbox) -> ConvoiClient:
    return ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)


def wait_ended(client: ConvoiClient, call_id: str) -> None:
    deadline = time.monotonic() + 30
    while not client.get_call(call_id).is_terminal:
        assert time.monotonic() < deadline, f"{call_id} did not end"
        time.sleep(0.05)


def order_of(session: ListeningSession) -> list[tuple[str, int]]:
    return list(session._plan)


def test_the_order_is_a_permutation_kept_with_the_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter([11, 12])  # the secrets drawn for ana's and bo's sessions, fixed so that their orders are known
    monkeypatch.setattr(secrets, "randbits", lambda _bits: next(drawn, 13))
    experiment = Experiment("order", AGENT, VARIANTS, 2, store=tmp_path / "r.sqlite3")
    ana = ListeningSession(experiment, "ana", 2, criteria=CRITERIA)
    again = ListeningSession(Experiment("order", AGENT, VARIANTS, 2, store=tmp_path / "r.sqlite3"), "ana", 2)
    bo = ListeningSession(experiment, "bo", 2, criteria=CRITERIA)
    assert order_of(ana) == order_of(again)  # reopened (as after a restart): the order kept in the store
    assert sorted(v for v, _ in order_of(ana)) == sorted(NAMES * 2)  # each variant twice
    # Listening cells of their own, a block per rater: no run() of the experiment ever makes them.
    assert {r for _, r in order_of(ana)} == {0, 1} and {r for _, r in order_of(bo)} == {2, 3}
    assert [v for v, _ in order_of(bo)] != [v for v, _ in order_of(ana)]  # each rater their own order
    with pytest.raises(ExperimentError, match="already has a session .* 2 calls per variant"):
        ListeningSession(experiment, "ana", 3, criteria=CRITERIA)


def test_nothing_the_rater_knows_predicts_the_order(tmp_path: Path) -> None:
    """The same design, the same rater name, in two stores: two orders (24 steps: equal by chance once in 24!).
    Before, the order was shuffled from `seed` and the rater's name, so both were the same, and so was the order a
    rater could compute from them."""
    orders = [
        order_of(ListeningSession(Experiment("same", AGENT, VARIANTS, 1, store=tmp_path / f"{n}.sqlite3"), "ana", 8))
        for n in range(2)
    ]
    assert sorted(orders[0]) == sorted(orders[1]) and orders[0] != orders[1]
    stored = ResultsStore(tmp_path / "0.sqlite3").sessions("same")[0]["seed"]
    assert stored != 0 and stored.bit_length() > 32  # a secret drawn for the session, not a default or a name


def test_a_whole_session_through_the_widget(
    calm: Sandbox,
    tmp_path: Path,
    opened: Opened,
    front_end: FrontEnd,
) -> None:
    client = opened.client(calm)
    experiment = Experiment("blind", AGENT, VARIANTS, 0 + 1, store=tmp_path / "r.sqlite3")
    session = ListeningSession(experiment, "ana", 2, criteria=CRITERIA)
    panel = opened.widget(ListeningSessionPanel, client, session)
    labels, created = [], []
    for index in range(6):
        assert panel.header.value.startswith(f"<b>Call {index + 1} of 6</b>")
        labels.append(panel.header.value)
        assert panel.form.layout.display == "none"  # nothing to rate before the call
        panel.start_button.click()
        card = panel.card
        assert card is not None and card.call is not None
        created.append(card.call.id)
        card.wait(timeout=30)
        assert card.status == "ended" and panel.form.layout.display is None  # the call ended: rate it
        # Blind: no price (it would tell the model), no code or token (they name the overrides).
        assert "Cost" not in card.details.value and "USD" not in card.details.value
        assert not [c for c in card.children if card.show_code in getattr(c, "children", ())]
        assert panel.submit.disabled  # every criterion first
        panel.scores["helpful"].value = str(1 + index % 5)
        panel.scores["natural voice"].value = "4"
        panel.note.value = f"note {index}"
        shown = front_end.state()
        assert not [n for n in NAMES if n in shown], "a variant name reached the front end before the end"
        panel.submit.click()
    assert session.done and "Session over" in panel.header.value
    revealed = session.reveal()
    assert sorted(revealed["variant"]) == sorted(NAMES * 2) and list(revealed["call_id"]) == created
    assert [n for n in NAMES if n in front_end.state()]  # now the widget shows which call was which
    stored = ResultsStore(tmp_path / "r.sqlite3").ratings("blind")
    assert [(r["step"], r["call_id"], r["outcome"], r["scores"]["helpful"]) for r in stored] == [
        (i, created[i], "rated", 1 + i % 5) for i in range(6)
    ]
    assert [v for v, _ in order_of(session)] == list(revealed["variant"])  # the order the rater heard


KILLED = """
import os, signal, sys, time
from convoi_nb import ConvoiClient, ValidationError
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sessions import ListeningSession
client = ConvoiClient(api_key=sys.argv[1], base_url=sys.argv[2])
variants = [Variant("Qzv-plain"), Variant("Qzv-gpt4o", {"llm": {"model": "gpt-4o"}}), Variant("Qzv-fast", {"tts": {"speed": 1.3}})]
session = ListeningSession(Experiment("crash", sys.argv[3], variants, 1, store=sys.argv[4]), "ana", 2,
                           criteria=["helpful", "natural voice"])
for step in range(3):
    call = session.start(client)
    while not client.get_call(call.id).is_terminal:
        time.sleep(0.05)
    session.rate({"helpful": 3, "natural voice": 4})
session.start(client)  # step 4's call is made, then the kernel dies before its rating
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_kernel_resumes_at_step_4_without_new_calls_for_steps_1_to_3(calm: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED, calm.api_key, calm.url, AGENT, str(store)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert len(creates_sent(calm)) == 4
    calm.traffic.reset()
    client = client_of(calm)
    session = ListeningSession(Experiment("crash", AGENT, VARIANTS, 1, store=store), "ana", 2, criteria=CRITERIA)
    assert session.step is not None and session.step.index == 3 and session.progress == "Call 4 of 6"
    fourth = session.start(client)  # the call made before the crash, read again
    assert creates_sent(calm) == []
    wait_ended(client, fourth.id)
    session.rate({"helpful": 5, "natural voice": 5})
    assert session.start(client).id != fourth.id and len(creates_sent(calm)) == 1  # step 5: one new call
    ratings = ResultsStore(store).ratings("crash")
    assert [r["step"] for r in ratings] == [0, 1, 2, 3] and ratings[3]["call_id"] == fourth.id


def test_bad_ratings_are_named_and_reveal_waits_for_the_end(calm: Sandbox, tmp_path: Path) -> None:
    session = ListeningSession(
        Experiment("rules", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3"), "ana", 1, criteria=CRITERIA
    )
    with pytest.raises(ExperimentError, match=r"missing \['natural voice'\]"):
        session.rate({"helpful": 3})
    with pytest.raises(ExperimentError, match=r"unknown \['funny'\]"):
        session.rate({"helpful": 3, "natural voice": 3, "funny": 2})
    for bad in (0, 6, 3.5, True, "4"):
        with pytest.raises(ExperimentError, match="whole number from 1 to 5"):
            session.rate({"helpful": bad, "natural voice": 3})
    with pytest.raises(ExperimentError, match="revealed after the last rating"):
        session.reveal()
    for bad_args in (
        {"rater": " "},
        {"calls_per_variant": 0},
        {"criteria": []},
        {"criteria": ["a", "a"]},
        {"criteria": "helpful"},
    ):
        with pytest.raises(ExperimentError):
            ListeningSession(
                Experiment("rules", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3"), **{"rater": "bo", **bad_args}
            )


def rate_all(session: ListeningSession, client: ConvoiClient, scores: Any) -> None:
    """Rate every step: `scores(variant)` → the scores, or "broken"/"skip"."""
    while not session.done:
        call = session.start(client)
        wait_ended(client, call.id)
        given = scores(session._plan[session.step.index][0])  # type: ignore[union-attr]  # a step remains while not done
        if given == "broken":
            session.broken("no audio")
        elif given == "skip":
            session.skip()
        else:
            session.rate(given)


def test_a_bigger_run_later_never_takes_a_listener_s_calls(calm: Sandbox, tmp_path: Path) -> None:
    client = client_of(calm)
    store = tmp_path / "r.sqlite3"
    session = ListeningSession(Experiment("grow", AGENT, VARIANTS, 1, store=store), "ana", 1, criteria=["helpful"])
    Experiment("grow", AGENT, VARIANTS, 6, store=store).run(client, progress=False)  # 18 sweep calls, 0…5
    calm.traffic.reset()
    call = session.start(client)
    assert len(creates_sent(calm)) == 1 and not call.is_terminal  # a fresh call for the listener, joinable
    Experiment("grow", AGENT, VARIANTS, 8, store=store).run(client, progress=False)  # and a later run leaves it be
    frame = Experiment("grow", AGENT, VARIANTS, 8, store=store).results(client).frame()
    assert (frame["id"] == call.id).sum() == 1 and frame.loc[frame["id"] == call.id, "kind"].iloc[0] == "listening"


def test_summary_and_verdict_weigh_ratings_against_cost(calm: Sandbox, tmp_path: Path) -> None:
    client = client_of(calm)
    experiment = Experiment("weigh", AGENT, VARIANTS[:2], 3, store=tmp_path / "r.sqlite3")
    experiment.run(client, progress=False).wait(timeout=30, progress=False)  # the sweep: what the calls cost
    session = ListeningSession(experiment, "ana", 4, criteria=["helpful"])
    ears = {NAMES[0]: itertools.cycle([1, 2]), NAMES[1]: itertools.cycle([5, 4])}  # some spread, far apart
    rate_all(session, client, lambda v: {"helpful": next(ears[v])})
    results = experiment.results(client)
    summary = results.summary()
    assert summary["n"].tolist() == [3, 3]  # cost statistics: the sweep's cells, not the 8 listened calls
    assert results.summary_table().data.loc[NAMES[1], "helpful [95% CI]"].startswith("4.5 [")
    assert summary.loc[NAMES[0], "rating.helpful_mean"] == 1.5 and summary.loc[NAMES[1], "rating.helpful_mean"] == 4.5
    assert summary.loc[NAMES[1], "rating.helpful_n"] == 4
    frame = results.frame()
    assert frame["rating.helpful"].notna().sum() == 8 and set(frame["rater"].dropna()) == {"ana"}
    lines = str(results.verdict(baseline=NAMES[0])).splitlines()
    quality = [line for line in lines if "on helpful" in line]
    assert len(quality) == 1 and quality[0].startswith(f"{NAMES[1]} rates 3.0 higher on helpful than {NAMES[0]}")
    assert "(95% CI +" in quality[0] and re.search(r"\) at [+-]?\$\d\.\d{3} per call\.$", quality[0]), quality[0]


def test_ratings_of_failed_or_broken_calls_are_counted_not_averaged(tmp_path: Path) -> None:
    with Sandbox(SandboxSettings(db_path=":memory:", expire_rate=0, fail_rate=0.5, seed=9, time_scale=600)) as sandbox:
        client = client_of(sandbox)
        experiment = Experiment("mixed", AGENT, VARIANTS[:1], 1, store=tmp_path / "r.sqlite3")
        session = ListeningSession(experiment, "ana", 8, criteria=["helpful"])
        marks = iter(
            [
                "broken",
                {"helpful": 2},
                {"helpful": 4},
                "skip",
                {"helpful": 3},
                {"helpful": 5},
                {"helpful": 1},
                {"helpful": 4},
            ]
        )
        rate_all(session, client, lambda _v: next(marks))
        frame = experiment.results(client).frame()
        row = experiment.results(client).summary(rater="ana").loc[NAMES[0]]
    rated = frame[frame["rating_outcome"] == "rated"]
    failed = rated[rated["status"] == "failed"]
    assert len(failed) >= 1 and len(rated) - len(failed) >= 2  # the seed gives a real mix
    good = rated[rated["status"] != "failed"]["rating.helpful"].astype(float)
    assert row["rating.helpful_mean"] == pytest.approx(good.mean()) and row["rating.helpful_n"] == len(good)
    assert row["ratings_excluded"] == len(failed) + 1 and row["ratings_skipped"] == 1  # + the broken one
    assert 1 <= row["rating.helpful_ci_low"] <= row["rating.helpful_mean"] <= row["rating.helpful_ci_high"] <= 5
    assert pd.isna(experiment.results(client).summary(rater="nobody").loc[NAMES[0], "rating.helpful_mean"])


def test_a_step_without_its_call_cannot_be_rated_so_the_session_cannot_end_unheard(
    calm: Sandbox, tmp_path: Path
) -> None:
    experiment = Experiment("unheard", AGENT, VARIANTS[:2], 1, store=tmp_path / "r.sqlite3")
    session = ListeningSession(experiment, "ana", 1, criteria=CRITERIA)
    for record in (
        lambda: session.rate({"helpful": 3, "natural voice": 3}),
        lambda: session.skip(),
        lambda: session.broken(),
    ):
        with pytest.raises(ExperimentError, match=r"Call 1 of 2 of 'ana' has no call yet: session\.start\(client\)"):
            record()
    assert ResultsStore(tmp_path / "r.sqlite3").ratings("unheard") == [] and not session.done
    with pytest.raises(ExperimentError, match="revealed after the last rating"):
        session.reveal()
    client = client_of(calm)
    for _ in range(2):  # with its call, each step is rated, and the ratings name their calls
        call = session.start(client)
        session.rate({"helpful": 4, "natural voice": 3})
        assert ResultsStore(tmp_path / "r.sqlite3").ratings("unheard")[-1]["call_id"] == call.id
    assert session.done and session.reveal()["call_id"].notna().all()


def test_a_listening_create_waits_its_turn_while_a_run_holds_the_experiment(calm: Sandbox, tmp_path: Path) -> None:
    # The run lock is what lets a capped run's ledger see every call the experiment creates.
    experiment = Experiment("turns", AGENT, VARIANTS[:2], 1, store=tmp_path / "r.sqlite3")
    session = ListeningSession(experiment, "ana", 1, criteria=CRITERIA)
    store = experiment._open_store()
    with store.run_lock("turns"):  # as a run in another kernel would hold it
        with pytest.raises(ExperimentError, match=r"'turns' is already running.*then create this call again"):
            session.start(client_of(calm))
    assert creates_sent(calm) == []
    assert session.start(client_of(calm)).metadata["kind"] == "listening"  # its turn now


def test_create_cell_refuses_a_replicate_outside_its_kinds_range(calm: Sandbox, tmp_path: Path) -> None:
    experiment = Experiment("range", AGENT, VARIANTS[:1], 2, store=tmp_path / "r.sqlite3")
    client = client_of(calm)
    for replicate, kind in ((-7, "replicate"), (2, "replicate"), (2, "pilot"), (-1, "listening"), (True, "pilot")):
        with pytest.raises(ValidationError, match="replicate: must be a whole number"):
            experiment.create_cell(client, VARIANTS[0].name, replicate, kind)
    assert creates_sent(calm) == []
    assert experiment.create_cell(client, VARIANTS[0].name, 1).metadata["replicate"] == 1
    assert experiment.create_cell(client, VARIANTS[0].name, 40, "listening").metadata["replicate"] == 40
