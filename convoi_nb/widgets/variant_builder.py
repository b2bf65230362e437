"""`VariantBuilder`: named override variants, edited one form each, or generated as a grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
import traitlets

from ..errors import ValidationError
from ..experiments import Variant
from ..models import KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES
from ._closing import close_children, close_tree
from ._fields import error_html
from .overrides_form import Defaults, OverridesForm

GRID_AXES = (
    "llm.model",
    "llm.temperature",
    "tts.voice_id",
    "tts.speed",
    "stt.language",
    "stt.model",
    "first_message",
    "system_prompt",
)
NUMERIC_AXES = {"llm.temperature", "tts.speed"}
# The catalog's names, offered in the placeholder of the axes that take them.
CATALOG_AXES = {"llm.model": KNOWN_LLM_MODELS, "tts.voice_id": KNOWN_VOICES, "stt.model": KNOWN_STT_MODELS}


def _axis_placeholder(path: str) -> str:
    if path in NUMERIC_AXES:
        return "comma-separated values, e.g. 0.3, 0.9"
    if path in CATALOG_AXES:
        return "e.g. " + ", ".join(CATALOG_AXES[path][:3])
    return "comma-separated values, e.g. a, b"


class _Entry:
    def __init__(self, builder: VariantBuilder, name: str, form: OverridesForm) -> None:
        self.name = w.Text(value=name, description="Name", layout=w.Layout(width="24em"))
        self.form = form
        self.duplicate_button = w.Button(description="Duplicate", icon="copy")
        self.remove_button = w.Button(description="Remove", icon="trash")
        self.box = w.VBox([w.HBox([self.name, self.duplicate_button, self.remove_button]), form])
        self.duplicate_button.on_click(lambda _: builder.duplicate(builder.entries.index(self)))
        self.remove_button.on_click(lambda _: builder.remove(builder.entries.index(self)))
        self.name.observe(lambda _: builder._sync(), names="value")
        form.observe(lambda _: builder._sync(), names=["value", "valid"])


class VariantBuilder(w.VBox):
    """Named override variants: `.value` is the `list[Variant]`; `.valid` is False while a name or a form is invalid.

    Args:
        defaults: The agent (or its settings) the forms show as what empty fields inherit.
        variants: The variants to start with (default: one "baseline").
        allow_extra: Let every form, and the grid, send llm/tts/stt settings and model or voice names convoi_nb does
            not know (`.allow_extra` changes it later; each form's checkbox changes that form's).

    Examples:
        >>> from convoi_nb.experiments import Variant
        >>> from convoi_nb.widgets import VariantBuilder
        >>> builder = VariantBuilder(variants=Variant.grid(axes={"tts.speed": [1.0, 1.2]}))
        >>> [variant.name for variant in builder.value]  # what an Experiment takes
        ['speed=1.0', 'speed=1.2']
    """

    value: traitlets.List[Variant] = traitlets.List()
    valid = traitlets.Bool(True)
    allow_extra = traitlets.Bool(False)

    def __init__(
        self,
        defaults: Defaults = None,
        variants: Sequence[Variant] | None = None,
        allow_extra: bool = False,
        **kwargs: Any,
    ) -> None:
        self._defaults = defaults
        self.entries: list[_Entry] = []
        self.accordion = w.Accordion()
        self.add_button = w.Button(description="Add variant", icon="plus")
        self.add_button.on_click(lambda _: self.add())
        self.error = w.HTML()
        self.axes = {
            path: w.Text(placeholder=_axis_placeholder(path), layout=w.Layout(width="28em")) for path in GRID_AXES
        }
        self.grid_button = w.Button(description="Generate grid", icon="th")
        self.grid_button.on_click(lambda _: self.generate_grid())
        self.grid_error = w.HTML()
        grid = w.VBox(
            [
                w.HTML(
                    "Values per axis; every combination becomes a variant, on top of the first variant's "
                    "overrides. Leave an axis empty to skip it."
                ),
                *(w.HBox([w.HTML(f"<code>{p}</code>", layout=w.Layout(width="9em")), t]) for p, t in self.axes.items()),
                w.HBox([self.grid_button, self.grid_error]),
            ]
        )
        self.mode = w.Tab(children=[w.VBox([self.accordion, w.HBox([self.add_button, self.error])]), grid])
        self.mode.set_title(0, "One by one")  # not "Variants": the panel's heading right above says that
        self.mode.set_title(1, "Grid")
        super().__init__([self.mode], **kwargs)
        self.allow_extra = allow_extra
        self.observe(self._spread_allow_extra, names="allow_extra")
        for variant in variants or [Variant("baseline")]:
            self.add(variant.name, variant)

    def set_defaults(self, defaults: Defaults) -> None:
        """Show another agent's settings as what empty fields inherit.

        Args:
            defaults: The agent, or its settings.
        """
        self._defaults = defaults
        for entry in self.entries:
            entry.form.set_defaults(defaults)

    def add(self, name: str | None = None, variant: Variant | None = None, *, allow_extra: bool | None = None) -> None:
        """Add a variant.

        Args:
            name: Its name (default: a fresh "variant N").
            variant: The overrides to start from.
            allow_extra: Whether its form sends what convoi_nb does not know (default: the builder's `allow_extra`).
        """
        lenient = self.allow_extra if allow_extra is None else allow_extra
        form = OverridesForm(self._defaults, value=variant.overrides if variant else None, allow_extra=lenient)
        self.entries.append(_Entry(self, name or self._fresh_name("variant"), form))
        self._layout()

    def duplicate(self, index: int) -> None:
        """Copy a variant, right after it.

        Args:
            index: The variant's position.
        """
        source = self.entries[index]
        form = OverridesForm(self._defaults, value=source.form.value, allow_extra=source.form.allow_extra)
        self.entries.insert(index + 1, _Entry(self, self._fresh_name(source.name.value + " copy"), form))
        self._layout()

    def remove(self, index: int) -> None:
        """Remove a variant.

        Args:
            index: The variant's position.
        """
        entry = self.entries.pop(index)
        self._layout()
        close_tree(entry.box)  # its name, buttons and whole form: a Box's close() alone leaves them open

    def rename(self, index: int, name: str) -> None:
        """Rename a variant.

        Args:
            index: The variant's position.
            name: The new name.
        """
        self.entries[index].name.value = name

    def generate_grid(self) -> list[Variant]:
        """Replace the variants with the grid of the axes filled in (base: the first variant's overrides).

        Returns:
            The variants made (none if an axis is wrong; the builder says why).
        """
        axes: dict[str, list[Any]] = {}
        for path, text in self.axes.items():
            values = [v.strip() for v in text.value.split(",") if v.strip()]
            if values:
                try:
                    axes[path] = [float(v) for v in values] if path in NUMERIC_AXES else values
                except ValueError:
                    self.grid_error.value = error_html(f"{path}: every value must be a number")
                    return []
        if not axes:
            self.grid_error.value = error_html("fill in at least one axis")
            return []
        first = self.entries[0].form if self.entries else None
        lenient = self.allow_extra or bool(first and first.allow_extra)  # the base's extras were allowed there
        try:
            variants = Variant.grid(first.value if first else None, axes, allow_extra=lenient)
        except (ValidationError, ValueError) as exc:
            self.grid_error.value = error_html(str(exc))
            return []
        replaced, self.entries = self.entries, []
        for variant in variants:
            self.add(variant.name, variant, allow_extra=lenient)
        for entry in replaced:  # detached by the first add(): closed whole, forms included
            close_tree(entry.box)
        self.grid_error.value = f"{len(variants)} variants generated"
        self.mode.selected_index = 0
        return variants

    def _spread_allow_extra(self, change: Mapping[str, Any]) -> None:
        for entry in self.entries:
            entry.form.allow_extra = change["new"]

    def close(self) -> None:
        """Close the builder and every widget of it (each variant's form included)."""
        close_children(self)
        super().close()

    def _fresh_name(self, stem: str) -> str:
        taken = {e.name.value for e in self.entries}
        if stem not in taken:
            return stem
        return next(f"{stem} {i}" for i in range(2, 10_000) if f"{stem} {i}" not in taken)

    def _layout(self) -> None:
        self.accordion.children = [e.box for e in self.entries]
        self._sync()

    def _sync(self) -> None:
        names = [e.name.value.strip() for e in self.entries]
        problems = []
        if not self.entries:
            problems.append("add at least one variant")
        if any(not n for n in names):
            problems.append("every variant needs a name")
        repeated = sorted({n for n in names if n and names.count(n) > 1})
        if repeated:
            problems.append(f"names must be unique: {', '.join(repeated)}")
        invalid = [n for n, e in zip(names, self.entries, strict=False) if not e.form.valid]
        if invalid:
            problems.append(f"fix the overrides of: {', '.join(invalid)}")
        for index, (entry, name) in enumerate(zip(self.entries, names, strict=False)):
            mark = "" if entry.form.valid else " ⚠"
            self.accordion.set_title(index, f"{name or '(unnamed)'}{mark}")
        self.error.value = error_html("; ".join(problems))
        self.valid = not problems
        self.value = [] if problems else [Variant(n, e.form.value) for n, e in zip(names, self.entries, strict=False)]


__all__ = ["VariantBuilder"]
