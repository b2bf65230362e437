"""JupyterLab in a real browser: run the widget tour, fill the launcher, create a call, see it end."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .conftest import ARTIFACTS


def run_all_cells(page: Any, attempts: int = 4) -> None:
    """Run > Run All Cells, again if no cell started: on a loaded machine the first request can reach the page
    before its kernel connection is up, and JupyterLab then drops it without a word."""
    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]"))
    for _ in range(attempts):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_text("Run All Cells", exact=True).click()
        try:
            started.first.wait_for(state="attached", timeout=20_000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"no cell started after {attempts} tries of Run All Cells")


@pytest.mark.timeout(300)  # a cold kernel on a loaded 2-core machine takes its time; the waits below are bounded
def test_launcher_creates_a_call_that_ends_with_a_cost(jupyterlab: str, page: Any) -> None:
    page.goto(f"{jupyterlab}/lab/tree/04_widgets.ipynb")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    run_all_cells(page)
    button = page.locator(".widget-button", has_text="Create call")
    button.wait_for(state="attached", timeout=120_000)  # a cold kernel (first pandas/matplotlib import) is slow
    button.scroll_into_view_if_needed()
    name = page.locator("input[placeholder='display name in LiveKit (optional)']")
    name.fill("Browser Test")
    name.press("Tab")
    button.scroll_into_view_if_needed()
    button.click()
    status = page.locator(".convoi-status")
    status.filter(has_text="ended").wait_for(timeout=60_000)  # the card refreshed on its own until the end
    cost = page.locator(".convoi-cost code").inner_text()
    amount = float(re.match(r"([\d.]+) USD", cost).group(1))
    assert amount > 0
    assert "(masked)" in page.locator(".convoi-token code").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    status.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "jupyterlab_call_card.png"), full_page=False)
    assert "sk_sandbox" not in page.content()
