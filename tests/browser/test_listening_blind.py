"""The curious rater in chromium: a listening session's panel in JupyterLab, a call started and joined on the LiveKit
stand-in. Nothing the rater's browser holds names a variant, the experiment or the call: not the page's text or
markup, not the widget state JupyterLab saves, not the room or participant the browser joins. Then the panel is
closed from the kernel: the browser leaves the room, and logs no "no comm channel defined" (a closed card's widgets
written to after their comms closed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from convoi_nb.experiments import ResultsStore

from ..sessions.test_blinding import EXPERIMENT, NAMES, secrets_in
from .fake_livekit import API_KEY, API_SECRET, FakeLiveKit
from .test_join import media_page, run_in_kernel  # noqa: F401 (fixture)
from .test_jupyterlab import run_notebook

NAME = "rating.ipynb"
# The session is set up in a module beside the notebook, as a study's organiser would: the cell the rater sees
# names no variant.
SETUP = f"""import convoi_nb
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sandbox.livekit import LiveKitSettings
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets import ListeningSessionPanel


def make_panel(livekit_url):
    livekit = LiveKitSettings(url=livekit_url, api_key={API_KEY!r}, api_secret={API_SECRET!r}, create_rooms=True)
    client = convoi_nb.connect(sandbox_settings={{"db_path": ":memory:", "livekit": livekit, "time_scale": 1.0}})
    variants = [Variant("Qzv-plain"), Variant("Qzv-gpt4o", {{"llm": {{"model": "gpt-4o"}}}}), Variant("Qzv-fast")]
    experiment = Experiment({EXPERIMENT!r}, client.list_agents()[0].id, variants, 1, store="r.sqlite3")
    return ListeningSessionPanel(client, ListeningSession(experiment, "ana", 1, criteria=["helpful"]))
"""


def write_notebook(folder: Path, livekit_url: str) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    (folder / "rating_setup.py").write_text(SETUP)
    source = f"from rating_setup import make_panel\npanel = make_panel({livekit_url!r})\npanel"
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(source)],
            metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        ),
        folder / NAME,
    )


@pytest.mark.timeout(300)
def test_the_curious_rater_finds_nothing_in_the_browser(
    jupyterlab: str, media_page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    page = media_page
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    manager = tmp_path / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True, exist_ok=True)
    (manager / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))  # save the widget state
    with FakeLiveKit() as livekit:
        write_notebook(notebook_dir, livekit.url)
        start = page.locator(".widget-button", has_text="Start call 1")
        kernel_id = run_notebook(page, jupyterlab, NAME, tmp_path / "runtime", start, "the panel")
        start.click()
        join = page.locator(".convoi-join-button")
        join.wait_for(timeout=60_000)
        join.click()
        livekit.wait_until(lambda: livekit.seen.claims, 60, "a join with a valid token")
        page.locator(".convoi-join-state[data-state='connecting']").wait_for(timeout=60_000)
        (row,) = [r for r in ResultsStore(notebook_dir / "r.sqlite3").results(EXPERIMENT) if r.call]
        assert row.call is not None
        call = row.call

        text = page.locator("body").inner_text()
        assert "Call 1 of 3" in text  # not vacuous: the panel is on the page
        assert secrets_in(text, call) == [], "the page's text"
        assert secrets_in(page.content(), call) == [], "the page's markup (attributes, hidden elements)"
        claims = livekit.seen.claims[0]
        joined = json.dumps({"room": claims.video.room, "identity": claims.identity, "name": claims.name})
        assert claims.video.room == call["room_id"] and [n for n in [*NAMES, EXPERIMENT] if n in joined] == []
        # (that the room's name and metadata say nothing of the call either: tests/sessions/test_blinding.py)

        page.keyboard.press("Control+s")
        page.wait_for_function("() => !document.querySelector('.jp-mod-dirty')", timeout=60_000)
        saved = (notebook_dir / NAME).read_text()
        assert "application/vnd.jupyter.widget-state+json" in saved  # the widget state was saved…
        assert secrets_in(saved, call) == [], "the saved notebook"  # …naming nothing

        run_in_kernel(tmp_path / "runtime", kernel_id, "panel.close()")
        livekit.wait_until(lambda: livekit.seen.closed >= 1, 60, "the socket closed when the panel was closed")
        page.locator(".convoi-join").wait_for(state="detached", timeout=60_000)  # the views went with the models
    assert [line for line in console if "no comm channel" in line] == [], console
