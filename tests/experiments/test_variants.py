"""Variants and grids."""

from __future__ import annotations

import pytest

from convoi_nb import ValidationError
from convoi_nb.experiments import Variant
from convoi_nb.experiments.variants import flatten, set_path


def test_grid_is_the_cartesian_product_on_top_of_the_base() -> None:
    variants = Variant.grid({"first_message": "Hi"}, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.25]})
    assert [v.name for v in variants] == [
        "model=gpt-4o-mini, speed=1.0",
        "model=gpt-4o-mini, speed=1.25",
        "model=gpt-4o, speed=1.0",
        "model=gpt-4o, speed=1.25",
    ]
    assert variants[3].body == {"first_message": "Hi", "llm": {"model": "gpt-4o"}, "tts": {"speed": 1.25}}


def test_grid_keyword_axes_and_ambiguous_leaves() -> None:
    variants = Variant.grid(llm__model=["gpt-4o"], stt__model=["nova-2", "nova-3"])
    assert [v.name for v in variants] == ["llm.model=gpt-4o, stt.model=nova-2", "llm.model=gpt-4o, stt.model=nova-3"]


def test_grid_validates_every_combination() -> None:
    with pytest.raises(ValidationError, match="llm.temperature"):
        Variant.grid(None, {"llm.temperature": [0.5, 2.5]})
    # A non-finite number would travel as null, silently running the baseline: refused by name.
    with pytest.raises(ValidationError, match=r"speed=inf.*tts\.speed.*finite number"):
        Variant.grid(None, {"tts.speed": [1.0, float("inf")]})
    with pytest.raises(ValueError, match="at least one axis"):
        Variant.grid({"llm": {"model": "gpt-4o"}})
    with pytest.raises(ValueError, match="no values"):
        Variant.grid(None, {"llm.model": []})


def test_bad_variant_names_the_variant_and_field() -> None:
    with pytest.raises(ValidationError, match="variant 'hot'.*llm.temperature"):
        Variant("hot", {"llm": {"temperature": 3}})
    with pytest.raises(ValidationError, match="name"):
        Variant("  ", {})


def test_fingerprint_follows_content_not_key_order() -> None:
    a = Variant("x", {"llm": {"model": "gpt-4o", "temperature": 0.2}})
    b = Variant("x", {"llm": {"temperature": 0.2, "model": "gpt-4o"}})
    c = Variant("x", {"llm": {"model": "gpt-4o", "temperature": 0.3}})
    assert a.fingerprint == b.fingerprint != c.fingerprint
    assert Variant("x", {}, metadata={"k": 1}).fingerprint != Variant("x", {}).fingerprint


def test_paths() -> None:
    data: dict = {}
    set_path(data, "llm.model", "m")
    set_path(data, "llm.temperature", 0.1)
    assert data == {"llm": {"model": "m", "temperature": 0.1}}
    assert flatten({"llm": {"model": "m"}, "kb": ["a"]}) == {"llm.model": "m", "kb": ["a"]}


def test_variant_metadata_is_validated_like_call_metadata() -> None:
    import datetime

    with pytest.raises(ValidationError, match="metadata of variant 'a'.*JSON scalar"):
        Variant("a", metadata={"when": datetime.datetime(2026, 1, 1)})
    with pytest.raises(ValidationError, match="metadata of variant 'b'"):
        Variant("b", metadata={"nested": {"x": 1}})


@pytest.mark.parametrize("axis", ["gpt-4o", b"gpt-4o", 1.2, {"a": 1}, {"a", "b"}, None])
def test_grid_refuses_an_axis_that_is_not_a_list_of_values(axis: object) -> None:
    # A string once made one variant per character ("model=g", "model=p", ...).
    with pytest.raises(ValidationError, match=r"llm\.model: the axis takes a list of values"):
        Variant.grid(None, {"llm.model": axis})


@pytest.mark.parametrize("values", [["a", "a"], ["gpt-4o", "gpt-4o-mini", "gpt-4o"], [1, "1"]])
def test_grid_refuses_values_that_would_name_two_variants_alike(values: list[object]) -> None:
    with pytest.raises(ValidationError, match=r"llm\.model: the axis's values must differ.*repeated"):
        Variant.grid(None, {"llm.model": values})


def test_grid_takes_any_ordered_iterable() -> None:
    assert [v.name for v in Variant.grid(tts__speed=(x / 10 for x in (10, 12)))] == ["speed=1.0", "speed=1.2"]
    assert len(Variant.grid(None, {"llm.model": ("gpt-4o", "gpt-4.1")}, tts__speed=range(1, 3))) == 4


# -- paths and values convoi_nb does not know (issue 25, item 1) ---------------------------------------------------


def test_grid_refuses_a_mistyped_path_naming_it_with_the_closest_setting() -> None:
    # It once made two variants that both sent the baseline, and an experiment compared noise.
    with pytest.raises(ValidationError) as info:
        Variant.grid(None, {"llm.modle": ["a", "b"]})
    assert info.value.errors[0].loc == "axes.llm.modle"
    assert "unknown llm setting 'modle'; did you mean 'model'?" in str(info.value)
    with pytest.raises(ValidationError, match=r"axes\.lm\.model: unknown key 'lm' is not allowed; did you mean 'llm'"):
        Variant.grid(lm__model=["gpt-4o", "gpt-4o-mini"])
    with pytest.raises(ValidationError, match=r"axes\.llm\.model\.name: llm\.model is a setting, not a section"):
        Variant.grid(None, {"llm.model.name": ["x", "y"]})
    with pytest.raises(ValidationError, match="each axis is a dotted path"):
        Variant.grid(None, {"llm..model": ["gpt-4o"]})


def test_grid_refuses_a_catalog_typo_in_a_value() -> None:
    with pytest.raises(
        ValidationError, match=r"variant 'model=gpt4o'.*'gpt4o' is not a known llm model; did you mean 'gpt-4o'"
    ):
        Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt4o"]})


def test_grid_with_allow_extra_takes_provider_settings_and_names() -> None:
    variants = Variant.grid({"llm": {"model": "gpt-5"}}, {"llm.top_k": [20, 40]}, allow_extra=True)
    assert [v.body for v in variants] == [
        {"llm": {"model": "gpt-5", "top_k": 20}},
        {"llm": {"model": "gpt-5", "top_k": 40}},
    ]
    with pytest.raises(ValidationError, match="'gpt-5' is not a known llm model"):
        Variant.grid({"llm": {"model": "gpt-5"}}, {"llm.temperature": [0.2, 0.8]})


@pytest.mark.parametrize(
    ("base", "axes"),
    [
        ({"llm": {"model": "gpt-4o"}}, {"llm.model": ["gpt-4o"]}),
        (None, {"llm.temperature": [None]}),
        ({"tts": {"speed": 1.0}}, {"tts.speed": [1, 1.0]}),
    ],
)
def test_grid_refuses_variants_that_all_send_the_base(base: dict | None, axes: dict) -> None:
    with pytest.raises(ValidationError, match=r"axes: every variant sends the base's overrides"):
        Variant.grid(base, axes)


def test_grid_refuses_two_variants_that_send_the_same() -> None:
    with pytest.raises(ValidationError, match=r"variants 'speed=1' and 'speed=1.0' send the same overrides"):
        Variant.grid(None, {"tts.speed": [1, 1.0, 1.2]})
    # A grid that includes the baseline itself is fine: one variant unchanged, the others not.
    assert [v.body for v in Variant.grid(None, {"llm.temperature": [None, 0.3]})] == [
        {"llm": {}},
        {"llm": {"temperature": 0.3}},
    ]


def test_variant_refuses_unknown_settings_unless_allowed_and_the_experiment_sends_them() -> None:
    from convoi_nb.experiments import Experiment

    extras = {"llm": {"model": "gpt-5", "top_k": 40}, "stt": {"smart_format": True}}
    with pytest.raises(ValidationError, match=r"overrides of variant 'new'.*llm\.top_k: unknown llm setting"):
        Variant("new", extras)
    variant = Variant("new", extras, allow_extra=True)
    assert variant.body == extras
    experiment = Experiment("extras", "agt_0178b26b03ca6c565e0c6549dfd5763e", [Variant("baseline"), variant])
    assert experiment.request(variant, 0).to_body()["agent_overrides"] == extras
