"""Form rows shared by the widgets: a label, an input that may be left to inherit, a reset button, an error."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any, Callable, Iterable, Optional

import ipywidgets as w

if TYPE_CHECKING:
    from ..models import Agent

LABEL_WIDTH = "9.5em"


def error_html(message: str) -> str:
    return f"<span style='color:#b91c1c'>{escape(message)}</span>" if message else ""


def agent_dropdown(agents: Iterable["Agent"]) -> w.Dropdown:
    """The account's agents by name and id, as the launcher and the experiment panel offer them."""
    return w.Dropdown(options=[(f"{a.name} ({a.id})", a.id) for a in agents], description="Agent",
                      layout=w.Layout(width="40em"))


class Row:
    """One field: `.get()` is the value to send, or None to inherit the agent's default."""

    def __init__(self, label: str, control: w.Widget, tooltip: str = "") -> None:
        self.control = control
        self.reset_button = w.Button(icon="undo", tooltip="inherit the agent's default", layout=w.Layout(width="2.6em"))
        self.reset_button.on_click(lambda _: self.clear())
        self.error = w.HTML()
        self.label = w.HTML(f"<b>{escape(label)}</b>", layout=w.Layout(width=LABEL_WIDTH), tooltip=tooltip)
        self.box = w.HBox([self.label, control, self.reset_button, self.error])

    def get(self) -> Any:
        raise NotImplementedError

    def set(self, value: Any) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        self.set(None)

    def set_default(self, default: Any) -> None:
        """Show what inheriting means for this field."""

    def observe(self, callback: Callable[[Any], None]) -> None:
        self.control.observe(callback, names="value")

    def show_error(self, message: str) -> None:
        self.error.value = error_html(message)


class TextRow(Row):
    """Text, text area or combobox; empty means inherit."""

    def __init__(self, label: str, control: w.Widget) -> None:
        super().__init__(label, control)

    def get(self) -> Optional[str]:
        return self.control.value or None

    def set(self, value: Any) -> None:
        self.control.value = "" if value is None else str(value)

    def set_default(self, default: Any) -> None:
        self.control.placeholder = f"agent default: {default}" if default not in (None, "") else "agent default"


class NumberRow(Row):
    """A slider that is only sent when its box is ticked."""

    def __init__(self, label: str, slider: w.FloatSlider) -> None:
        self.enabled = w.Checkbox(value=False, indent=False, layout=w.Layout(width="1.8em"),
                                  tooltip="tick to override the agent's default")
        self.slider = slider
        self.default_label = w.HTML()
        slider.disabled = True
        self.enabled.observe(lambda change: setattr(slider, "disabled", not change["new"]), names="value")
        super().__init__(label, w.HBox([self.enabled, slider, self.default_label]))

    def get(self) -> Optional[float]:
        return float(self.slider.value) if self.enabled.value else None

    def set(self, value: Any) -> None:
        if value is None:
            self.enabled.value = False
        else:
            self.slider.value = float(value)
            self.enabled.value = True

    def set_default(self, default: Any) -> None:
        self.default_label.value = f"<i>agent default: {escape(str(default))}</i>" if default is not None else ""
        if default is not None and not self.enabled.value:
            self.slider.value = float(default)

    def observe(self, callback: Callable[[Any], None]) -> None:
        self.enabled.observe(callback, names="value")
        self.slider.observe(callback, names="value")


class TagsRow(Row):
    def __init__(self, label: str, control: w.TagsInput) -> None:
        super().__init__(label, control)

    def get(self) -> Optional[list[str]]:
        return list(self.control.value) or None

    def set(self, value: Any) -> None:
        self.control.value = list(value or [])


class JSONObjectRow(Row):
    """Free JSON object for settings without a dedicated input; `{}` or empty means none."""

    def __init__(self, label: str, placeholder: str) -> None:
        super().__init__(label, w.Textarea(placeholder=placeholder, rows=2, layout=w.Layout(width="32em")))
        self.parse_error = ""

    def get(self) -> dict[str, Any]:
        text = self.control.value.strip()
        self.parse_error = ""
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            self.parse_error = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
            return {}
        if not isinstance(value, dict):
            self.parse_error = "must be a JSON object, e.g. {\"top_p\": 0.9}"
            return {}
        return value

    def set(self, value: Any) -> None:
        self.control.value = json.dumps(value) if value else ""
