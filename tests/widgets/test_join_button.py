"""The Join button, headless: the token goes to the browser only in the message that answers Join, never in the
synced state; ended calls cannot be joined; the card leaves the room when closed; the bundle is current and ships in
the wheel."""

from __future__ import annotations

import runpy
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from livekit import api as livekit_api

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import Sandbox
from convoi_nb.widgets import CallCard
from convoi_nb.widgets.join_button import BUNDLE, SANDBOX_HINT, UNAVAILABLE, JoinButton, connection_hint

from .conftest import FrontEnd, Opened

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "convoi_nb" / "widgets" / "join_frontend"


def from_browser(widget: JoinButton, content: dict[str, Any]) -> None:
    """A custom message from the front end, through ipywidgets' own comm handler."""
    widget._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Custom messages the kernel sends to the front end of any JoinButton."""
    messages: list[dict[str, Any]] = []
    monkeypatch.setattr(JoinButton, "send", lambda self, content, buffers=None: messages.append(content))
    return messages


def test_the_token_reaches_the_browser_only_when_join_is_pressed(
    opened: Opened, front_end: FrontEnd, calm_client: ConvoiClient, calm_sandbox: Sandbox, sent: list[dict[str, Any]]
) -> None:
    call = calm_client.create_web_call(calm_client.list_agents()[0].id)
    card = opened.widget(CallCard, calm_client, call, poll_interval=60)
    token = call.livekit.token
    assert token not in front_end.state() and sent == []  # nothing before Join
    from_browser(card.join, {"type": "join"})
    assert [m["type"] for m in sent] == ["connect"]
    message = sent[0]
    assert message["url"] == call.livekit.url and message["hint"] == SANDBOX_HINT  # the sandbox's loopback URL
    settings = calm_sandbox.settings.livekit
    claims = livekit_api.TokenVerifier(settings.api_key, settings.api_secret).verify(message["token"])
    assert claims.identity == call.livekit.participant_identity and claims.video.room == call.room_id
    assert message["token"] not in front_end.state() and token not in front_end.state()  # never synced state
    card.join.state = "connected"  # as the front end reports it
    card.close()
    assert sent[-1] == {"type": "leave", "closing": True}  # closing the card leaves the room, syncing nothing back


def test_an_ended_call_cannot_be_joined(opened: Opened, calm_client: ConvoiClient, sent: list[dict[str, Any]]) -> None:
    call = calm_client.create_web_call(calm_client.list_agents()[0].id)
    card = opened.widget(CallCard, calm_client, call, poll_interval=0.05)
    ended = card.wait(timeout=30)
    assert ended is not None and ended.status == "ended"
    assert not card.join.available and "the call has ended" in card.join.unavailable_reason
    from_browser(card.join, {"type": "join"})
    assert sent == [{"type": "error", "message": card.join.unavailable_reason}]


def test_the_unavailable_note_goes_once_the_front_end_renders(sent: list[dict[str, Any]]) -> None:
    button = JoinButton(lambda: pytest.fail("not asked"))
    try:
        assert UNAVAILABLE in button.note.value  # a front end without anywidget shows this
        from_browser(button, {"type": "rendered"})
        assert button.note.value == "" and sent == []
    finally:
        button.close()


def test_a_failed_read_of_the_call_is_a_readable_error(sent: list[dict[str, Any]]) -> None:
    from convoi_nb.errors import NotFoundError

    def missing() -> Any:
        raise NotFoundError("call not found", status_code=404, request_id="req_1")

    button = JoinButton(missing)
    try:
        from_browser(button, {"type": "join"})
        assert sent[0]["type"] == "error" and "call not found" in sent[0]["message"]
    finally:
        button.close()


def test_hints_name_the_sandbox_only_for_loopback_urls() -> None:
    assert connection_hint("ws://localhost:7880") == SANDBOX_HINT and "LIVEKIT_URL" in SANDBOX_HINT
    assert connection_hint("ws://127.0.0.1:7880") == SANDBOX_HINT
    assert connection_hint("ws://127.0.0.2:7880") == connection_hint("ws://[::1]:7880") == SANDBOX_HINT
    assert connection_hint("wss://project.livekit.cloud") == ""


def test_the_shipped_bundle_is_built_from_the_sources_beside_it() -> None:
    stamp = runpy.run_path(str(FRONTEND / "bundle_stamp.py"))
    assert stamp["bundle_hash"](BUNDLE) == stamp["sources_hash"](FRONTEND), (
        "join_frontend/dist/join.js is stale: run `npm ci && npm run build` in convoi_nb/widgets/join_frontend"
    )
    text = BUNDLE.read_text()
    assert "convoi-join-button" in text and "livekit" in text.lower()  # the widget and livekit-client, bundled
    assert "https://cdn" not in text and "unpkg.com" not in text  # nothing fetched at run time


def test_a_changed_source_makes_the_bundle_stale(tmp_path: Path) -> None:
    copy = tmp_path / "frontend"
    for name in ("package-lock.json", "build.mjs", "src/join.js", "dist/join.js"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).write_bytes((FRONTEND / name).read_bytes())
    stamp = runpy.run_path(str(FRONTEND / "bundle_stamp.py"))
    assert not stamp["is_stale"](copy)
    (copy / "src" / "join.js").write_text((FRONTEND / "src" / "join.js").read_text() + "\n// edited\n")
    assert stamp["is_stale"](copy)


@pytest.mark.timeout(300)
def test_the_wheel_ships_the_bundle_and_an_install_from_it_loads_it(tmp_path: Path) -> None:
    # Built from a copy of the sources, so nothing left in the checkout (a build/ folder, node_modules) can ship.
    source = tmp_path / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            "build",
            "*.egg-info",
            "__pycache__",
            "node_modules",
            "tests",
            "notebooks",
            "bench",
            ".pytest_cache",
            ".convoi_nb",
            "site",
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    shutil.rmtree(source)  # a copy of the checkout: its docs name the sandbox's demo keys, which the leak scan flags
    wheel = next(tmp_path.glob("convoi_nb-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "convoi_nb/widgets/join_frontend/dist/join.js" in names
    assert not [n for n in names if "node_modules" in n or n.endswith(("package.json", "src/join.js"))]
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    check = (
        "import convoi_nb, sys; from convoi_nb.widgets.join_button import JoinButton; "
        "assert convoi_nb.__file__.startswith(sys.argv[1]), convoi_nb.__file__; "
        "b = JoinButton(lambda: None); r = b._runtime; print(len(r._esm), 'convoi-join-button' in r._esm)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", check, str(target)],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target), "PATH": ""},
        cwd=tmp_path,
    )
    size, has_button = shown.stdout.split()
    assert int(size) == len(BUNDLE.read_text()) and has_button == "True"
