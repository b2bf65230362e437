"""`OverridesForm`: build `agent_overrides` without typing JSON, and see exactly what will be sent."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

import ipywidgets as w
import pydantic
import traitlets

from ..models import (
    KNOWLEDGE_BASE_ID_PATTERN,
    KNOWN_LANGUAGES,
    KNOWN_LLM_MODELS,
    KNOWN_STT_MODELS,
    KNOWN_VOICES,
    LENIENT_CONTEXT,
    Agent,
    AgentOverrides,
    field_errors,
)
from ._closing import close_children
from ._fields import JSONObjectRow, NumberRow, Row, TagsRow, TextRow, error_html

Defaults = Agent | Mapping[str, Any] | None
SECTIONS = ("llm", "tts", "stt")


class OverridesForm(w.VBox):
    """Inputs for every override; empty fields inherit the agent's default and are not sent.

    `.value` is the `AgentOverrides` to send (setting it fills the form), `.valid` is False while any
    input is invalid, `.errors` maps field paths to messages. A live preview shows the exact JSON.
    The models, voices and languages convoi_nb knows are offered as choices; a setting or name it does not know is
    refused with the closest known one, until `.allow_extra` is True (its checkbox, or `allow_extra=True`).

    Args:
        defaults: The agent (or its settings) whose values empty fields inherit, shown as placeholders.
        value: The overrides to fill the form with.
        allow_extra: Send llm/tts/stt settings and model or voice names convoi_nb does not know, as typed.

    Examples:
        >>> from convoi_nb import AgentOverrides
        >>> from convoi_nb.widgets import OverridesForm
        >>> form = OverridesForm(value=AgentOverrides.from_dict({"llm": {"temperature": 0.3}}))
        >>> form.value.to_body(), form.valid  # form.value follows what is typed; form  (on a cell's last line) shows it
        ({'llm': {'temperature': 0.3}}, True)
    """

    value = traitlets.Instance(AgentOverrides)
    valid = traitlets.Bool(True)
    errors = traitlets.Dict()
    allow_extra = traitlets.Bool(False)

    def __init__(
        self, defaults: Defaults = None, value: AgentOverrides | None = None, allow_extra: bool = False, **kwargs: Any
    ) -> None:
        wide = w.Layout(width="32em")
        self.rows: dict[str, Row] = {
            "first_message": TextRow("first message", w.Textarea(rows=2, layout=wide)),
            "system_prompt": TextRow("system prompt", w.Textarea(rows=4, layout=wide)),
            "llm.model": TextRow("llm.model", w.Combobox(options=KNOWN_LLM_MODELS, ensure_option=False, layout=wide)),
            "llm.temperature": NumberRow(
                "llm.temperature", w.FloatSlider(min=0, max=2, step=0.05, readout_format=".2f")
            ),
            "llm.extra": JSONObjectRow("llm: other", '{"top_p": 0.9}'),
            "tts.voice_id": TextRow("tts.voice_id", w.Combobox(options=KNOWN_VOICES, ensure_option=False, layout=wide)),
            "tts.speed": NumberRow("tts.speed", w.FloatSlider(min=0.5, max=2, step=0.05, readout_format=".2f")),
            "tts.extra": JSONObjectRow("tts: other", '{"stability": 0.5}'),
            "stt.language": TextRow(
                "stt.language", w.Combobox(options=KNOWN_LANGUAGES, ensure_option=False, layout=wide)
            ),
            "stt.model": TextRow("stt.model", w.Combobox(options=KNOWN_STT_MODELS, ensure_option=False, layout=wide)),
            "stt.extra": JSONObjectRow("stt: other", '{"punctuate": true}'),
            # The tag box is as wide as its placeholder: this one says what to type, and makes room to type it.
            "knowledge_base_ids": TagsRow(
                "knowledge bases",
                w.TagsInput(allow_duplicates=False, placeholder="kb_ + 32 hex digits, Enter to add each"),
            ),
        }
        self.preview = w.HTML()
        self.allow_extra_box = w.Checkbox(
            description="also send settings and names convoi_nb does not check",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.reset_all = w.Button(description="Reset all to agent defaults", icon="undo", layout=w.Layout(width="auto"))
        self.reset_all.on_click(lambda _: self.reset())
        self._filling = False
        super().__init__(
            [
                *(row.box for row in self.rows.values()),
                self.allow_extra_box,
                self.reset_all,
                w.HTML("<b>agent_overrides to send</b>"),
                self.preview,
            ],
            value=AgentOverrides(),
            **kwargs,
        )
        for row in self.rows.values():
            row.observe(lambda _change: self._recompute())
        w.link((self.allow_extra_box, "value"), (self, "allow_extra"))
        self.allow_extra = allow_extra
        self.observe(lambda _change: self._recompute(), names="allow_extra")
        self.set_defaults(defaults)
        if value is not None:
            self.value = value
        self._recompute()

    # -- state --------------------------------------------------------------------------------------

    def set_defaults(self, defaults: Defaults) -> None:
        """Show an agent's settings as what each empty field inherits.

        Args:
            defaults: The agent, or its settings.
        """
        data = defaults.model_dump() if isinstance(defaults, Agent) else dict(defaults or {})
        for path, row in self.rows.items():
            if path.endswith(".extra"):
                continue
            section, _, key = path.partition(".")
            row.set_default((data.get(section) or {}).get(key) if key else data.get(section))

    def reset(self) -> None:
        """Empty every field: everything inherits the agent's defaults."""
        self._filling = True
        try:
            for row in self.rows.values():
                row.clear()
        finally:
            self._filling = False
        self._recompute()

    @traitlets.observe("value")
    def _fill(self, change: Mapping[str, Any]) -> None:
        if self._filling:
            return
        body = change["new"].to_body()
        self._filling = True
        try:
            for path, row in self.rows.items():
                section, _, key = path.partition(".")
                if key == "extra":
                    documented = {p.split(".", 1)[1] for p in self.rows if p.startswith(section + ".")}
                    row.set({k: v for k, v in (body.get(section) or {}).items() if k not in documented})
                elif key:
                    row.set((body.get(section) or {}).get(key))
                else:
                    row.set(body.get(section))
        finally:
            self._filling = False
        self._recompute()

    def raw(self) -> dict[str, Any]:
        """The overrides as entered (before validation).

        Returns:
            The nested settings typed in, unset fields left out.
        """
        raw: dict[str, Any] = {}
        for key in ("first_message", "system_prompt", "knowledge_base_ids"):
            value = self.rows[key].get()
            if value is not None:
                raw[key] = value
        for section in SECTIONS:
            settings = dict(self.rows[f"{section}.extra"].get())
            for path, row in self.rows.items():
                if path.startswith(section + ".") and not path.endswith(".extra"):
                    value = row.get()
                    if value is not None:
                        settings[path.split(".", 1)[1]] = value
            if settings:
                raw[section] = settings
        return raw

    def _recompute(self) -> None:
        if self._filling:
            return
        raw = self.raw()
        errors = {path: row.parse_error for path, row in self.rows.items() if row.parse_error}
        try:
            overrides = AgentOverrides.model_validate(raw, context=LENIENT_CONTEXT if self.allow_extra else None)
        except pydantic.ValidationError as exc:
            for error in field_errors([dict(e) for e in exc.errors()], AgentOverrides):
                path = self._row_for(error.loc)
                # A key typed into a free JSON box is named inside the message, the box by its label.
                message = f"{error.loc.split('.', 1)[1]}: {error.msg}" if path.endswith(".extra") else error.msg
                errors.setdefault(path, message)
            overrides = None
        for path, row in self.rows.items():
            row.show_error(errors.get(path, ""))
        self.errors = errors
        self.valid = not errors
        if overrides is not None and not errors:
            self._filling = True
            try:
                self.value = overrides
            finally:
                self._filling = False
            body = overrides.to_body()
            shown = json.dumps(body, indent=2) if body else "{}  (every setting inherits the agent's defaults)"
            self.preview.value = f"<pre style='margin:0'>{escape(shown)}</pre>"
        else:
            self.preview.value = error_html("fix the fields marked in red: " + self.error_text())

    def close(self) -> None:
        """Close the form and every widget of it."""
        close_children(self)
        super().close()

    def error_text(self) -> str:
        """Every error on one line.

        Returns:
            The errors, each field named as the form labels it (`tts: other: speed: …`).
        """
        return "; ".join(f"{self.rows[path].label_text}: {message}" for path, message in self.errors.items())

    def _row_for(self, loc: str) -> str:
        """The row that shows an error at `loc` (`knowledge_base_ids[0]` → `knowledge_base_ids`)."""
        base = loc.split("[", 1)[0]
        section, _, key = base.partition(".")
        extra = f"{section}.extra"
        if extra in self.rows and (
            base not in self.rows or (self.rows[base].get() is None and key in self.rows[extra].get())
        ):
            return extra  # the value came from the free JSON box
        return base


__all__ = ["KNOWLEDGE_BASE_ID_PATTERN", "OverridesForm"]
