"""Real-browser fixtures: Debian's chromium driven by Playwright, JupyterLab and Voilà on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
# Flags this machine needs: no sandbox as root, and no background traffic to the (unreachable) internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_chromium() -> None:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run installs it with apt")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")


@contextlib.contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium through Playwright, closed afterwards (fails in CI, skips elsewhere, when it is missing)."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def browser() -> Iterator[object]:
    # Function scope: Playwright's sync API keeps an event loop running on the main thread while it lives,
    # which would break every later test that runs its own loop.
    with launched_chromium() as launched:
        yield launched


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
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]  # a Playwright Browser
    opened = context.new_page()
    yield opened
    if _failed(request):  # what the browser showed, for whoever reads the CI log
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}-failure.png"
        opened.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()


def _stop(process: subprocess.Popen, log: Path, request: pytest.FixtureRequest) -> None:
    _kill(process)
    if _failed(request):
        print(f"--- last lines of {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")


def _isolated_env(tmp: Path) -> dict[str, str]:
    """Jupyter settings of its own (no news pop-up), and an in-memory sandbox for the kernel."""
    config = tmp / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    # Every cell attached to the DOM: the default ("contentVisibility") leaves offscreen cells without a layout box,
    # so a widget scrolled away by "Run All" would never count as visible.
    tracker = tmp / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    return {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp / "settings"),
        "JUPYTER_RUNTIME_DIR": str(tmp / "runtime"),  # the kernels' connection files, for tests to reach them
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "workspaces"),
        "CONVOI_SANDBOX_DB": ":memory:",
        # Seed 0: the first calls of a fresh sandbox all end (their stories follow seed and arrival number),
        # so a browser test that waits for "ended" does not depend on the developer's environment or on luck.
        "CONVOI_SANDBOX_SEED": "0",
        "CONVOI_API_KEY": "",
        "CONVOI_BASE_URL": "",
    }


def listening_ports(pid: int) -> set[int]:
    """The TCP ports process `pid` listens on (Linux: its socket inodes looked up in /proc/<pid>/net/tcp)."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
        table = Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]
    except (FileNotFoundError, ProcessLookupError):  # the process is gone
        return set()
    ports = set()
    for row in table:
        fields = row.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


# What Jupyter Server and Voilà log when they cannot bind the port.
PORT_TAKEN = re.compile(r"already in use|no available port could be found|port \d+ is not available")


class PortTaken(RuntimeError):
    pass


def _wait_until_serving(process: subprocess.Popen, ready_path: str, log: Path, offset: int, name: str) -> str:
    """The URL of `process` once it listens on one loopback port and answers `ready_path` there."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_bytes()[offset:].decode(errors="replace")
            raise (PortTaken if PORT_TAKEN.search(output) else RuntimeError)(f"{name} exited: {output[-2000:]}")
        ports = listening_ports(process.pid)
        if len(ports) > 1:
            raise RuntimeError(f"{name} listens on several ports {sorted(ports)}: which one is the web server?")
        if ports:
            url = f"http://127.0.0.1:{ports.pop()}"
            try:
                if httpx.get(url + ready_path, timeout=5).status_code < 500:
                    return url
            except httpx.TransportError:
                pass
        time.sleep(0.25)
    raise RuntimeError(f"{name} did not start in 90 s: {log.read_bytes()[offset:].decode(errors='replace')[-2000:]}")


def serve(
    name: str, command: list[str], ready_path: str, env: dict[str, str], log: Path, attempts: int = 3
) -> tuple[subprocess.Popen, str]:
    """Start a server told to listen on port 0, so that it binds a free port itself (no port picked here, released,
    and then taken by someone else), and return it with its URL, read from the port the process really listens on.

    Jupyter Server turns port 0 into a number, releases it and binds that number again, so it can still lose its
    port in between; it then exits saying so, and is started again (at most `attempts` times)."""
    for _ in range(attempts):
        offset = log.stat().st_size if log.exists() else 0
        with log.open("ab") as handle:
            process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
        try:
            return process, _wait_until_serving(process, ready_path, log, offset, name)
        except PortTaken:
            continue
        except BaseException:
            _kill(process)
            raise
    raise RuntimeError(f"{name} could not bind a port in {attempts} starts: see {log}")


def _kill(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


@pytest.fixture()
def notebook_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(ROOT / "notebooks" / "04_widgets.ipynb", folder)
    return folder


@pytest.fixture()
def jupyterlab(notebook_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    _require_chromium()
    log = tmp_path / "jupyterlab.log"
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        "--port=0",
        "--ServerApp.port_retries=0",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        "--allow-root",  # CI runs as root
        f"--ServerApp.root_dir={notebook_dir}",
    ]
    process, url = serve("jupyterlab", command, "/api/status", _isolated_env(tmp_path), log)
    yield url
    _stop(process, log, request)


def start_voila(notebook: Path, tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    """Voilà serving `notebook` on a port of its own: the process, its URL and its log."""
    _require_chromium()
    log = tmp_path / "voila.log"
    # The page's request runs the notebook. Voilà's executor (nbclient) waits only 4 s, by default, for a cell's
    # output after the kernel says the cell is done, then drops it with a warning ("Timeout waiting for IOPub
    # output"): on a loaded machine the launcher's widget could be lost that way. Wait as long as the page does.
    # The package's way to serve a dashboard: Voilà with its CDN-free template (convoi_nb.widgets.dashboard).
    command = [
        sys.executable,
        "-m",
        "convoi_nb.widgets.dashboard",
        str(notebook),
        "--no-browser",
        "--port=0",
        "--Voila.port_retries=0",
        "--Voila.ip=127.0.0.1",
        "--VoilaExecutor.iopub_timeout=120",
    ]
    # Any static file shows the server answers; the notebook's own URL would run the notebook once more.
    process, url = serve("voila", command, "/voila/static/favicon.ico", _isolated_env(tmp_path), log)
    return process, url, log


@contextlib.contextmanager
def voila_serving(notebook: Path, tmp_path: Path) -> Iterator[str]:
    """Voilà serving `notebook` while the block runs (its log's last lines printed if the block fails)."""
    process, url, log = start_voila(notebook, tmp_path)
    try:
        yield url
    except BaseException:
        print(f"--- last lines of {log.name} ---\n{log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        _kill(process)


@pytest.fixture()
def voila(notebook_dir: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    process, url, log = start_voila(notebook_dir / "04_widgets.ipynb", tmp_path)
    yield url
    _stop(process, log, request)
