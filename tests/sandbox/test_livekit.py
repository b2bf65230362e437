"""Participant tokens are real LiveKit JWTs that grant exactly one room."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from livekit import api as livekit_api

from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT
from convoi_nb.sandbox.livekit import LiveKitSettings

from ..conftest import leaks_in
from .livekit_stub import API_KEY, API_SECRET, CREATE_ROOM, StubLiveKit, served, wait_for

AGENT = DEFAULT_ACCOUNT.agents[0].id


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
    with StubLiveKit() as stub, served(stub) as (sandbox, http):
        response = http.post("/api/v1/public/calls", json={"type": "web", "agent_id": AGENT, "metadata": {"a": 1}})
        wait_for(lambda: len(stub.received) == 1, "the room's creation")  # in the background, after the answer
    assert response.status_code == 201
    call = response.json()
    ((sent,),) = [stub.received]
    assert sent.path == CREATE_ROOM and sent.create_room.name == call["room_id"]
    auth = {k.lower(): v for k, v in sent.headers.items()}["authorization"]
    settings = stub.settings()
    assert api_verify(settings, auth.removeprefix("Bearer ")).video.room_create is True
    assert api_verify(settings, call["livekit"]["token"]).video.room == call["room_id"]


def test_nothing_sent_to_livekit_names_the_experiment_or_the_variant() -> None:
    """LiveKit gives a room's metadata, its name and each participant's identity and name to every participant,
    a blinded rater's browser included: none of them may name the variant, the experiment or the call."""
    secret = {"experiment": "blind-exp-7f3", "variant": "voice=secret-voice-91", "replicate": 4}
    with StubLiveKit() as stub, served(stub) as (sandbox, http):
        response = http.post("/api/v1/public/calls", json={"type": "web", "agent_id": AGENT, "metadata": secret})
        wait_for(lambda: len(stub.received) == 1, "the room's creation")
        call = response.json()
        read_back = http.get(f"/api/v1/public/calls/{call['id']}").json()
    ((sent,),) = [stub.received]
    room = sent.create_room
    assert room.metadata == ""
    assert room.name == call["room_id"] and call["id"].removeprefix("call_") not in room.name
    claims = api_verify(stub.settings(), call["livekit"]["token"])
    assert read_back["livekit"]["token"] == call["livekit"]["token"]
    seen = [sent.body.decode("latin-1"), claims.identity, claims.name, claims.metadata, claims.video.room]
    seen.append(call["livekit"]["participant_identity"])
    for value in ("blind-exp-7f3", "secret-voice-91", "experiment", "variant", call["id"].removeprefix("call_")):
        assert not any(value in text for text in seen), value


def test_room_creation_is_bounded() -> None:
    """However many creates arrive, at most `workers` room requests are in flight and `max_pending` wait."""
    with StubLiveKit(hold=True) as stub, served(stub) as (sandbox, http):
        rooms = sandbox.app.state.rooms
        rooms.workers, rooms.max_pending, rooms.timeout = 2, 3, 120.0  # before the first room starts the workers
        for _ in range(10):
            assert http.post("/api/v1/public/calls", json={"type": "web", "agent_id": AGENT}).status_code == 201
        wait_for(lambda: stub.in_flight == 2, "two room requests in flight")
        assert (rooms.pending, rooms.skipped) == (5, 5)  # 2 in flight + 3 queued; the other 5 left to the join
        stub.release()
        wait_for(lambda: rooms.pending == 0 and len(stub.received) == 5, "the queued rooms")
        assert stub.peak_in_flight == 2


@pytest.mark.parametrize("status", [500, 307])
def test_failed_room_creations_are_logged_without_credentials(status: int, caplog: pytest.LogCaptureFixture) -> None:
    """A redirect loop ends in aiohttp's TooManyRedirects, whose repr holds the request's Authorization header."""
    caplog.set_level(logging.DEBUG, logger="convoi_nb.sandbox")
    with StubLiveKit(status=status) as stub, served(stub) as (sandbox, http):
        rooms = sandbox.app.state.rooms
        for _ in range(rooms.max_failures):
            assert http.post("/api/v1/public/calls", json={"type": "web", "agent_id": AGENT}).status_code == 201
        wait_for(lambda: rooms.warned, "the warning")
        token = http.get("/api/v1/public/calls").json()["data"][0]["livekit"]["token"]
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "could not create LiveKit room" in logged and stub.url in logged
    assert leaks_in(logged.encode()) == [] and API_SECRET not in logged and token not in logged


def test_an_unresponsive_livekit_server_never_holds_up_a_create(caplog: Any) -> None:
    """Rooms are made in the background with a short timeout; repeated failures warn once, naming the server."""
    import socket
    import time

    import httpx

    from convoi_nb.sandbox import Sandbox, SandboxSettings
    from convoi_nb.sandbox.accounts import DEFAULT_API_KEY

    caplog.set_level(logging.WARNING, logger="convoi_nb.sandbox")
    with socket.socket() as silent:  # accepts connections in the kernel backlog and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"ws://127.0.0.1:{silent.getsockname()[1]}"
        settings = LiveKitSettings(url=url, api_key=API_KEY, api_secret=API_SECRET, create_rooms=True)
        with Sandbox(SandboxSettings(livekit=settings)) as sandbox:
            rooms = sandbox.app.state.rooms
            rooms.timeout = 0.3
            with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http:

                def create() -> int:
                    return http.post("/api/v1/public/calls", json={"type": "web", "agent_id": AGENT}).status_code

                assert create() == 201
                assert rooms.pending, "the create answered only after its room attempt ended"
                assert [create() for _ in range(5)] == [201] * 5
                deadline = time.monotonic() + 20
                while (rooms.pending or not rooms.warned) and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert rooms.warned and create() == 201 and not rooms.pending  # paused: no attempt for this create
                rooms._paused_until = 0.0  # the cooldown is over: it tries again, fails again, pauses again
                assert [create() for _ in range(rooms.max_failures)] == [201] * rooms.max_failures
                while rooms.pending and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert create() == 201 and not rooms.pending  # paused again
    warnings = [r for r in caplog.records if "LiveKit server" in r.getMessage()]
    assert len(warnings) == 1 and url in warnings[0].getMessage()  # warned once, paused twice
