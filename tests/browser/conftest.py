"""Real-browser fixtures: Debian's chromium driven by Playwright, JupyterLab and Voilà on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
# Flags this machine needs: no sandbox as root, and no background traffic to the (unreachable) internet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def browser() -> Iterator[object]:
    # Function scope: Playwright's sync API keeps an event loop running on the main thread while it lives,
    # which would break every later test that runs its own loop.
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


def _failed(request: pytest.FixtureRequest) -> bool:
    return request.node.stash.get(FAILED, False)


@pytest.fixture()
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    opened = context.new_page()
    yield opened
    if _failed(request):  # what the browser showed, for whoever reads the CI log
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}-failure.png"
        opened.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


def _stop(process: subprocess.Popen, log: Path, request: pytest.FixtureRequest) -> None:
    process.terminate()
    process.wait(timeout=20)
    if _failed(request):
        print(f"--- last lines of {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")


def _isolated_env(tmp: Path) -> dict[str, str]:
    """Jupyter settings of its own (no news pop-up), and an in-memory sandbox for the kernel."""
    config = tmp / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Every cell attached to the DOM: the default ("contentVisibility") leaves offscreen cells without a layout box,
    # so a widget scrolled away by "Run All" would never count as visible.
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    return {**os.environ, "JUPYTER_CONFIG_DIR": str(config), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"), "CONVOI_SANDBOX_DB": ":memory:",
            "CONVOI_API_KEY": "", "CONVOI_BASE_URL": ""}


def _serve(command: list[str], url: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("wb")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[2]} exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    process.terminate()
    raise RuntimeError(f"{command[2]} did not start: {log.read_text()[-2000:]}")


@pytest.fixture()
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "04_widgets.ipynb", folder)
    return folder


@pytest.fixture()
def jupyterlab(notebook_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    _require_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _serve([sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
                      "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
                      "--allow-root",  # CI runs as root
                      f"--ServerApp.root_dir={notebook_dir}"], f"{url}/api/status", _isolated_env(tmp_path),
                     tmp_path / "jupyterlab.log")
    yield url
    _stop(process, tmp_path / "jupyterlab.log", request)


@pytest.fixture()
def voila(notebook_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    _require_chromium()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = _serve([sys.executable, "-m", "voila", str(notebook_dir / "04_widgets.ipynb"), "--no-browser",
                      f"--port={port}", "--Voila.ip=127.0.0.1"], url, _isolated_env(tmp_path), tmp_path / "voila.log")
    yield url
    _stop(process, tmp_path / "voila.log", request)
