"""VariantBuilder: add, duplicate, remove, rename, grid; `.value` is list[Variant]."""

from __future__ import annotations

from html import unescape

from convoi_nb.experiments import Variant
from convoi_nb.widgets import VariantBuilder

from .conftest import Opened


def test_add_duplicate_rename_remove(opened: Opened) -> None:
    builder = opened.widget(VariantBuilder, {"llm": {"model": "gpt-4o-mini"}})
    assert [v.name for v in builder.value] == ["baseline"]
    builder.add("big")
    builder.entries[1].form.rows["llm.model"].control.value = "gpt-4o"
    builder.entries[1].duplicate_button.click()
    assert [(v.name, v.body) for v in builder.value] == [
        ("baseline", {}),
        ("big", {"llm": {"model": "gpt-4o"}}),
        ("big copy", {"llm": {"model": "gpt-4o"}}),
    ]
    builder.rename(2, "big")
    assert not builder.valid and builder.value == [] and "unique" in builder.error.value
    builder.rename(2, "big warm")
    builder.entries[2].form.rows["llm.temperature"].set(1.2)
    assert builder.valid and builder.value[2].body == {"llm": {"model": "gpt-4o", "temperature": 1.2}}
    builder.entries[0].remove_button.click()
    assert [v.name for v in builder.value] == ["big", "big warm"]
    assert builder.accordion.get_title(1) == "big warm"


def test_invalid_form_invalidates_the_builder(opened: Opened) -> None:
    builder = opened.widget(VariantBuilder, variants=[Variant("a"), Variant("b")])
    builder.entries[1].form.rows["knowledge_base_ids"].control.value = ["kb_x"]
    assert not builder.valid and "b" in builder.error.value and builder.accordion.get_title(1).endswith("⚠")


def test_grid_mode_generates_the_cartesian_product_on_the_first_variant(opened: Opened) -> None:
    builder = opened.widget(VariantBuilder, variants=[Variant("base", {"first_message": "Hi"})])
    builder.axes["llm.model"].value = "gpt-4o-mini, gpt-4o"
    builder.axes["tts.speed"].value = "1.0, 1.25"
    builder.grid_button.click()
    assert [v.name for v in builder.value] == [
        "model=gpt-4o-mini, speed=1.0",
        "model=gpt-4o-mini, speed=1.25",
        "model=gpt-4o, speed=1.0",
        "model=gpt-4o, speed=1.25",
    ]
    assert builder.value[3].body == {"first_message": "Hi", "llm": {"model": "gpt-4o"}, "tts": {"speed": 1.25}}
    builder.axes["tts.speed"].value = "fast"
    assert builder.generate_grid() == [] and "number" in builder.grid_error.value
    assert len(builder.value) == 4  # a failed generation leaves the variants alone


def test_grid_refuses_what_would_compare_nothing_and_offers_the_catalog(opened: Opened) -> None:
    builder = opened.widget(VariantBuilder, variants=[Variant("base", {"llm": {"model": "gpt-4o"}})])
    assert "gpt-4o-mini" in builder.axes["llm.model"].placeholder
    builder.axes["llm.model"].value = "gpt-4o"
    assert builder.generate_grid() == [] and "every variant sends the base" in builder.grid_error.value
    builder.axes["llm.model"].value = "gpt-4o-mini, gpt4o"
    assert builder.generate_grid() == [] and "did you mean 'gpt-4o'" in unescape(builder.grid_error.value)
    assert [v.name for v in builder.value] == ["base"]


def test_allow_extra_reaches_every_form_and_the_grid(opened: Opened) -> None:
    builder = opened.widget(VariantBuilder, variants=[Variant("base", {"llm": {"top_k": 40}}, allow_extra=True)])
    assert not builder.valid  # the builder checks by default: the base's provider setting needs the opt-in
    builder.allow_extra = True
    assert builder.valid and builder.entries[0].form.allow_extra
    builder.axes["llm.model"].value = "gpt-5, gpt-4o"
    variants = builder.generate_grid()
    assert [v.body for v in variants] == [
        {"llm": {"top_k": 40, "model": "gpt-5"}},
        {"llm": {"top_k": 40, "model": "gpt-4o"}},
    ]
    assert builder.valid and all(e.form.allow_extra for e in builder.entries)
