"""Voilà renders the same widgets (not raw text): the launcher's button is there, and its table of calls follows a
call to its end with no cell re-run (Voilà has none to re-run), and the call card's Join button renders."""

from __future__ import annotations

from typing import Any

from .conftest import ARTIFACTS


def test_voila_renders_the_launcher(voila: str, page: Any) -> None:
    page.goto(voila, timeout=120_000)
    button = page.locator(".widget-button", has_text="Create call")
    button.wait_for(timeout=120_000)
    assert button.is_visible()
    assert page.locator(".widget-button", has_text="Run").count() >= 1  # the experiment panel too
    button.click()
    # The row is drawn "initiated" when the create answers; only the card's poller can move it on to "ended".
    page.locator(".convoi-launcher-calls td", has_text="ended").wait_for(timeout=60_000)
    # The card's Join button is an anywidget: Voilà renders it too, and its "unavailable here" note goes away.
    page.locator(".convoi-join-button").wait_for(timeout=60_000)
    page.get_by_text("Join needs a live notebook front end").wait_for(state="detached", timeout=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila.png"))
    assert "sk_sandbox" not in page.content()
