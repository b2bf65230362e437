"""JupyterLab in a real browser: run the widget tour, fill the launcher, create a call, see it end."""

from __future__ import annotations

import re
from typing import Any

from .conftest import ARTIFACTS


def test_launcher_creates_a_call_that_ends_with_a_cost(jupyterlab: str, page: Any) -> None:
    page.goto(f"{jupyterlab}/lab/tree/04_widgets.ipynb")
    page.wait_for_selector(".jp-Notebook", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_text("Run All Cells", exact=True).click()
    button = page.locator(".widget-button", has_text="Create call")
    button.wait_for(timeout=60_000)
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
