"""Join a call from JupyterLab in chromium (fake microphone): livekit-client opens `…/rtc?access_token=…` on a
loopback stand-in for LiveKit's signalling server, which verifies the token (signature, room grant for exactly the
call's room, identity = the call's participant identity) and answers with a JoinResponse; the card shows
"connecting"; Leave closes the socket, and so does closing the card from the kernel (with no "no comm channel defined"
in the page); the saved notebook, widget state included, holds no token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client import BlockingKernelClient
from nbformat.v4 import new_code_cell, new_notebook

from .conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, _failed, _require_chromium
from .fake_livekit import API_KEY, API_SECRET, FakeLiveKit
from .test_jupyterlab import run_notebook

NAME = "join.ipynb"
MEDIA_ARGS = [
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
JWT = re.compile(r"eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}")


def cell(livekit_url: str = "") -> str:
    """A card for a new call on the embedded sandbox, whose tokens are for `livekit_url` (default: the sandbox's
    own default URL, with no LiveKit server behind it)."""
    settings = (
        f"LiveKitSettings(url={livekit_url!r}, api_key={API_KEY!r}, api_secret={API_SECRET!r})"
        if livekit_url
        else "LiveKitSettings()"
    )
    return f"""import json
from pathlib import Path
import convoi_nb
from convoi_nb.sandbox.livekit import LiveKitSettings
from convoi_nb.widgets import CallCard

livekit = {settings}
client = convoi_nb.connect(sandbox_settings={{"db_path": ":memory:", "livekit": livekit, "time_scale": 1.0}})
call = client.create_web_call(client.list_agents()[0].id)
Path("call.json").write_text(json.dumps({{"room": call.room_id, "identity": call.livekit.participant_identity}}))
card = CallCard(client, call)
card"""


@pytest.fixture()
def media_page(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Chromium with a fake microphone that is granted without asking."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS + MEDIA_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        yield page
        if _failed(request):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failure.png"), full_page=True)
        context.close()
        browser.close()


def run_in_kernel(runtime: Path, kernel_id: str, code: str) -> None:
    """Run `code` in the notebook's kernel, as a later cell would."""
    kernel = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
    kernel.load_connection_file()
    kernel.start_channels()
    try:
        reply = kernel.execute_interactive(code, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kernel.stop_channels()


def open_card(page: Any, server: str, notebook_dir: Path, tmp_path: Path, source: str) -> tuple[Any, str]:
    """Run a one-cell notebook showing a CallCard in JupyterLab; returns the card's Join button and the kernel."""
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(source)],
            metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        ),
        notebook_dir / NAME,
    )
    join = page.locator(".convoi-join-button")
    return join, run_notebook(page, server, NAME, tmp_path / "runtime", join, "the card")


@pytest.mark.timeout(300)
def test_join_connects_to_livekit_and_leave_disconnects(
    jupyterlab: str, media_page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    page = media_page
    console: list[str] = []  # what the page logs, and its uncaught errors
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    # Widget state saved with the notebook, so that the check below covers what JupyterLab would write.
    manager = tmp_path / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True, exist_ok=True)
    (manager / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    with FakeLiveKit() as livekit:
        join, kernel_id = open_card(page, jupyterlab, notebook_dir, tmp_path, cell(livekit.url))
        state = page.locator(".convoi-join-state")
        assert state.get_attribute("data-state") == "idle"
        expected = json.loads((notebook_dir / "call.json").read_text())

        join.click()
        livekit.wait_until(lambda: livekit.seen.claims, 30, "a join with a valid token")
        claims = livekit.seen.claims[0]
        assert claims.video.room == expected["room"] and claims.video.room_join
        assert claims.identity == expected["identity"]
        assert livekit.seen.paths[-1] == "/rtc" and not livekit.seen.refused
        page.locator(".convoi-join-state[data-state='connecting']").wait_for(timeout=30_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.locator(".convoi-join").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "join_connecting.png"))

        page.locator(".convoi-join-leave").click()
        livekit.wait_until(lambda: livekit.seen.closed >= 1, 30, "the socket closed by Leave")
        page.locator(".convoi-join-state[data-state='disconnected']").wait_for(timeout=30_000)
        assert state.inner_text().startswith("disconnected: left")
        assert not join.is_disabled()  # it can join again

        # Join again, then close the card from the kernel: the browser leaves the room by itself.
        join.click()
        livekit.wait_until(lambda: len(livekit.seen.claims) == 2, 30, "a second join")
        page.locator(".convoi-join-state[data-state='connecting']").wait_for(timeout=30_000)
        run_in_kernel(tmp_path / "runtime", kernel_id, "card.close()")
        livekit.wait_until(lambda: livekit.seen.closed >= 2, 30, "the socket closed when the card was closed")

        token = livekit.seen.tokens[0]
        page.keyboard.press("Control+s")
        saved = notebook_dir / NAME
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=30_000)
        text = saved.read_text()
        assert "application/vnd.jupyter.widget-state+json" in text  # the widget state was saved…
        assert token not in text and not JWT.search(text)  # …without the token
        assert token not in page.content()
    # The closed card's widgets are not written to after their comms closed (it was: "no comm channel defined").
    assert [line for line in console if "no comm channel" in line] == [], console


@pytest.mark.timeout(300)
def test_join_on_the_sandbox_default_says_there_is_no_livekit_server(
    jupyterlab: str, media_page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    page = media_page
    join, _ = open_card(page, jupyterlab, notebook_dir, tmp_path, cell())
    join.click()
    # One readable line, at once: not a spinner that times out 15 s later.
    page.locator(".convoi-join-state[data-state='disconnected']").wait_for(timeout=10_000)
    line = page.locator(".convoi-join-state").inner_text()
    assert line.startswith("disconnected: no LiveKit server answers at ws://localhost:7880"), line
    assert "LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET" in line
