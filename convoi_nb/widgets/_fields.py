"""Form rows shared by the widgets: a label, an input that may be left to inherit, a reset button, an error."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w

if TYPE_CHECKING:
    from ..models import Agent

LABEL_WIDTH = "10.5em"  # the longest label ("knowledge bases") on one line at JupyterLab's default font
INPUT_WIDTH = "32em"


def error_html(message: str) -> str:
    """An error line in red.

    Args:
        message: The error ("" for none).

    Returns:
        The HTML (escaped), or "" when there is no error.
    """
    return f"<span style='color:#b91c1c'>{escape(message)}</span>" if message else ""


def agent_dropdown(agents: Iterable[Agent]) -> w.Dropdown:
    """The account's agents by name and id, as the launcher and the experiment panel offer them.

    Args:
        agents: The agents to offer.

    Returns:
        A dropdown whose values are the agents' ids.
    """
    return w.Dropdown(
        options=[(f"{a.name} ({a.id})", a.id) for a in agents], description="Agent", layout=w.Layout(width="40em")
    )


class Row:
    """One field: `.get()` is the value to send, or None to inherit the agent's default.

    Args:
        label: The field's label, which its errors also use.
        control: The input.
        tooltip: What the label's tooltip says.
    """

    def __init__(self, label: str, control: w.Widget, tooltip: str = "") -> None:
        self.control = control
        self.label_text = label  # errors name the field as this label does: one vocabulary
        self.parse_error = ""  # set by `get()` when the entry cannot be read at all (not JSON, not a number)
        self.reset_button = w.Button(icon="undo", tooltip="inherit the agent's default", layout=w.Layout(width="2.6em"))
        self.reset_button.on_click(lambda _: self.clear())
        self.error = w.HTML()
        self.label = w.HTML(
            f"<b style='white-space:nowrap'>{escape(label)}</b>",
            layout=w.Layout(width=LABEL_WIDTH, min_width=LABEL_WIDTH),
            tooltip=tooltip,
        )
        self.box = w.HBox([self.label, control, self.reset_button, self.error])

    def get(self) -> Any:
        """The entry as it would be sent.

        Returns:
            The value to send, or None to inherit the agent's default.
        """
        raise NotImplementedError

    def set(self, value: Any) -> None:
        """Fill the field.

        Args:
            value: The value to show, or None to inherit.
        """
        raise NotImplementedError

    def clear(self) -> None:
        """Empty the field: it inherits the agent's default."""
        self.set(None)

    def set_default(self, default: Any) -> None:
        """Show what inheriting means for this field.

        Args:
            default: The agent's own setting.
        """

    def observe(self, callback: Callable[[Any], None]) -> None:
        """Call `callback` whenever the entry changes.

        Args:
            callback: Called with the change.
        """
        self.control.observe(callback, names="value")

    def show_error(self, message: str) -> None:
        """Show why the entry is refused ("" to clear).

        Args:
            message: The error.
        """
        self.error.value = error_html(message)


class TextRow(Row):
    """Text, text area or combobox; empty means inherit.

    Args:
        label: The field's label.
        control: The text input.
    """

    def __init__(self, label: str, control: w.Widget) -> None:
        super().__init__(label, control)

    def get(self) -> str | None:
        return self.control.value or None

    def set(self, value: Any) -> None:
        self.control.value = "" if value is None else str(value)

    def set_default(self, default: Any) -> None:
        self.control.placeholder = f"agent default: {default}" if default not in (None, "") else "agent default"


class NumberRow(Row):
    """A slider with an editable number beside it, sent only when its box is ticked.

    Args:
        label: The field's label.
        slider: The slider (its range bounds what the slider shows, not what may be typed).

    The number box is a plain text box, not the slider's own readout: that readout silently clamps a typed
    `2.5` to the slider's end and drops `abc`. Here a typed value is kept as typed, so an out-of-range number
    is refused by the same validation as any other input, and text that is not a number is an error.
    """

    def __init__(self, label: str, slider: w.FloatSlider) -> None:
        self.enabled = w.Checkbox(
            value=False, indent=False, layout=w.Layout(width="1.8em"), tooltip="tick to override the agent's default"
        )
        self.slider = slider
        slider.readout = False
        self.number = w.Text(value=self._format(slider.value), continuous_update=False, layout=w.Layout(width="5em"))
        self.default_label = w.HTML()
        self._syncing = False
        for control in (slider, self.number):
            control.disabled = True
        self.enabled.observe(lambda change: self._enable(change["new"]), names="value")
        slider.observe(lambda change: self._sync(self.number, self._format(change["new"])), names="value")
        self.number.observe(lambda change: self._from_text(change["new"]), names="value")
        super().__init__(label, w.HBox([self.enabled, slider, self.number, self.default_label]))

    def _format(self, value: float) -> str:
        return format(value, self.slider.readout_format)

    def _enable(self, on: bool) -> None:
        self.slider.disabled = self.number.disabled = not on

    def _sync(self, control: w.Widget, value: Any) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            control.value = value
        finally:
            self._syncing = False

    def _from_text(self, text: str) -> None:
        try:
            number = float(text)
        except ValueError:
            return  # `get()` reports it
        if self.slider.min <= number <= self.slider.max:
            self._sync(self.slider, number)

    def get(self) -> float | None:
        self.parse_error = ""
        if not self.enabled.value:
            return None
        try:
            return float(self.number.value)
        except ValueError:
            self.parse_error = f"not a number: {self.number.value!r}"
            return None

    def set(self, value: Any) -> None:
        if value is None:
            self.enabled.value = False
        else:
            self._set_number(float(value))
            self.enabled.value = True

    def set_default(self, default: Any) -> None:
        self.default_label.value = f"<i>agent default: {escape(str(default))}</i>" if default is not None else ""
        if default is not None and not self.enabled.value:
            self._set_number(float(default))

    def _set_number(self, value: float) -> None:
        self.slider.value = value  # clamped to the slider's range; the number box keeps the value itself
        self.number.value = repr(value)

    def observe(self, callback: Callable[[Any], None]) -> None:
        self.enabled.observe(callback, names="value")
        self.number.observe(callback, names="value")


class TagsRow(Row):
    """A list of tags (knowledge base ids); none means inherit.

    Args:
        label: The field's label.
        control: The tags input.
    """

    def __init__(self, label: str, control: w.TagsInput) -> None:
        control.layout.width = INPUT_WIDTH  # its default is the width of one tag
        super().__init__(label, control)

    def get(self) -> list[str] | None:
        return list(self.control.value) or None

    def set(self, value: Any) -> None:
        self.control.value = list(value or [])


class JSONObjectRow(Row):
    """Free JSON object for settings without a dedicated input; `{}` or empty means none.

    Args:
        label: The field's label.
        placeholder: An example shown in the empty box.
    """

    def __init__(self, label: str, placeholder: str) -> None:
        super().__init__(label, w.Textarea(placeholder=placeholder, rows=2, layout=w.Layout(width=INPUT_WIDTH)))

    def get(self) -> dict[str, Any]:
        text = self.control.value.strip()
        self.parse_error = ""
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            self.parse_error = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            return {}
        if not isinstance(value, dict):
            self.parse_error = 'must be a JSON object, e.g. {"top_p": 0.9}'
            return {}
        return value

    def set(self, value: Any) -> None:
        self.control.value = json.dumps(value) if value else ""
