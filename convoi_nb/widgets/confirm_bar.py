"""`ConfirmBar`: a question with Yes and Cancel, shown only while something waits for an answer.

The ExperimentPanel asks with it before anything that may spend real money without the user having said so
(an estimate's pilot on the real service): one click never pays for a call.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as w


class ConfirmBar(w.VBox):
    """A hidden bar; `ask(question, on_yes)` shows it, and either button hides it again.

    Args:
        yes: The Yes button's label (short: the panel's labels fit at 1280 px); other keyword arguments go to
            `ipywidgets.VBox`.
    """

    def __init__(self, yes: str = "Yes", **kwargs: Any) -> None:
        self.question = w.HTML()
        self.yes = w.Button(description=yes, button_style="warning", icon="check")
        self.cancel = w.Button(description="Cancel", icon="times")
        self._on_yes: Callable[[], Any] | None = None
        self._on_cancel: Callable[[], Any] | None = None
        self.yes.on_click(lambda _: self._answer(yes=True))
        self.cancel.on_click(lambda _: self._answer(yes=False))
        super().__init__([self.question, w.HBox([self.yes, self.cancel])], **kwargs)
        self.layout.display = "none"

    @property
    def asking(self) -> bool:
        """Whether a question waits for its answer."""
        return self._on_yes is not None

    def ask(self, question: str, on_yes: Callable[[], Any], on_cancel: Callable[[], Any] | None = None) -> None:
        """Show `question`; Yes calls `on_yes`, Cancel `on_cancel` (each after the bar is hidden).

        Args:
            question: The question (plain text).
            on_yes: What Yes does.
            on_cancel: What Cancel does (None: nothing more than hiding the bar).
        """
        # Prose that may wrap, set off by a bar rather than bold (bold marks the panel's one-line headings).
        self.question.value = f"<div style='border-left:3px solid #f59e0b;padding-left:6px'>{escape(question)}</div>"
        self._on_yes, self._on_cancel = on_yes, on_cancel
        self.layout.display = None

    def dismiss(self) -> None:
        """Hide the bar and forget the question (its answer would act on something that has changed)."""
        self._on_yes = self._on_cancel = None
        self.question.value = ""
        self.layout.display = "none"

    def _answer(self, *, yes: bool) -> None:
        action = self._on_yes if yes else self._on_cancel
        if self._on_yes is None:  # answered already (a double click)
            return
        self.dismiss()
        if action is not None:
            action()
