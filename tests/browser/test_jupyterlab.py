"""JupyterLab in a real browser: run the widget tour, fill the launcher, create a call, see it end."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from jupyter_client import BlockingKernelClient
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


MODEL_NOT_FOUND = "Error displaying widget: model not found"


def start_kernel(server: str, name: str, runtime: Path) -> str:
    """Start the notebook's session through the REST API and wait until its kernel answers (its id is returned).

    Left to start the kernel itself while the page loads, JupyterLab on a loaded machine could open the kernel's
    websocket before the server was ready for it (a 500 in the server's log); the front end then lost the kernel and
    asked "Select Kernel" in a dialog over the menus, or started a second kernel in place of the first and lost the
    widget models the cells created ("model not found")."""
    started = httpx.post(
        f"{server}/api/sessions",
        timeout=60,
        json={"path": name, "name": name, "type": "notebook", "kernel": {"name": "python3"}},
    )
    assert started.status_code == 201, started.text
    kernel_id = started.json()["kernel"]["id"]
    deadline = time.monotonic() + 120
    while True:
        kernel = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
        kernel.load_connection_file()
        kernel.start_channels()
        try:
            kernel.wait_for_ready(timeout=max(1.0, deadline - time.monotonic()))
            return kernel_id
        except RuntimeError:
            # On a loaded machine jupyter_client can take a heartbeat that has not started beating yet for a dead
            # kernel ("Kernel died before replying to kernel_info"): ask again while the server still runs it.
            alive = httpx.get(f"{server}/api/kernels/{kernel_id}", timeout=30).status_code == 200
            if not alive or time.monotonic() > deadline:
                raise
        finally:
            kernel.stop_channels()


def kernels(server: str, name: str) -> tuple[str | None, list[str]]:
    """The kernel of the notebook's session, and every running kernel."""
    sessions = httpx.get(f"{server}/api/sessions", timeout=30).json()
    running = [k["id"] for k in httpx.get(f"{server}/api/kernels", timeout=30).json()]
    return next((s["kernel"]["id"] for s in sessions if s["path"] == name), None), running


def open_notebook(page: Any, server: str, name: str, kernel_id: str, attempts: int = 3) -> None:
    """Open the notebook and wait until the page is idle on the kernel started for it. Even with a ready session to
    join, JupyterLab's start-up on a loaded machine now and then starts a kernel of its own in its place; its widget
    manager then misses the models the cells create. Such a page is opened afresh (before any cell has run) on the
    kernel it left running, at most `attempts` times in all."""
    for _ in range(attempts):
        page.goto(f"{server}/lab/tree/{name}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
        page.wait_for_timeout(1_000)  # a replacement starts within a fraction of a second of connecting
        current, running = kernels(server, name)
        if (current, running) == (kernel_id, [kernel_id]):
            return
        print(f"JupyterLab replaced the notebook's kernel {kernel_id} by {current} (running: {running}); reopening")
        deadline = time.monotonic() + 60
        while len(kernels(server, name)[1]) > 1:  # the replaced kernel is on its way out
            assert time.monotonic() < deadline, "the replaced kernel did not stop"
            time.sleep(0.25)
        assert current is not None, "the notebook's session has no kernel"
        kernel_id = current
        page.once("dialog", lambda dialog: dialog.accept())  # "leave the page?" if it marked the notebook changed
    raise AssertionError(f"JupyterLab replaced the notebook's kernel on each of {attempts} openings")


def run_notebook(page: Any, server: str, name: str, runtime: Path, shown: Any, what: str) -> str:
    """Start `name`'s kernel, open the notebook, run all its cells and wait until `shown` (a locator) is on the page;
    returns the kernel's id. A cold kernel (first pandas/matplotlib import) is slow; a widget output the front end
    cannot show ends the wait at once, not after two minutes."""
    kernel_id = start_kernel(server, name, runtime)
    open_notebook(page, server, name, kernel_id)
    run_all_cells(page)
    shown.or_(page.get_by_text(MODEL_NOT_FOUND)).first.wait_for(state="attached", timeout=120_000)
    assert shown.count(), f"the page shows {MODEL_NOT_FOUND!r} instead of {what}"
    return kernel_id


@pytest.mark.timeout(300)  # a cold kernel on a loaded 2-core machine takes its time; the waits below are bounded
def test_launcher_creates_a_call_that_ends_with_a_cost(jupyterlab: str, page: Any, tmp_path: Path) -> None:
    button = page.locator(".widget-button", has_text="Create call")
    run_notebook(page, jupyterlab, "04_widgets.ipynb", tmp_path / "runtime", button, "the launcher")
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
