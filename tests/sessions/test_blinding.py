"""The curious rater, headless: everything the rater's browser is sent while rating (every synced trait of every
widget the panel opened, ipywidgets' saved state, error lines) and everything LiveKit hands out (room names,
participant identities and names, room metadata, on the browser tests' LiveKit stand-in) names no variant, no
experiment and no call. The browser side (DOM text, saved notebook) is tests/browser/test_listening_blind.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import ipywidgets as w
import pytest
from livekit.api import TokenVerifier

from convoi_nb import ConvoiClient
from convoi_nb.errors import NotFoundError
from convoi_nb.experiments import Experiment, ResultsStore, Variant
from convoi_nb.sandbox.livekit import LiveKitSettings
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets.listening_session import ListeningSessionPanel

from ..browser.fake_livekit import API_KEY, API_SECRET, FakeLiveKit
from ..experiments.test_experiment import AGENT
from ..widgets.conftest import FrontEnd, Opened, front_end, opened  # noqa: F401 (fixtures)

# Names that appear nowhere else (not in the widgets' JavaScript either), so a leak is unmistakable.
EXPERIMENT = "Qzx-blind-trial"
NAMES = ["Qzv-plain", "Qzv-gpt4o", "Qzv-fast"]
VARIANTS = [
    Variant(NAMES[0]),
    Variant(NAMES[1], {"llm": {"model": "gpt-4o"}}),
    Variant(NAMES[2], {"tts": {"speed": 1.3}}),
]


def secrets_in(text: str, call: dict[str, object]) -> list[str]:
    """What of the answer key `text` names: a variant, the experiment, the call's id (or its unique part)."""
    call_id = str(call["id"])
    found = [name for name in [*NAMES, EXPERIMENT, "gpt-4o", call_id] if name in text]
    return found + ([f"the unique part of {call_id}"] if call_id.split("_", 1)[1] in text else [])


@pytest.fixture()
def livekit() -> Iterator[FakeLiveKit]:
    with FakeLiveKit() as server:
        yield server


def open_panel(opened: Opened, livekit: FakeLiveKit, tmp_path: Path) -> tuple[ListeningSessionPanel, ConvoiClient]:
    settings = LiveKitSettings(url=livekit.url, api_key=API_KEY, api_secret=API_SECRET, create_rooms=True)
    sandbox = opened.sandbox(expire_rate=0, fail_rate=0, time_scale=1.0, livekit=settings)  # calls that last
    client = opened.client(sandbox)
    experiment = Experiment(EXPERIMENT, AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3")
    panel = opened.widget(ListeningSessionPanel, client, ListeningSession(experiment, "ana", 1, criteria=["helpful"]))
    return panel, client


def the_call(tmp_path: Path) -> dict[str, object]:
    (row,) = [r for r in ResultsStore(tmp_path / "r.sqlite3").results(EXPERIMENT) if r.call]
    assert row.call is not None
    return row.call


def test_the_curious_rater_finds_nothing_in_the_widget_state(
    opened: Opened, front_end: FrontEnd, livekit: FakeLiveKit, tmp_path: Path
) -> None:
    panel, _ = open_panel(opened, livekit, tmp_path)
    panel.start_button.click()
    assert panel.card is not None and panel.card.call is not None
    call = the_call(tmp_path)
    assert len(front_end.widgets()) > 20  # not vacuous: the panel, its card, Join, forms, layouts, styles
    shown = front_end.state()  # every synced trait of every widget the panel opened, recursively
    saved = json.dumps(w.Widget.get_manager_state(drop_defaults=False))  # what a notebook saves
    assert secrets_in(shown, call) == [] and secrets_in(saved, call) == []
    assert "call_" not in panel.card.header.value and "Cost" not in panel.card.details.value
    # An error while the card follows its call is shown by its kind only: its text names the call.
    said = threading.Event()
    panel.card.message.observe(lambda _change: said.set(), names="value")
    panel.card._client, panel.card._poll_interval = _Failing(), 0.01
    panel.card.show(panel.card.call)  # follows the call again, with reads that fail
    assert said.wait(60), "the card never said that its refresh failed"
    line = panel.card.message.value
    assert "NotFoundError" in line and secrets_in(line, call) == []


class _Failing:
    """A client whose reads fail with an error that names the call, as an API error can."""

    def get_call(self, call_id: str) -> object:
        raise NotFoundError(f"no call {call_id} in experiment {EXPERIMENT} ({NAMES[1]})", status_code=404)


def test_livekit_hands_out_nothing_that_names_a_variant_or_the_call(
    opened: Opened, livekit: FakeLiveKit, tmp_path: Path
) -> None:
    panel, client = open_panel(opened, livekit, tmp_path)
    panel.start_button.click()
    call = the_call(tmp_path)
    room = str(call["room_id"])
    livekit.wait_until(lambda: room in livekit.seen.rooms, 30, "the call's room created ahead")
    token = client.get_call(str(call["id"])).livekit.token
    claims = TokenVerifier(API_KEY, API_SECRET).verify(token)
    handed_out = json.dumps(
        {"room": room, "metadata": livekit.seen.rooms[room], "identity": claims.identity, "name": claims.name}
    )
    assert secrets_in(handed_out, call) == []
