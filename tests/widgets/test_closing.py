"""Closing a composite widget closes every widget it is made of (children, their layouts and styles, and the
widgets it made without showing), each through its own close(), and so does dropping a part (a variant, a metadata
row, a card replaced by the next); the Join front end's shared runtime stays open for the other cards."""

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


# -- parts a composite removes or replaces are closed whole, at once -------------------------------------------


def removed_variant(client: ConvoiClient, _tmp: Path) -> tuple[w.Widget, list[w.Widget]]:
    made = VariantBuilder(variants=[Variant("a")])
    made.add()
    gone = reachable([made.entries[1].box])  # its name, buttons and whole overrides form
    made.remove(1)
    return made, gone


def regenerated_grid(client: ConvoiClient, _tmp: Path) -> tuple[w.Widget, list[w.Widget]]:
    made = VariantBuilder(variants=[Variant("a"), Variant("b")])
    made.axes["llm.model"].value = "gpt-4o-mini, gpt-4o"  # catalog names: others need allow_extra
    gone = reachable([entry.box for entry in made.entries])
    assert len(made.generate_grid()) == 2
    gone += reachable([entry.box for entry in made.entries])
    assert len(made.generate_grid()) == 2  # twice: the first grid's forms go as well
    return made, gone


def removed_metadata_row(client: ConvoiClient, _tmp: Path) -> tuple[w.Widget, list[w.Widget]]:
    made = MetadataEditor({"source": "test"})
    made.add_row("attempt", 3)
    row = made.rows_box.children[-1]
    gone = reachable([row])
    row.children[-1].click()  # its trash button
    assert made.value == {"source": "test"}
    return made, gone


def picked_another_call(client: ConvoiClient, _tmp: Path) -> tuple[w.Widget, list[w.Widget]]:
    made = CallPicker(client)
    first, second = (client.create_web_call(client.list_agents()[0].id) for _ in range(2))
    made.set_calls([("first", first.id), ("second", second.id)])
    made.dropdown.value = first.id
    assert made.card is not None
    gone = reachable([made.card])
    made.dropdown.value = second.id
    return made, gone


def next_listening_step(client: ConvoiClient, tmp: Path) -> tuple[w.Widget, list[w.Widget]]:
    experiment = Experiment("closing", AGENT, [Variant("a"), Variant("b", {"tts": {"speed": 1.2}})], 1, store=tmp / "r")
    made = ListeningSessionPanel(client, ListeningSession(experiment, "ana", 1))
    made.start()
    assert made.card is not None
    gone = reachable([made.card])
    made.skip_button.click()  # the step moves on: its card goes
    made.start()
    return made, gone


REPLACERS: dict[str, Callable[[ConvoiClient, Path], tuple[w.Widget, list[w.Widget]]]] = {
    "variant removed": removed_variant,
    "grid generated twice": regenerated_grid,
    "metadata row removed": removed_metadata_row,
    "picker: another call": picked_another_call,
    "listening panel: next step": next_listening_step,
}


@pytest.mark.parametrize("name", list(REPLACERS))
def test_a_part_removed_or_replaced_is_closed_whole(
    name: str, opened: Opened, calm_client: ConvoiClient, front_end: FrontEnd, tmp_path: Path
) -> None:
    dropped: list[w.Widget] = []

    def build() -> w.Widget:
        root, gone = REPLACERS[name](calm_client, tmp_path)
        dropped.extend(gone)
        return root

    root = opened.widget(build)  # closed whatever the outcome (and what a failed build opened, too)
    gone = dropped
    assert len(gone) > 3
    assert still_open(gone) == [], f"{name}: the part it dropped left these open"
    root.close()
    assert still_open(front_end.widgets()) == [], f"{name}: close() after it left these open"


def test_a_panel_whose_constructor_raised_closes_without_an_error() -> None:
    """ipywidgets' __del__ closes a panel whose constructor raised: close() must cope with the half-built object."""
    import gc
    import sys

    from convoi_nb.widgets import ExperimentPanel

    unraisable: list[BaseException | None] = []
    previous, sys.unraisablehook = sys.unraisablehook, lambda report: unraisable.append(report.exc_value)
    try:
        with pytest.raises(AttributeError, match="list_agents"):
            ExperimentPanel("not a client")  # type: ignore[arg-type]  # the user's mistake under test
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert unraisable == []
