"""A stand-in for a LiveKit server's RoomService (Twirp over HTTP): it records every request the sandbox sends,
answers as told, and can hold requests open to see how many the sandbox keeps in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from livekit import api as livekit_api

from convoi_nb.sandbox.livekit import LiveKitSettings

API_KEY = "lk_key"
API_SECRET = "lk-secret-long-enough-for-hs256-signing!"  # a test server's secret, nothing real
CREATE_ROOM = "/twirp/livekit.RoomService/CreateRoom"


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def create_room(self) -> Any:
        return livekit_api.CreateRoomRequest.FromString(self.body)


class StubLiveKit:
    """Answers each request with `status` (200: an empty Room); with `hold`, only once `release()` is called."""

    def __init__(self, *, status: int = 200, hold: bool = False) -> None:
        self.status = status
        self.received: list[Received] = []
        self.in_flight = 0
        self.peak_in_flight = 0
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with stub._lock:
                    stub.received.append(Received(self.path, dict(self.headers), body))
                    stub.in_flight += 1
                    stub.peak_in_flight = max(stub.peak_in_flight, stub.in_flight)
                try:
                    stub._released.wait(60)
                    # A failure in plain text, as a proxy in front of LiveKit might answer.
                    answer = b"" if stub.status == 200 else b"stub failure"
                    self.send_response(stub.status)
                    if 300 <= stub.status < 400:  # back to itself: the client follows until it gives up
                        self.send_header("Location", self.path)
                    self.send_header("Content-Type", "application/protobuf" if stub.status == 200 else "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                finally:
                    with stub._lock:
                        stub.in_flight -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.server_address[1]}"

    def settings(self) -> LiveKitSettings:
        return LiveKitSettings(url=self.url, api_key=API_KEY, api_secret=API_SECRET, create_rooms=True)

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> StubLiveKit:
        threading.Thread(target=self._server.serve_forever, daemon=True, name="stub-livekit").start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after a generous `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


@contextmanager
def served(stub: StubLiveKit, **settings: Any) -> Iterator[Any]:
    """A sandbox whose rooms go to `stub`, and an httpx client on it with the demo key."""
    import httpx

    from convoi_nb.sandbox import Sandbox, SandboxSettings
    from convoi_nb.sandbox.accounts import DEFAULT_API_KEY

    with (
        Sandbox(SandboxSettings(livekit=stub.settings(), **settings)) as sandbox,
        httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http,
    ):
        yield sandbox, http
