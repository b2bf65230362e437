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
from ..models.overrides import path_problem

_METADATA = pydantic.TypeAdapter(Metadata)


def _validated(overrides: OverridesLike, where: str, field_name: str, allow_extra: bool) -> AgentOverrides:
    if isinstance(overrides, AgentOverrides):
        return overrides  # already checked, as it was built (with or without allow_extra)
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ValidationError.of_field(
            where, field_name, f"must be a dict of settings or an AgentOverrides, got {type(overrides).__name__}"
        )
    return AgentOverrides.from_dict(overrides or {}, allow_extra=allow_extra, what=where)


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
        allow_extra: Send llm/tts/stt settings convoi_nb does not know, and model or voice names outside its
            catalog, as given (a dict's; an `AgentOverrides` is taken as it was built).

    Raises:
        ValidationError: An empty name, or overrides or metadata the API would refuse; a setting or name
            convoi_nb does not know, with the closest known one, unless `allow_extra=True`.

    Examples:
        >>> from convoi_nb.experiments import Variant
        >>> cool = Variant("cool", {"llm": {"temperature": 0.2}}, metadata={"owner": "ana"})
        >>> cool.body, cool.metadata
        ({'llm': {'temperature': 0.2}}, {'owner': 'ana'})
        >>> Variant("typo", {"llm": {"temprature": 0.2}})
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: ... did you mean 'temperature'? ...
    """

    name: str
    overrides: AgentOverrides = field(default_factory=AgentOverrides)
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        name: str,
        overrides: OverridesLike = None,
        metadata: Mapping[str, Any] | None = None,
        *,
        allow_extra: bool = False,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError.of_field("variant", "name", f"must be a non-empty string (got {name!r})")
        object.__setattr__(self, "name", name)
        sent = _validated(overrides, f"overrides of variant {name!r}", "overrides", allow_extra)
        object.__setattr__(self, "overrides", sent)
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
        *,
        allow_extra: bool = False,
        **more_axes: Iterable[Any],
    ) -> list[Variant]:
        """The cartesian product of `axes` applied on top of `base`.

        Axes are dotted paths into the overrides: `Variant.grid(base, {"llm.model": ["gpt-4o-mini", "gpt-4o"],
        "tts.speed": [1.0, 1.2]})` makes four variants named like `model=gpt-4o, speed=1.2`. Keyword axes
        may use `__` for the dot (`llm__model=[...]`). Each path must name a setting convoi_nb knows (a typo such as
        `llm.modle` is refused with the closest known one), and the grid must send something new: a grid whose
        variants all send the base's overrides, or two variants that send the same, is refused (an experiment
        would spend money comparing noise).

        Args:
            base: The overrides every variant starts from.
            axes: Dotted path → the values it takes (more axes may be passed as keywords).
            allow_extra: Accept paths to llm/tts/stt settings convoi_nb does not know, and model or voice names
                outside its catalog, sent as given.

        Returns:
            One variant per combination.

        Raises:
            ValidationError: A `base` or `axes` that is not a dict, no axis, a path to no known setting, an axis
                that is not a list of values (a string is one value: `["gpt-4o"]`), an axis without values or with
                two that name a variant alike; variants that all send the base's overrides, or two that send the same.

        Examples:
            >>> from convoi_nb.experiments import Variant
            >>> axes = {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]}
            >>> variants = Variant.grid({"tts": {"voice_id": "rachel"}}, axes)
            >>> [variant.name for variant in variants]
            ['model=gpt-4o-mini, speed=1.0', 'model=gpt-4o-mini, speed=1.2', 'model=gpt-4o, speed=1.0',
             'model=gpt-4o, speed=1.2']
            >>> variants[-1].body
            {'llm': {'model': 'gpt-4o'}, 'tts': {'voice_id': 'rachel', 'speed': 1.2}}
            >>> [variant.name for variant in Variant.grid(llm__temperature=[0.2, 0.8])]  # keyword axes: __ for the dot
            ['temperature=0.2', 'temperature=0.8']
        """
        if axes is not None and not isinstance(axes, Mapping):
            raise ValidationError.of_field(
                "Variant.grid", "axes", f"must be a dict of dotted path → values, got {type(axes).__name__}"
            )
        start = _validated(base, "Variant.grid", "base", allow_extra).to_body()
        all_axes = {**(axes or {}), **{k.replace("__", "."): v for k, v in more_axes.items()}}
        if not all_axes:
            raise ValidationError.of_field(
                "Variant.grid", "axes", "needs at least one axis, e.g. {'llm.model': ['gpt-4o-mini', 'gpt-4o']}"
            )
        values = {_axis_path(path, allow_extra): _axis_values(path, options) for path, options in all_axes.items()}
        labels = _labels(list(values))
        variants = []
        for combo in itertools.product(*values.values()):
            overrides = json.loads(json.dumps(start))
            for path, value in zip(values, combo, strict=False):
                set_path(overrides, path, value)
            name = ", ".join(f"{labels[path]}={value}" for path, value in zip(values, combo, strict=False))
            variants.append(cls(name, overrides, allow_extra=allow_extra))
        _check_distinct(variants, start)
        return variants


def _check_distinct(variants: list[Variant], base: Mapping[str, Any]) -> None:
    """Refuse a grid that compares nothing: every variant the base, or two variants that send the same."""
    sent = {v.name: _effect(v.body) for v in variants}
    if all(effect == _effect(base) for effect in sent.values()):
        raise ValidationError.of_field(
            "Variant.grid",
            "axes",
            f"every variant sends the base's overrides ({json.dumps(dict(base))}): the axes change nothing "
            "(None leaves a setting unset; a value equal to the base's changes nothing)",
        )
    seen: dict[str, str] = {}
    for name, effect in sent.items():
        twin = seen.setdefault(effect, name)
        if twin != name:
            raise ValidationError.of_field(
                "Variant.grid",
                "axes",
                f"variants {twin!r} and {name!r} send the same overrides ({effect}); give each axis values that "
                "differ once sent (1 and 1.0 are the same number)",
            )


def _effect(body: Mapping[str, Any]) -> str:
    """What overrides change, canonically: an empty section (`"llm": {}`) changes no setting."""
    return json.dumps({k: v for k, v in body.items() if v != {}}, sort_keys=True)


def _labels(paths: list[str]) -> dict[str, str]:
    """The leaf of each path, or the whole path where two leaves would read the same."""
    leaves = [p.rsplit(".", 1)[-1] for p in paths]
    return {p: (leaf if leaves.count(leaf) == 1 else p) for p, leaf in zip(paths, leaves, strict=False)}


def _axis_path(path: object, allow_extra: bool) -> str:
    if not isinstance(path, str) or not path or "" in path.split("."):
        raise ValidationError.of_field(
            "Variant.grid", "axes", f"each axis is a dotted path such as 'llm.model', got {path!r}"
        )
    problem = path_problem(path.split("."), allow_extra=allow_extra)
    if problem:
        raise ValidationError.of_field("Variant.grid", f"axes.{path}", problem)
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
