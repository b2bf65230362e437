"""`SequentialFields`: the ExperimentPanel's settings of a run until decided (metric, most calls, tolerance)."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..errors import ValidationError

FITS = {"description_width": "initial"}  # labels in full: the default width cuts them


def parse_tolerance(text: str) -> float | None:
    """Read the Tolerance field: empty for none, else a share such as 0.05 or 5%.

    Args:
        text: What was typed.

    Returns:
        None, or the share (strictly between 0 and 1).

    Raises:
        ValidationError: Not a share strictly between 0 and 1.
    """
    text = text.strip()
    if not text:
        return None
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        share = float("nan")
    if not 0 < share < 1:  # NaN fails this too
        raise ValidationError.of_field(
            "panel", "Tolerance", f"must be a share between 0 and 1, such as 0.05 or 5% (empty: none), got {text!r}"
        )
    return share


class SequentialFields(w.HBox):
    """What to decide on, the most calls per variant, and the equivalence tolerance (keywords go to `HBox`)."""

    def __init__(self, **kwargs: Any) -> None:
        self.metric = w.Dropdown(
            options=[("cost", "cost"), ("call length", "duration")],
            value="cost",
            description="Decide on",
            style=FITS,
            layout=w.Layout(width="15em"),
        )
        self.max_replicates = w.BoundedIntText(
            value=120,
            min=5,  # no variant is dropped before 5 calls
            max=1000,
            description="Max per variant",
            style=FITS,
            layout=w.Layout(width="14em"),
            tooltip="the most calls per variant: with no winner by then, the run stops and names the leader",
        )
        self.tolerance = w.Text(
            value="",
            placeholder="none",
            description="Tolerance",
            style=FITS,
            layout=w.Layout(width="13em"),
            tooltip="stop as equivalent once every variant left is within ± this share of the leader (e.g. 5%)",
        )
        super().__init__([self.metric, self.max_replicates, self.tolerance], **kwargs)

    def settings(self) -> dict[str, Any]:
        """The arguments of `run(until="decided", ...)` these fields give.

        Returns:
            `metric`, `max_replicates` and `tolerance`.
        """
        return {
            "metric": self.metric.value,
            "max_replicates": self.max_replicates.value,
            "tolerance": parse_tolerance(self.tolerance.value),
        }
