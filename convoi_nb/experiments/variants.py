"""Named `agent_overrides` variants, and grids of them over dotted setting paths."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

import pydantic

from .._base_client import OverridesLike
from ..errors import ValidationError
from ..models import AgentOverrides, Metadata

_METADATA = pydantic.TypeAdapter(Metadata)


def _validated(overrides: OverridesLike, where: str, field_name: str) -> AgentOverrides:
    if isinstance(overrides, AgentOverrides):
        return overrides
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValidationError.of_field(
            where, field_name, f"must be a dict of settings or an AgentOverrides, got {type(overrides).__name__}"
        )
    try:
        return AgentOverrides.model_validate(dict(overrides or {}))
    except pydantic.ValidationError as exc:
        raise ValidationError.from_pydantic(where, exc, AgentOverrides) from None


def set_path(target: dict[str, Any], path: str, value: Any) -> None:
    """Set a value at a dotted path: `set_path(d, "llm.model", "gpt-4o")` → `d["llm"]["model"] = "gpt-4o"`.

    Args:
        target: The nested dict to change.
        path: The dotted path.
        value: The value to set.

    Raises:
        ValidationError: A part of the path before its last already holds a value that is not a section (the
            path would go through a setting, as `llm.model.name` does when `llm.model` is set).
    """
    *parents, leaf = path.split(".")
    for depth, part in enumerate(parents):
        child = target.setdefault(part, {})
        if not isinstance(child, dict):
            through = ".".join(parents[: depth + 1])
            raise ValidationError.of_field("grid axis", path, f"{through} is a setting ({child!r}), not a section")
        target = child
    target[leaf] = value


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested settings to dotted paths: `{"llm": {"model": "x"}}` → `{"llm.model": "x"}`.

    Args:
        data: The nested settings.
        prefix: Put before every path.

    Returns:
        Dotted path → value (lists stay values).
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


@dataclass(frozen=True)
class Variant:
    """One arm of an experiment: a name, the overrides it sends, and metadata it adds to each call.

    Args:
        name: The variant's name (unique within an experiment).
        overrides: The `agent_overrides` it sends (a dict or `AgentOverrides`).
        metadata: Tags it adds to each call.

    Raises:
        ValidationError: An empty name, or overrides or metadata the API would refuse.
    """

    name: str
    overrides: AgentOverrides = field(default_factory=AgentOverrides)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, name: str, overrides: OverridesLike = None, metadata: Mapping[str, Any] | None = None) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError.of_field("variant", "name", f"must be a non-empty string (got {name!r})")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "overrides", _validated(overrides, f"overrides of variant {name!r}", "overrides"))
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError.of_field(
                f"variant {name!r}", "metadata", f"must be a dict of tags, got {type(metadata).__name__}"
            )
        try:
            checked = _METADATA.validate_python(dict(metadata or {}))
        except pydantic.ValidationError as exc:
            raise ValidationError.from_pydantic(f"metadata of variant {name!r}", exc) from None
        object.__setattr__(self, "metadata", checked)

    @property
    def body(self) -> dict[str, Any]:
        """The `agent_overrides` JSON this variant sends."""
        return self.overrides.to_body()

    @property
    def fingerprint(self) -> str:
        """Identifies what the variant sends; a rename-worthy change alters it."""
        canonical = json.dumps({"overrides": self.body, "metadata": self.metadata}, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def grid(
        cls,
        base: OverridesLike = None,
        axes: Mapping[str, Iterable[Any]] | None = None,
        **more_axes: Iterable[Any],
    ) -> list[Variant]:
        """The cartesian product of `axes` applied on top of `base`.

        Axes are dotted paths into the overrides: `Variant.grid(base, {"llm.model": ["gpt-4o-mini", "gpt-4o"],
        "tts.speed": [1.0, 1.2]})` makes four variants named like `model=gpt-4o, speed=1.2`. Keyword axes
        may use `__` for the dot (`llm__model=[...]`).

        Args:
            base: The overrides every variant starts from.
            axes: Dotted path → the values it takes (more axes may be passed as keywords).

        Returns:
            One variant per combination.

        Raises:
            ValidationError: A `base` or `axes` that is not a dict, no axis, an axis that is not a list of values
                (a string is one value: `["gpt-4o"]`), an axis without values or with two that name a variant alike.
        """
        if axes is not None and not isinstance(axes, Mapping):
            raise ValidationError.of_field(
                "Variant.grid", "axes", f"must be a dict of dotted path → values, got {type(axes).__name__}"
            )
        start = _validated(base, "Variant.grid", "base").to_body()
        all_axes = {**(axes or {}), **{k.replace("__", "."): v for k, v in more_axes.items()}}
        if not all_axes:
            raise ValidationError.of_field(
                "Variant.grid", "axes", "needs at least one axis, e.g. {'llm.model': ['gpt-4o-mini', 'gpt-4o']}"
            )
        values = {_axis_path(path): _axis_values(path, options) for path, options in all_axes.items()}
        labels = _labels(list(values))
        variants = []
        for combo in itertools.product(*values.values()):
            overrides = json.loads(json.dumps(start))
            for path, value in zip(values, combo, strict=False):
                set_path(overrides, path, value)
            name = ", ".join(f"{labels[path]}={value}" for path, value in zip(values, combo, strict=False))
            variants.append(cls(name, overrides))
        return variants


def _labels(paths: list[str]) -> dict[str, str]:
    """The leaf of each path, or the whole path where two leaves would read the same."""
    leaves = [p.rsplit(".", 1)[-1] for p in paths]
    return {p: (leaf if leaves.count(leaf) == 1 else p) for p, leaf in zip(paths, leaves, strict=False)}


def _axis_path(path: object) -> str:
    if not isinstance(path, str) or not path:
        raise ValidationError.of_field(
            "Variant.grid", "axes", f"each axis is a dotted path such as 'llm.model', got {path!r}"
        )
    return path


def _axis_values(path: str, options: object) -> list[Any]:
    """An axis's values, in order: a list of values that each name their variants apart."""
    if isinstance(options, (str, bytes, Mapping, Set)) or not isinstance(options, Iterable):
        raise ValidationError.of_field(
            "Variant.grid",
            path,
            f"the axis takes a list of values (a string is one value: [{options!r}]), got {type(options).__name__}",
        )
    values = list(options)
    if not values:
        raise ValidationError.of_field("Variant.grid", path, "the axis has no values")
    labels = [str(v) for v in values]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValidationError.of_field(
            "Variant.grid", path, f"the axis's values must differ (each names its variants); repeated: {repeated}"
        )
    return values
