"""Participant tokens are real LiveKit JWTs that grant exactly one room."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from livekit import api as livekit_api

from convoi_nb.sandbox.livekit import LiveKitSettings


def test_token_verifies_and_grants_only_its_room(api: Any, sandbox: Any, agent_id: str) -> None:
    call = api.create_web_call(agent_id, participant_name="Ada Lovelace", metadata={"source": "test", "n": 1})
    settings = sandbox.settings.livekit
    claims = api_verify(settings, call.livekit.token)
    assert claims.identity == call.livekit.participant_identity and claims.identity.startswith("public-")
    assert claims.name == "Ada Lovelace"
    assert not claims.metadata  # the call's metadata stays out of a credential that goes to the browser
    grants = claims.video
    assert grants.room_join is True and grants.room == call.room_id
    assert grants.can_publish and grants.can_subscribe and grants.can_publish_data
    assert not grants.room_admin and not grants.room_create and not grants.room_list and not grants.room_record
    assert call.livekit.url == settings.url


def test_token_fails_with_another_secret(api: Any, sandbox: Any, agent_id: str) -> None:
    import jwt
    import pytest

    token = api.create_web_call(agent_id).livekit.token
    with pytest.raises(jwt.InvalidSignatureError):
        api_verify(LiveKitSettings(api_secret="another-secret-that-is-long-enough-for-hs256"), token)


def test_token_expires_in_about_an_hour(api: Any, sandbox: Any, agent_id: str) -> None:
    import jwt

    payload = jwt.decode(api.create_web_call(agent_id).livekit.token, options={"verify_signature": False})
    assert timedelta(seconds=payload["exp"] - payload["nbf"]) == timedelta(hours=1)


def test_rooms_and_identities_are_unique(api: Any, agent_id: str) -> None:
    calls = [api.create_web_call(agent_id) for _ in range(5)]
    assert len({c.room_id for c in calls}) == 5
    assert len({c.livekit.participant_identity for c in calls}) == 5


def test_settings_from_environment(monkeypatch: Any) -> None:
    monkeypatch.setenv("LIVEKIT_URL", "wss://lk.example")
    monkeypatch.setenv("LIVEKIT_API_KEY", "APIkey")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "s" * 40)
    settings = LiveKitSettings.from_env()
    assert (settings.url, settings.api_key, settings.create_rooms) == ("wss://lk.example", "APIkey", True)
    assert "s" * 40 not in repr(settings)
    monkeypatch.delenv("LIVEKIT_URL")
    assert LiveKitSettings.from_env().create_rooms is False


def api_verify(settings: LiveKitSettings, token: str) -> Any:
    return livekit_api.TokenVerifier(settings.api_key, settings.api_secret).verify(token)


def test_room_is_created_on_a_configured_livekit_server() -> None:
    """A stand-in LiveKit server records the Twirp CreateRoom call the sandbox makes."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import httpx

    from convoi_nb.sandbox import Sandbox, SandboxSettings
    from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

    received: list[tuple[str, dict, bytes]] = []
    arrived = threading.Event()

    class FakeLiveKit(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, dict(self.headers), body))
            arrived.set()
            self.send_response(200)
            self.send_header("Content-Type", "application/protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLiveKit)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings = LiveKitSettings(
        url=f"ws://127.0.0.1:{server.server_address[1]}",
        api_key="lk_key",
        api_secret="lk-secret-long-enough-for-hs256-signing!",
        create_rooms=True,
    )
    try:
        with Sandbox(SandboxSettings(livekit=settings)) as sandbox:
            response = httpx.post(
                f"{sandbox.url}/api/v1/public/calls",
                headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
                json={"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id, "metadata": {"a": 1}},
            )
            assert arrived.wait(10), "the room was never created"  # in the background, after the answer
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 201
    call = response.json()
    ((path, headers, body),) = received
    assert path == "/twirp/livekit.RoomService/CreateRoom"
    request = livekit_api.CreateRoomRequest.FromString(body)
    assert request.name == call["room_id"] and json.loads(request.metadata) == {"a": 1}
    auth = {k.lower(): v for k, v in headers.items()}["authorization"]
    claims = api_verify(settings, auth.removeprefix("Bearer "))
    assert claims.video.room_create is True
    assert api_verify(settings, call["livekit"]["token"]).video.room == call["room_id"]


def test_an_unresponsive_livekit_server_never_holds_up_a_create(caplog: Any) -> None:
    """Rooms are made in the background with a short timeout; repeated failures warn once, naming the server."""
    import logging
    import socket
    import time

    import httpx

    from convoi_nb.sandbox import Sandbox, SandboxSettings
    from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

    caplog.set_level(logging.WARNING, logger="convoi_nb.sandbox")
    with socket.socket() as silent:  # accepts connections in the kernel backlog and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        settings = LiveKitSettings(
            url=url, api_key="lk_key", api_secret="lk-secret-long-enough-for-hs256-signing!", create_rooms=True
        )
        with Sandbox(SandboxSettings(livekit=settings)) as sandbox:
            rooms = sandbox.app.state.rooms
            rooms.timeout = 0.3
            with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:

                def create() -> int:
                    return http.post(
                        "/api/v1/public/calls", json={"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id}
                    ).status_code

                assert create() == 201
                assert rooms._tasks, "the create answered only after its room attempt ended"
                assert [create() for _ in range(5)] == [201] * 5
                deadline = time.monotonic() + 20
                while (rooms._tasks or not rooms.warned) and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert rooms.warned and create() == 201 and not rooms._tasks  # paused: no attempt for this create
                rooms._paused_until = 0.0  # the cooldown is over: it tries again, fails again, pauses again
                assert [create() for _ in range(rooms.max_failures)] == [201] * rooms.max_failures
                while rooms._tasks and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert create() == 201 and not rooms._tasks  # paused again
    warnings = [r for r in caplog.records if "LiveKit server" in r.getMessage()]
    assert len(warnings) == 1 and url in warnings[0].getMessage()  # warned once, paused twice
