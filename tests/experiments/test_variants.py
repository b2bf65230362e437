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
    variants = Variant.grid(llm__model=["a"], stt__model=["b", "c"])
    assert [v.name for v in variants] == ["llm.model=a, stt.model=b", "llm.model=a, stt.model=c"]


def test_grid_validates_every_combination() -> None:
    with pytest.raises(ValidationError, match="llm.temperature"):
        Variant.grid(None, {"llm.temperature": [0.5, 2.5]})
    # A non-finite number would travel as null, silently running the baseline: refused by name.
    with pytest.raises(ValidationError, match=r"speed=inf.*tts\.speed.*finite number"):
        Variant.grid(None, {"tts.speed": [1.0, float("inf")]})
    with pytest.raises(ValueError, match="at least one axis"):
        Variant.grid({"llm": {"model": "x"}})
    with pytest.raises(ValueError, match="no values"):
        Variant.grid(None, {"llm.model": []})


def test_bad_variant_names_the_variant_and_field() -> None:
    with pytest.raises(ValidationError, match="variant 'hot'.*llm.temperature"):
        Variant("hot", {"llm": {"temperature": 3}})
    with pytest.raises(ValidationError, match="name"):
        Variant("  ", {})


def test_fingerprint_follows_content_not_key_order() -> None:
    a = Variant("x", {"llm": {"model": "m", "temperature": 0.2}})
    b = Variant("x", {"llm": {"temperature": 0.2, "model": "m"}})
    c = Variant("x", {"llm": {"model": "m", "temperature": 0.3}})
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
    assert len(Variant.grid(None, {"llm.model": ("a", "b")}, tts__speed=range(1, 3))) == 4
