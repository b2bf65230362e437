"""`ListeningSessionPanel`: a rater's blinded pass, one call at a time.

"Call 3 of 12", a card with Join, then 1–5 ratings and a note; the variants are revealed after the last rating.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import ConvoiError
from ..models import TERMINAL_STATUSES
from ._blind import blind_error
from ._closing import close_children
from ._fields import error_html
from .call_card import CallCard

if TYPE_CHECKING:
    from .._client import ConvoiClient
    from ..sessions import ListeningSession

SCORES = ["1", "2", "3", "4", "5"]
LEFT = ("disconnected",)  # the rater left the room (or never could join): time to rate


class ListeningSessionPanel(w.VBox):
    """Drives `session` one step at a time. Nothing it shows names a variant before the last rating.

    Nor anything that leads to one: the card shows no call id, room or cost, and errors show their kind only.

    Args:
        client: The client that creates and follows the session's calls.
        session: The rater's listening session.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> from convoi_nb.sessions import ListeningSession
        >>> from convoi_nb.widgets import ListeningSessionPanel
        >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
        >>> experiment = Experiment("voices", client.list_agents()[0].id, voices, replicates=1, store=":memory:")
        >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
        >>> panel = ListeningSessionPanel(client, session)  # Start, then a card and Join, then the scores
        >>> panel.start()
        >>> session.progress
        'Call 1 of 2'
        >>> panel.close()
    """

    def __init__(self, client: ConvoiClient, session: ListeningSession, **kwargs: Any) -> None:
        self._client, self.session = client, session
        self.header = w.HTML()
        self.start_button = _button("Start call", "phone", button_style="primary")
        self.start_button.on_click(lambda _: self.start())
        self.card_slot = w.Box()
        self.card: CallCard | None = None
        self.scores = {
            name: w.ToggleButtons(
                options=SCORES,
                value=None,
                description=name,
                style={"description_width": "9em", "button_width": "2.6em"},
            )
            for name in session.criteria
        }
        for buttons in self.scores.values():
            buttons.observe(lambda _: self._refresh(), names="value")
        self.note = w.Textarea(placeholder="what stood out (optional)", layout=w.Layout(width="40em", height="4em"))
        self.submit = _button("Submit rating", "check", button_style="success")
        self.skip_button = _button("Skip", "forward")
        self.broken_button = _button("This call was broken", "exclamation-triangle")
        self.submit.on_click(lambda _: self._record("rate"))
        self.skip_button.on_click(lambda _: self._record("skip"))
        self.broken_button.on_click(lambda _: self._record("broken"))
        self.form = w.VBox(
            [
                w.HTML("<b>Rate this call</b> (1 = poor, 5 = excellent)"),
                *self.scores.values(),
                self.note,
                w.HBox([self.submit, self.skip_button, self.broken_button]),
            ]
        )
        self.message = w.HTML()
        self.reveal = w.Output()
        super().__init__(
            [self.header, self.start_button, self.card_slot, self.form, self.message, self.reveal], **kwargs
        )
        self._show_step()

    # -- steps ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Create (or, after a restart, find again) the current step's call and show its blinded card."""
        try:
            call = self.session.start(self._client)
        except ConvoiError as exc:
            self.message.value = error_html(blind_error(exc))
            return
        self._close_card()
        self.card = CallCard(self._client, call, blind=True)
        self.card.observe(lambda _: self._refresh(), names="status")
        self.card.join.observe(lambda _: self._refresh(), names="state")
        self.card_slot.children = (self.card,)
        self.message.value = ""
        self._refresh()

    def _record(self, action: str) -> None:
        if self.card is None:  # a second click after the step moved on: nothing to record for the next one yet
            return
        if action == "rate" and any(b.value is None for b in self.scores.values()):
            self.message.value = error_html("rate every criterion first")
            return
        try:
            if action == "rate":
                self.session.rate({name: int(b.value) for name, b in self.scores.items()}, note=self.note.value)
            elif action == "skip":
                self.session.skip(note=self.note.value)
            else:
                self.session.broken(note=self.note.value)
        except ConvoiError as exc:
            self.message.value = error_html(blind_error(exc))
            return
        self._close_card()
        for buttons in self.scores.values():
            buttons.value = None
        self.note.value = ""
        self._show_step()

    def _show_step(self) -> None:
        step = self.session.step
        rater = escape(self.session.rater)
        if step is None:
            self.header.value = (
                f"<b>Session over</b>: {self.session.total} calls rated by {rater}. Which call was which:"
            )
            self.start_button.layout.display = self.form.layout.display = "none"
            self.reveal.outputs = ()
            self.reveal.append_display_data(self.session.reveal())
            return
        self.header.value = f"<b>{escape(step.label)}</b> · rater {rater}"
        self.start_button.description = f"Start call {step.index + 1}"
        self._refresh()

    def _refresh(self) -> None:
        """The form opens once the call has ended or the rater has left it; Submit needs every criterion."""
        card = self.card
        call_over = card is not None and card.status in TERMINAL_STATUSES
        left = card is not None and card.join.state in LEFT
        self.start_button.layout.display = "none" if card is not None or self.session.done else None
        self.form.layout.display = None if (call_over or left) else "none"
        unrated = [name for name, b in self.scores.items() if b.value is None]
        self.submit.disabled = bool(unrated)
        self.submit.tooltip = f"rate {', '.join(unrated)} first" if unrated else "record the ratings and go on"

    def _close_card(self) -> None:
        if self.card is not None:
            self.card.close()
            self.card = None
        self.card_slot.children = ()

    def close(self) -> None:
        """Close the current card (leaving its room) and every widget of the panel."""
        self._close_card()
        close_children(self)
        super().close()


def _button(description: str, icon: str, **kwargs: Any) -> w.Button:
    """A button as wide as its text: ipywidgets' fixed 148 px cut "This call was broken" to "This call was b…"."""
    return w.Button(description=description, icon=icon, layout=w.Layout(width="auto"), **kwargs)
