"""The rate card prices the catalog's names (read from `convoi_nb.models.catalog`, never copied)."""

from __future__ import annotations

import ast

from convoi_nb.models import KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES
from convoi_nb.sandbox import rate_card
from convoi_nb.sandbox.rate_card import LLM_DEFAULT, LLM_MODELS, STT_MODELS, TTS_VOICES, rate_for


def test_every_catalog_name_has_its_own_price() -> None:
    # Pinned by name: the rate card lists prices in the catalog's order, so a reordered catalog fails here.
    assert LLM_MODELS["gpt-4o-mini"] == (0.006, 1.00) and LLM_MODELS["gpt-4o"] == (0.050, 1.12)
    assert LLM_MODELS["llama-3.1-8b"] == (0.002, 0.95)
    assert TTS_VOICES["rachel"] == 0.030 and TTS_VOICES["aura-asteria"] == 0.010
    assert STT_MODELS["nova-2"] == 0.0043 and STT_MODELS["whisper-1"] == 0.0060
    assert list(LLM_MODELS) == list(KNOWN_LLM_MODELS)
    assert list(TTS_VOICES) == list(KNOWN_VOICES) and list(STT_MODELS) == list(KNOWN_STT_MODELS)


def code_strings(source: str) -> set[str]:
    """Every string literal of the module's code; docstrings (whose examples name a model) are documentation."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    }


def test_the_names_are_not_written_in_the_rate_card() -> None:
    strings = code_strings(open(rate_card.__file__, encoding="utf-8").read())
    assert not [name for name in (*KNOWN_LLM_MODELS, *KNOWN_VOICES, *KNOWN_STT_MODELS) if name in strings]
    assert code_strings('"""Doc: "gpt-4o"."""\nx = "gpt-4o"\n') == {"gpt-4o"}  # the check sees a copied name


def test_a_name_outside_the_catalog_gets_the_default_rate() -> None:
    assert rate_for({"llm": {"model": "gpt-5"}}).llm == LLM_DEFAULT[0]
