"""`MetadataEditor`: key/value rows for call metadata; values are JSON scalars or plain text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import traitlets

from ._closing import close_children, close_tree
from ._fields import error_html


def parse_scalar(text: str) -> Any:
    """`42` → 42, `true` → True, `null` → None, `"42"` → "42", anything else stays text.

    Args:
        text: What was typed.

    Returns:
        The JSON scalar it spells, or the text itself.
    """
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, (str, int, float, bool)) or value is None else text


class MetadataEditor(w.VBox):
    """Key/value rows for a call's metadata: `.value` is the dict, `.valid` is False while a row is wrong.

    Args:
        value: The rows to start with.

    Examples:
        >>> from convoi_nb.widgets import MetadataEditor
        >>> editor = MetadataEditor({"source": "docs", "ticket": 4711})
        >>> editor.value, editor.valid
        ({'source': 'docs', 'ticket': 4711}, True)
    """

    value = traitlets.Dict()
    valid = traitlets.Bool(True)

    def __init__(self, value: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        self._rows: list[tuple[w.Text, w.Text, w.HBox]] = []
        self.add_button = w.Button(description="Add metadata", icon="plus")
        self.add_button.on_click(lambda _: self.add_row())
        self.error = w.HTML()
        self.rows_box = w.VBox()
        super().__init__([self.rows_box, w.HBox([self.add_button, self.error])], **kwargs)
        for key, item in (value or {}).items():
            self.add_row(key, item)
        self._recompute()

    def add_row(self, key: str = "", value: Any = "") -> None:
        """Add a row.

        Args:
            key: The metadata key.
            value: Its value (text, or a JSON scalar).
        """
        key_text = w.Text(value=key, placeholder="key", layout=w.Layout(width="12em"))
        value_text = w.Text(
            value=value if isinstance(value, str) else json.dumps(value),
            placeholder="value (text, number, true/false, null)",
            layout=w.Layout(width="20em"),
        )
        remove = w.Button(icon="trash", tooltip="remove", layout=w.Layout(width="2.6em"))
        row = w.HBox([key_text, value_text, remove])
        entry = (key_text, value_text, row)
        remove.on_click(lambda _: self._remove(entry))
        for text in (key_text, value_text):
            text.observe(lambda _change: self._recompute(), names="value")
        self._rows.append(entry)
        self.rows_box.children = [r for _, _, r in self._rows]
        self._recompute()

    def _remove(self, entry: tuple[w.Text, w.Text, w.HBox]) -> None:
        self._rows.remove(entry)
        self.rows_box.children = [r for _, _, r in self._rows]
        close_tree(entry[2])  # the row's texts and button too: a Box's close() alone leaves them open
        self._recompute()

    def close(self) -> None:
        """Close the editor and every widget of it."""
        close_children(self)
        super().close()

    def _recompute(self) -> None:
        value: dict[str, Any] = {}
        problems = []
        for key_text, value_text, _ in self._rows:
            key = key_text.value.strip()
            if not key:
                if value_text.value:
                    problems.append(f"a value ({value_text.value!r}) has no key")
                continue
            if key in value:
                problems.append(f"key {key!r} appears twice")
            value[key] = parse_scalar(value_text.value)
        self.error.value = error_html("; ".join(problems))
        self.valid = not problems
        self.value = value
