"""Slow and idle clients cannot hold the sandbox's connections, and a remote sandbox caps how many it serves.

Raw sockets play the slow clients. Each test waits (with a generous deadline) for the server to close the
socket; nothing asserts how fast.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from convoi_nb.errors import ConfigurationError
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

from .livekit_stub import wait_for

GENEROUS = 60.0  # seconds before a socket still open counts as held forever
OWN_KEY = "sk_mine_7d1c9e4b2a3f5e6d"
BODY = json.dumps({"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id}).encode()


def post_head(length: int) -> bytes:
    return (
        f"POST /api/v1/public/calls HTTP/1.1\r\nHost: sandbox\r\nAuthorization: Bearer {DEFAULT_API_KEY}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture()
def strict() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(request_timeout=1.0, keep_alive_timeout=1)) as sandbox:
        yield sandbox


def connect(sandbox: Sandbox) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", sandbox.port), timeout=GENEROUS)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes the connection (True) or the generous deadline passes (False)."""
    deadline = time.monotonic() + GENEROUS
    with sock:
        while time.monotonic() < deadline:
            try:
                if sock.recv(65536) == b"":
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            except TimeoutError:
                return False
    return False


def test_connections_whose_request_never_arrives_whole_are_closed(strict: Sandbox) -> None:
    silent = connect(strict)  # connects and says nothing
    half_headers = connect(strict)
    half_headers.sendall(b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n")
    half_body = connect(strict)
    half_body.sendall(post_head(len(BODY) + 100) + BODY)  # a valid JSON body, but less than promised
    sockets = {"silent": silent, "half headers": half_headers, "half body": half_body}
    held = [name for name, sock in sockets.items() if not closed_by_server(sock)]
    assert held == []
    with httpx.Client(base_url=strict.url) as http:  # the server still serves
        assert http.get("/healthz").status_code == 200
    assert strict.service.store.count() == 0  # the cut-short create did nothing


def test_a_client_sending_a_byte_at_a_time_is_closed(strict: Sandbox) -> None:
    """Slowloris: every byte arrives well within any idle timeout, and the request never ends."""
    sock = connect(strict)
    stop = threading.Event()

    def drip() -> None:
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n")
            while not stop.wait(0.1):
                sock.sendall(b"X")
        except OSError:
            pass  # closed by the server, as it should be

    dripping = threading.Thread(target=drip, daemon=True)
    dripping.start()
    try:
        assert closed_by_server(sock)
    finally:
        stop.set()
        dripping.join(timeout=10)


def test_an_idle_connection_after_a_response_is_closed(strict: Sandbox) -> None:
    sock = connect(strict)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: sandbox\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200")
    assert closed_by_server(sock)


def test_a_client_that_leaves_mid_body_creates_nothing(fresh_sandbox: Sandbox) -> None:
    with connect(fresh_sandbox) as sock:
        sock.sendall(post_head(len(BODY) + 100) + BODY)
    wait_for(lambda: fresh_sandbox.traffic.count("POST") == 1, "the request to end")
    assert fresh_sandbox.service.store.count() == 0


def test_connections_beyond_the_cap_are_answered_503() -> None:
    with Sandbox(SandboxSettings(max_connections=3)) as sandbox:
        held = [connect(sandbox) for _ in range(3)]
        with httpx.Client(base_url=sandbox.url) as http:
            assert http.get("/healthz").status_code == 503
            for sock in held:
                sock.close()
            wait_for(lambda: http.get("/healthz", headers={"Connection": "close"}).status_code == 200, "a free slot")


def test_a_remote_sandbox_caps_its_connections_and_a_loopback_one_need_not() -> None:
    from convoi_nb.sandbox.settings import REMOTE_MAX_CONNECTIONS

    remote = Sandbox(SandboxSettings(api_key=OWN_KEY), host="0.0.0.0", allow_remote=True)  # not started
    assert remote.max_connections == REMOTE_MAX_CONNECTIONS == remote._config().limit_concurrency
    assert Sandbox().max_connections is None
    assert Sandbox(SandboxSettings(max_connections=7)).max_connections == 7


@pytest.mark.parametrize(
    "setting", [{"request_timeout": 0}, {"keep_alive_timeout": -1}, {"max_connections": 0}, {"time_scale": 0}]
)
def test_bad_connection_settings_are_configuration_errors(setting: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError, match=next(iter(setting))):
        SandboxSettings(**setting)  # type: ignore[arg-type]  # the values are right; mypy cannot see which key
