"""`CallPicker`: choose one of several calls and see its `CallCard` (with Join), e.g. an experiment's calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import ConvoiError
from ._closing import close_children
from ._fields import error_html
from .call_card import CallCard

if TYPE_CHECKING:
    from .._client import ConvoiClient

NONE = "choose a call…"


class CallPicker(w.VBox):
    """A dropdown of (label, call id) choices; picking one opens its card, read fresh from the API.

    Args:
        client: The client that reads the chosen call.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.widgets import CallPicker
        >>> call = client.create_web_call(client.list_agents()[0].id, metadata={"source": "picker"})
        >>> picker = CallPicker(client)
        >>> picker.show_call(call.id)  # what choosing it in the list does: its card below
        >>> picker.close()  # stops the card's polling
    """

    def __init__(self, client: ConvoiClient, **kwargs: Any) -> None:
        self._client = client
        self.dropdown = w.Dropdown(
            options=[(NONE, "")],
            value="",
            description="Call",
            layout=w.Layout(width="40em"),
            style={"description_width": "initial"},
        )
        self.message = w.HTML()
        self.card: CallCard | None = None
        self.dropdown.observe(lambda change: self.show_call(change["new"]), names="value")
        super().__init__([self.dropdown, self.message], **kwargs)

    def set_calls(self, choices: Sequence[tuple[str, str]]) -> None:
        """Replace the choices, keeping the open card if its call is still among them.

        Args:
            choices: (label, call id) pairs.
        """
        current = self.dropdown.value
        options = [(NONE, ""), *choices]
        with self.dropdown.hold_trait_notifications():
            self.dropdown.options = options
            self.dropdown.value = current if current in {value for _, value in options} else ""

    def show_call(self, call_id: str) -> None:
        """Open the card of a call (closing the one open), or none.

        Args:
            call_id: The call to show ("" for none).
        """
        self._close_card()
        self.message.value = ""
        if not call_id:
            return
        try:
            call = self._client.get_call(call_id)
        except ConvoiError as exc:
            self.message.value = error_html(str(exc))
            return
        self.card = CallCard(self._client, call)
        self._show(self.card)

    def _close_card(self) -> None:
        if self.card is not None:
            self.card.close()
            self.card = None
        self._show()

    def _show(self, *card: CallCard) -> None:
        self.children = (self.dropdown, self.message, *card)

    def close(self) -> None:
        """Close the open card (leaving its room) and every widget of the picker."""
        self._close_card()
        close_children(self)
        super().close()
