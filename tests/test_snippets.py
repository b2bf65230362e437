"""The Python snippet of a request re-creates it: `allow_extra=True` when it sends what convoi_nb does not check."""

from __future__ import annotations

from typing import Any

import pytest

from convoi_nb.snippets import python_snippet

AGENT = "agt_b88d642dd68747f28305c428b2091234"


@pytest.mark.parametrize(
    ("overrides", "needs"),
    [
        ({"llm": {"model": "gpt-4o", "temperature": 0.3}}, False),
        ({"llm": {"top_k": 40}}, True),
        ({"tts": {"voice_id": "my-clone"}}, True),
    ],
)
def test_the_snippet_opts_in_only_when_the_request_did(overrides: dict[str, Any], needs: bool) -> None:
    code = python_snippet({"type": "web", "agent_id": AGENT, "agent_overrides": overrides})
    compile(code, "<snippet>", "exec")
    assert ("    allow_extra=True," in code.splitlines()) is needs
