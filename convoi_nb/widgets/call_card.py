"""`CallCard`: a call's live status, duration and cost, its LiveKit details, and the code that made it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from .._display import STATUS_COLOURS, call_rows, rows_table_html, status_badge_html
from ..errors import ConvoiError
from ..models import Call, LiveKitConnection
from ..snippets import curl_snippet, python_snippet
from ._blind import blind_error
from ._closing import close_children
from .join_button import JoinButton, available_for
from .secret_field import SecretField

if TYPE_CHECKING:
    from .._client import ConvoiClient

BLIND_ROWS = ("Duration",)


class CallCard(w.VBox):
    """Shows one call and refreshes it in a background thread until it ends or the card is closed.

    The LiveKit token is masked; *Reveal token* shows it (to copy it) until toggled off, without putting it in the
    widget state a notebook saves. *Join* (a `JoinButton`) joins the call's room from this browser tab.

    Args:
        client: The client that reads the call as it changes.
        call: The call to show (or none yet: `show()` it later).
        request: The create request's body, for *Show code*.
        poll_interval: Seconds between reads of the call while it runs.
        blind: A listening session's card: status, duration and Join only, nothing that tells which call (or
            variant) it is: no id, cost, agent, room, code or token, and errors by their kind only.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.widgets import CallCard
        >>> call = client.create_web_call(client.list_agents()[0].id)
        >>> card = CallCard(client, call)  # follows the call until it ends; a cell's last line shows it
        >>> finished = card.wait(timeout=30)
        >>> finished.is_terminal, card.status == finished.status
        (True, True)
        >>> card.close()
    """

    status = traitlets.Unicode("")
    duration_seconds = traitlets.Float(0.0)
    cost_amount = traitlets.Float(0.0)

    def __init__(
        self,
        client: ConvoiClient,
        call: Call | None = None,
        *,
        request: Mapping[str, Any] | None = None,
        poll_interval: float = 0.25,
        blind: bool = False,
        **kwargs: Any,
    ) -> None:
        self._client, self._poll_interval, self._blind = client, poll_interval, blind
        self.call: Call | None = None
        self.request: dict[str, Any] = dict(request or {})
        self.header, self.details, self.message = w.HTML(), w.HTML(), w.HTML()
        self.reveal = w.ToggleButton(description="Reveal token", icon="eye", tooltip="show the full token to copy it")
        self.token_field = SecretField(layout=w.Layout(width="40em", display="none"))
        self.show_code = w.ToggleButton(description="Show code", icon="code")
        self.join = JoinButton(self._livekit, describe_error=blind_error if blind else str)
        self.code = w.HTML(layout=w.Layout(display="none"))
        self.reveal.observe(lambda _: self._render_token(), names="value")
        self.show_code.observe(lambda _: self._render_code(), names="value")
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._lock = threading.Lock()
        self._join_row = w.HBox([self.join, self.join.note])
        self._tool_row = w.HBox([self.reveal, self.show_code])
        self._tools = [self._tool_row, self.token_field, self.code]
        shown = [] if blind else self._tools
        super().__init__([self.header, self._join_row, self.details, *shown, self.message], **kwargs)
        if call is not None:
            self.show(call, request=request)
        else:
            self._render_controls()

    def show(self, call: Call, *, request: Mapping[str, Any] | None = None) -> None:
        """Display `call` and keep it fresh until it ends.

        Args:
            call: The call to show.
            request: The body that created it, for *Show code* (default: the one given before).
        """
        self.stop()
        self.request = dict(request or self.request)
        self.reveal.value = False
        self._update(call)
        self._render_code()
        self._render_controls()
        if not call.is_terminal:
            self._stop = threading.Event()
            self._poller = threading.Thread(
                target=self._poll, args=(call.id, self._stop), daemon=True, name=f"convoi-card-{call.id}"
            )
            self._poller.start()

    @property
    def polling(self) -> bool:
        """Whether the card is still following its call."""
        return self._poller is not None and self._poller.is_alive()

    def wait(self, timeout: float = 30.0) -> Call | None:
        """Block until the poller stops (the call ended).

        Args:
            timeout: The longest wait, in seconds.

        Returns:
            The last state of the call seen.
        """
        if self._poller is not None:
            self._poller.join(timeout)
        return self.call

    def stop(self) -> None:
        """Stop following the call."""
        self._stop.set()
        if self._poller is not None and self._poller is not threading.current_thread():
            self._poller.join(timeout=5)
        self._poller = None

    def close(self) -> None:
        """Stop following the call, leave its room if the browser is in it, and close every widget of the card."""
        self.stop()
        close_children(self, self._tools)
        super().close()

    def _livekit(self) -> LiveKitConnection:
        """The call's current LiveKit details, read when the user presses Join (a fresh token, never stored)."""
        if self.call is None:
            raise ConvoiError("no call to join yet")
        return self._client.get_call(self.call.id).livekit

    def _poll(self, call_id: str, stop: threading.Event) -> None:
        interval = self._poll_interval
        while not stop.wait(interval):
            try:
                call = self._client.get_call(call_id)
            except ConvoiError as exc:
                said = blind_error(exc) if self._blind else str(exc)
                self.message.value = f"<span style='color:#b91c1c'>refresh failed: {escape(said)}</span>"
                interval = min(interval * 2, 5.0)
                continue
            if stop.is_set():
                return
            self._update(call)
            if call.is_terminal:
                return

    def _update(self, call: Call) -> None:
        with self._lock:
            self.call = call
            self.status, self.duration_seconds, self.cost_amount = (
                call.status,
                call.duration_seconds,
                float(call.cost.amount),
            )
            self.header.value = _status_html(call) if self._blind else status_badge_html(call)
            self.join.set_available(*available_for(call.status))
            rows = call_rows(call)
            self.details.value = rows_table_html([r for r in rows if r[0] in BLIND_ROWS] if self._blind else rows)
            self._render_token()

    def _render_controls(self) -> None:
        # A control is shown only when it can act: before a call there is nothing to join, reveal or show, and
        # *Show code* needs the request that made the call (a card opened on an existing call has none).
        has_call = self.call is not None
        self._join_row.layout.display = None if has_call else "none"
        self._tool_row.layout.display = None if has_call else "none"
        self.show_code.layout.display = None if self.request else "none"

    def _render_token(self) -> None:
        revealed = bool(self.reveal.value and self.call is not None and not self._blind)
        if revealed and self.call is not None:  # sent to the browser in a message: never in the saved state
            self.token_field.show(self.call.livekit.token)
        else:
            self.token_field.hide()
        self.token_field.layout.display = None if revealed else "none"
        self.reveal.description = "Hide token" if revealed else "Reveal token"

    def _render_code(self) -> None:
        visible = bool(self.show_code.value and self.request and not self._blind)
        self.code.layout.display = None if visible else "none"
        if visible:
            self.code.value = (
                "<b>Python</b><pre>" + escape(python_snippet(self.request)) + "</pre>"
                "<b>curl</b><pre>" + escape(curl_snippet(self.request, self._client.base_url)) + "</pre>"
            )
        else:
            self.code.value = ""


def _status_html(call: Call) -> str:
    """The status badge of a blind card: the status only (the usual badge leads with the call's id)."""
    colour = STATUS_COLOURS.get(call.status, STATUS_COLOURS["initiated"])
    return (
        f"<span class='convoi-status' style='color:#fff;background:{colour};border-radius:4px;padding:0 6px'>"
        f"{escape(call.status)}</span>"
    )
