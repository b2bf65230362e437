"""Voilà renders the same widgets (not raw text): the launcher's button is there."""

from __future__ import annotations

from typing import Any

from .conftest import ARTIFACTS


def test_voila_renders_the_launcher(voila: str, page: Any) -> None:
    page.goto(voila, timeout=120_000)
    button = page.locator(".widget-button", has_text="Create call")
    button.wait_for(timeout=120_000)
    assert button.is_visible()
    assert page.locator(".widget-button", has_text="Run").count() >= 1  # the experiment panel too
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila.png"))
    assert "sk_sandbox" not in page.content()
