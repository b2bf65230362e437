"""`SecretField`: shows a secret the user asked to see (a LiveKit token) without putting it in saved widget state."""

from __future__ import annotations

from typing import Any

import traitlets

from .join_runtime import RuntimeWidget


class SecretField(RuntimeWidget):
    """A read-only box whose text reaches the browser in a custom message, never in a synced trait.

    A notebook saves its widgets' synced state (the token would be written to disk with it); custom messages are
    not saved. After a page reload the front end asks again, and gets the text only while it is shown.
    """

    _front_end = traitlets.Unicode("secret").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._text = ""
        self.on_msg(self._on_message)

    @property
    def shown(self) -> bool:
        """Whether the secret is being shown."""
        return bool(self._text)

    def show(self, text: str) -> None:
        """Show `text` in the box.

        Args:
            text: The secret to show.
        """
        if text != self._text:
            self._text = text
            self.send({"type": "show", "text": text})

    def hide(self) -> None:
        """Empty the box and hide it."""
        if self._text:
            self._text = ""
            self.send({"type": "hide"})

    def _on_message(self, _widget: Any, content: dict[str, Any], _buffers: Any) -> None:
        if content.get("type") == "rendered" and self._text:  # a new view (a reload): show it there too
            self.send({"type": "show", "text": self._text})

    def __repr__(self) -> str:
        return f"SecretField(shown={self.shown})"
