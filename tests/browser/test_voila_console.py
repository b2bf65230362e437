"""Voilà with the pinned versions and the package's template, in chromium: the widget tour loads with a clean
console (no "Unsatisfied version" warning from mismatched JupyterLab modules, no error) and every request the page
makes is answered by its own server (nothing fetched from a CDN, nothing failed), before and after a call is made
and its Join button rendered. And the launcher shows a call's controls only once there is a call."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import ARTIFACTS

CALL_CONTROLS = ["Join", "Reveal token", "Show code"]


class Recorder:
    """What the page says in its console and which of its requests fail or leave its server."""

    def __init__(self, page: Any, server: str) -> None:
        self.console: list[str] = []
        self.failed: list[str] = []
        self.outside: list[str] = []
        host = urlsplit(server).netloc
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        page.on("requestfailed", lambda request: self.failed.append(f"{request.url} ({request.failure})"))
        page.on("response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)
        page.on(
            "request",
            lambda r: (
                self.outside.append(r.url)
                if urlsplit(r.url).scheme in ("http", "https") and urlsplit(r.url).netloc != host
                else None
            ),
        )

    def _console(self, message: Any) -> None:
        if message.type in ("warning", "error"):
            self.console.append(f"{message.type}: {message.text}")


def visible_buttons(launcher: Any) -> list[str]:
    return [
        text.strip()
        for text in launcher.locator(".widget-button, .widget-toggle-button, .convoi-join-button")
        .filter(visible=True)
        .all_inner_texts()
    ]


@pytest.mark.timeout(300)
def test_voila_loads_the_tour_with_a_clean_console_and_shows_call_controls_once_a_call_exists(
    voila: str, page: Any
) -> None:
    seen = Recorder(page, voila)
    page.goto(voila, timeout=240_000)
    launcher = page.locator(".convoi-launcher")
    create = launcher.locator(".widget-button", has_text="Create call")
    create.wait_for(timeout=240_000)
    page.wait_for_load_state("networkidle", timeout=120_000)
    before = visible_buttons(launcher)
    assert "Create call" in before  # not vacuous: the launcher's buttons were read
    assert [c for c in CALL_CONTROLS if c in before] == [], f"call controls before any call: {before}"
    assert not launcher.get_by_text("Calls created here").is_visible()

    create.click()
    launcher.locator(".convoi-launcher-calls td", has_text="ended").wait_for(timeout=60_000)
    launcher.locator(".convoi-join-button").wait_for(state="visible", timeout=60_000)  # its front end rendered
    launcher.get_by_text("Calls created here").wait_for(state="visible", timeout=30_000)
    after = visible_buttons(launcher)
    assert [c for c in CALL_CONTROLS if c not in after] == [], f"call controls missing after a call: {after}"
    page.wait_for_load_state("networkidle", timeout=120_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "voila_console.png"))
    assert seen.outside == [], f"requests to another host (a CDN): {seen.outside}"
    assert seen.failed == [], f"failed requests: {seen.failed}"
    assert seen.console == [], "console warnings and errors:\n" + "\n".join(seen.console)
