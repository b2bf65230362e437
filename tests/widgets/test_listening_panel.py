"""ListeningSessionPanel's controls: each says why it cannot act yet, and its buttons are as wide as their text
(the browser test measures them: tests/browser/test_widget_layout.py)."""

from __future__ import annotations

from pathlib import Path

from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets import ListeningSessionPanel

from .conftest import Opened


def test_submit_names_what_is_left_to_rate_and_buttons_fit_their_text(
    opened: Opened, calm_client: ConvoiClient, tmp_path: Path
) -> None:
    agent = calm_client.list_agents()[0].id
    experiment = Experiment("panel", agent, [Variant("a"), Variant("b")], 1, store=tmp_path / "r.sqlite3")
    session = ListeningSession(experiment, "ana", 1, criteria=["helpful", "natural voice"])
    panel = opened.widget(ListeningSessionPanel, calm_client, session)
    for button in (panel.start_button, panel.submit, panel.skip_button, panel.broken_button):
        assert button.layout.width == "auto", button.description  # never ipywidgets' fixed 148 px
    assert panel.submit.disabled and panel.submit.tooltip == "rate helpful, natural voice first"
    panel.scores["helpful"].value = "4"
    assert panel.submit.disabled and panel.submit.tooltip == "rate natural voice first"
    panel.scores["natural voice"].value = "3"
    assert not panel.submit.disabled
