"""`JoinButton`: join a call's LiveKit room from the notebook's own browser tab, to hear the agent and talk to it.

The front end (`join_frontend/src/join.js`) bundles livekit-client at build time into `join_frontend/dist/join.js`,
shipped in the package: nothing is fetched at run time. A notebook holds that bundle once, in the shared runtime
widget (`join_runtime`); each button carries a few lines that render with it. The LiveKit token is sent to the
browser in a custom message only when the user presses Join, so it is never part of the widget's synced (or saved)
state.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w
import traitlets

from .._hosts import is_loopback
from ..errors import ConvoiError
from ..models import LiveKitConnection
from .join_runtime import BUNDLE, RuntimeWidget

__all__ = ["BUNDLE", "SANDBOX_HINT", "UNAVAILABLE", "JoinButton", "available_for", "connection_hint"]

SANDBOX_HINT = (
    "the embedded sandbox has no LiveKit server behind its default URL; to join for real, start one "
    "(e.g. `livekit-server --dev`) and set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET before the "
    "sandbox starts"
)
UNAVAILABLE = (
    "Join needs a live notebook front end that runs anywidget (JupyterLab 4, Notebook 7, VS Code, "
    "Voilà); this one shows the call without it"
)

Connection = Callable[[], LiveKitConnection]


def connection_hint(url: str) -> str:
    """What to tell a user whose browser finds no LiveKit server at `url`.

    Args:
        url: The LiveKit server's URL.

    Returns:
        The sandbox hint for a loopback URL (where the sandbox's default points), else "".
    """
    return SANDBOX_HINT if is_loopback(urlsplit(url).hostname or "") else ""


class JoinButton(RuntimeWidget):
    """Join / Leave / Mute for one call, with its connection state, participants and microphone level.

    Args:
        connection: Returns the call's current `LiveKitConnection` (URL, token, identity); it is called when the
            user presses Join, so the token sent is current and is never held by the widget.
        describe_error: Turns a failure to read the connection into the text the user sees (a blind card shows
            the kind of error only); by default the error's own message.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.widgets import JoinButton
        >>> call = client.create_web_call(client.list_agents()[0].id)
        >>> button = JoinButton(call)  # joins the call's LiveKit room from the browser, with the microphone
        >>> button.state
        'idle'
        >>> button.close()
    """

    _front_end = traitlets.Unicode("join").tag(sync=True)
    state = traitlets.Unicode("idle").tag(sync=True)  # idle | requesting | connecting | connected | reconnecting | …
    error = traitlets.Unicode("").tag(sync=True)
    participants = traitlets.List(traitlets.Unicode()).tag(sync=True)
    muted = traitlets.Bool(False).tag(sync=True)
    available = traitlets.Bool(True).tag(sync=True)
    unavailable_reason = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self, connection: Connection, *, describe_error: Callable[[ConvoiError], str] = str, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._connection, self._describe_error = connection, describe_error
        # Shown beside the button until its front end reports that it rendered: where anywidget cannot run, the
        # button never appears and this says why.
        self.note = w.HTML(f"<small style='color:#555'>{escape(UNAVAILABLE)}</small>")
        self.on_msg(self._on_message)

    def set_available(self, available: bool, reason: str = "") -> None:
        """Allow or refuse Join (a call that has ended cannot be joined).

        Args:
            available: Whether Join may be pressed.
            reason: Why not, shown beside the button when it may not.
        """
        self.available, self.unavailable_reason = available, "" if available else reason

    def leave(self) -> None:
        """Ask the browser to leave the room (as the Leave button does)."""
        self.send({"type": "leave"})

    def close(self) -> None:
        """Leave the room if the browser is in it, and close the button and its note."""
        if self.comm is not None and self.state not in ("idle", "disconnected"):
            # The comm closes right after this: the front end leaves without writing to the model again.
            self.send({"type": "leave", "closing": True})
        self.note.close()
        super().close()

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("type") == "rendered":
            self.note.value = ""
            return
        if content.get("type") != "join":
            return
        if not self.available:
            self.send({"type": "error", "message": self.unavailable_reason or "Join is unavailable"})
            return
        try:
            livekit = self._connection()
        except ConvoiError as exc:
            self.send(
                {"type": "error", "message": f"could not read the call's LiveKit details: {self._describe_error(exc)}"}
            )
            return
        self.send({"type": "connect", "url": livekit.url, "token": livekit.token, "hint": connection_hint(livekit.url)})

    def __repr__(self) -> str:
        return f"JoinButton(state={self.state!r})"


def available_for(status: str) -> tuple[bool, str]:
    """Whether a call in `status` can still be joined, and why not.

    Args:
        status: The call's status.

    Returns:
        (available, reason): the reason is "" when the call can be joined.

    Examples:
        >>> from convoi_nb.widgets.join_button import available_for
        >>> available_for("in_progress"), available_for("ended")
        ((True, ''), (False, 'the call has ended: there is nothing left to join'))
    """
    if status in ("ended", "failed", "expired"):
        return False, f"the call has {status}: there is nothing left to join"
    return True, ""
