"""Closing a composite widget closes every widget it is made of (children, their layouts and styles, and the
widgets it made without showing), each through its own close(); the Join front end's shared runtime stays open
for the other cards."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ipywidgets as w
import pytest

from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets import (
    CallCard,
    CallLauncher,
    CallPicker,
    ListeningSessionPanel,
    MetadataEditor,
    OverridesForm,
    VariantBuilder,
)
from convoi_nb.widgets.join_runtime import shared_runtime

from ..experiments.test_experiment import AGENT
from .conftest import FrontEnd, Opened, reachable


def still_open(made: list[w.Widget]) -> list[str]:
    shared = {id(widget) for widget in reachable([shared_runtime()])}  # the runtime and its layout
    return [type(widget).__name__ for widget in made if widget.comm is not None and id(widget) not in shared]


def card(client: ConvoiClient, _tmp: Path) -> w.Widget:
    return CallCard(client, client.create_web_call(client.list_agents()[0].id), poll_interval=60)


def blind_card(client: ConvoiClient, _tmp: Path) -> w.Widget:
    return CallCard(client, client.create_web_call(client.list_agents()[0].id), poll_interval=60, blind=True)


def picker(client: ConvoiClient, _tmp: Path) -> w.Widget:
    made = CallPicker(client)
    call = client.create_web_call(client.list_agents()[0].id)
    made.set_calls([("the call", call.id)])
    made.dropdown.value = call.id  # opens its card
    return made


def panel(client: ConvoiClient, tmp: Path) -> w.Widget:
    experiment = Experiment("closing", AGENT, [Variant("a"), Variant("b", {"tts": {"speed": 1.2}})], 1, store=tmp / "r")
    made = ListeningSessionPanel(client, ListeningSession(experiment, "ana", 1))
    made.start()  # with a card
    return made


MAKERS: dict[str, Callable[[ConvoiClient, Path], w.Widget]] = {
    "card": card,
    "blind card": blind_card,
    "launcher": lambda client, _tmp: CallLauncher(client),
    "picker": picker,
    "listening panel": panel,
    "metadata editor": lambda _client, _tmp: MetadataEditor({"source": "test", "attempt": 3}),
    "overrides form": lambda _client, _tmp: OverridesForm(),
    "variant builder": lambda _client, _tmp: VariantBuilder(variants=[Variant("a"), Variant("b")]),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_close_closes_every_widget_it_is_made_of(
    name: str, opened: Opened, calm_client: ConvoiClient, front_end: FrontEnd, tmp_path: Path
) -> None:
    root = opened.widget(MAKERS[name], calm_client, tmp_path)
    made = front_end.widgets()  # everything it opened: children, layouts, styles, hidden tools
    assert len(made) > 5 and set(reachable([root])) <= set(made)
    runtime = shared_runtime()
    root.close()
    assert still_open(made) == [], f"{name}.close() left these open"
    assert runtime.comm is not None  # shared by every other Join button: left open
