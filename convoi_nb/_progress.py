"""Progress bars whose saved notebook output shows how they ended, not how they began.

tqdm's notebook bar is an ipywidget displayed once, when it starts: its text form (what a notebook executed by
nbconvert or nbmake keeps, and what GitHub shows) is frozen at "0% 0/40". This bar is displayed under a display id
and displayed again in place when it closes, so the saved output is the finished bar.
"""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm as auto_tqdm
from tqdm.notebook import tqdm_notebook


class NotebookProgressBar(tqdm_notebook):  # type: ignore[misc]  # tqdm ships no types: its class is Any here
    """`tqdm.notebook.tqdm` whose display is updated in place with the final state on `close()`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._handle: Any | None = None
        show = kwargs.pop("display", True)
        super().__init__(*args, display=False, **kwargs)
        if show and not self.disable and self.delay <= 0:
            from IPython.display import display

            show_once: Any = display  # IPython's display() is untyped
            self._handle = show_once(self.container, display_id=True)
            self.displayed = True

    def close(self) -> None:
        super().close()
        if self._handle is not None:
            self._handle.update(self.container)  # the widget again, with its text as it ended
            self._handle = None


# In a notebook kernel tqdm.auto is the notebook bar: use ours there, and tqdm's text bar anywhere else.
progress_bar: Any = NotebookProgressBar if issubclass(auto_tqdm, tqdm_notebook) else auto_tqdm

__all__ = ["NotebookProgressBar", "progress_bar"]
