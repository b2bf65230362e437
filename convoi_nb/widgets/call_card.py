"""`CallCard`: a call's live status, duration and cost, its LiveKit details, and the code that made it."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from .._display import call_rows, rows_table_html, status_badge_html
from ..errors import ConvoiError
from ..models import Call, LiveKitConnection
from ..snippets import curl_snippet, python_snippet
from .join_button import JoinButton, available_for

if TYPE_CHECKING:
    from .._client import ConvoiClient

BLIND_ROWS = ("Duration",)


class CallCard(w.VBox):
    """Shows one call and refreshes it in a background thread until it ends or the card is closed.

    The LiveKit token is masked; *Reveal token* shows it (to copy it) until toggled off. *Join* (a `JoinButton`)
    joins the call's room from this browser tab.
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
        # blind: only status and duration, Join, nothing that could tell which variant made the call (a listening
        # session's card: no cost, agent, code or token)
        self._client, self._poll_interval, self._blind = client, poll_interval, blind
        self.call: Call | None = None
        self.request: dict[str, Any] = dict(request or {})
        self.header, self.details, self.message = w.HTML(), w.HTML(), w.HTML()
        self.reveal = w.ToggleButton(description="Reveal token", icon="eye", tooltip="show the full token to copy it")
        self.token_field = w.Text(disabled=True, layout=w.Layout(width="40em", display="none"))
        self.show_code = w.ToggleButton(description="Show code", icon="code")
        self.join = JoinButton(self._livekit)
        self.code = w.HTML(layout=w.Layout(display="none"))
        self.reveal.observe(lambda _: self._render_token(), names="value")
        self.show_code.observe(lambda _: self._render_code(), names="value")
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._lock = threading.Lock()
        self._join_row = w.HBox([self.join, self.join.note])
        tools = [] if blind else [w.HBox([self.reveal, self.show_code]), self.token_field, self.code]
        super().__init__([self.header, self._join_row, self.details, *tools, self.message], **kwargs)
        if call is not None:
            self.show(call, request=request)

    def show(self, call: Call, *, request: Mapping[str, Any] | None = None) -> None:
        """Display `call` and keep it fresh until it ends."""
        self.stop()
        self.request = dict(request or self.request)
        self.reveal.value = False
        self._update(call)
        self._render_code()
        if not call.is_terminal:
            self._stop = threading.Event()
            self._poller = threading.Thread(
                target=self._poll, args=(call.id, self._stop), daemon=True, name=f"convoi-card-{call.id}"
            )
            self._poller.start()

    @property
    def polling(self) -> bool:
        return self._poller is not None and self._poller.is_alive()

    def wait(self, timeout: float = 30.0) -> Call | None:
        """Block until the poller stops (the call ended); returns the last state seen."""
        if self._poller is not None:
            self._poller.join(timeout)
        return self.call

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None and self._poller is not threading.current_thread():
            self._poller.join(timeout=5)
        self._poller = None

    def close(self) -> None:
        self.stop()
        self.join.close()  # leaves the room if the browser is in it
        self._join_row.close()
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
                self.message.value = f"<span style='color:#b91c1c'>refresh failed: {escape(str(exc))}</span>"
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
            self.header.value = status_badge_html(call)
            self.join.set_available(*available_for(call.status))
            rows = call_rows(call)
            self.details.value = rows_table_html([r for r in rows if r[0] in BLIND_ROWS] if self._blind else rows)
            self._render_token()

    def _render_token(self) -> None:
        revealed = bool(self.reveal.value and self.call is not None)
        # The full token enters the widget state only while the user asks to see it.
        self.token_field.value = self.call.livekit.token if revealed and self.call else ""
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
