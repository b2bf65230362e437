"""A loopback stand-in for LiveKit's signalling endpoint, enough for livekit-client to join: it verifies the
participant token with livekit-api's `TokenVerifier`, answers with a `JoinResponse` built from livekit-protocol's
messages, and records what it saw (the claims, the socket closing). Its RoomService `CreateRoom` (what the sandbox
calls when rooms are created ahead) records each room's metadata, which the join response hands to every participant,
as LiveKit does. There is no media server behind it, so the client stays "connecting" after joining (WebRTC never
connects)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web
from livekit import api as livekit_api
from livekit.protocol import models, rtc
from livekit.protocol import room as room_service

API_KEY = "APIfakelivekit"
API_SECRET = "fake-livekit-secret-for-the-join-test-0123456789"  # a test server's key, nothing real
CORS = {"Access-Control-Allow-Origin": "*"}


@dataclass
class Seen:
    """What the server saw, for the test to assert on."""

    claims: list[Any] = field(default_factory=list)  # verified tokens' claims, one per accepted join
    tokens: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why a join was refused
    requests: list[dict[str, Any]] = field(default_factory=list)  # SignalRequest kinds the client sent
    closed: int = 0  # sockets closed by the client
    paths: list[str] = field(default_factory=list)
    rooms: dict[str, str] = field(default_factory=dict)  # rooms created through the RoomService: name → metadata


class FakeLiveKit:
    def __init__(self) -> None:
        self.seen = Seen()
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="fake-livekit")
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> FakeLiveKit:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def wait_until(self, condition: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake LiveKit server never saw {what}: {self.seen}")
            time.sleep(0.05)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_get("/rtc/v1", self._not_here)  # the single-peer-connection path: fall back to /rtc
        app.router.add_get("/rtc/v1/validate", self._not_here)
        app.router.add_get("/rtc", self._signal)
        app.router.add_get("/rtc/validate", self._validate)
        app.router.add_post("/twirp/livekit.RoomService/CreateRoom", self._create_room)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started, so it has sockets

    async def _not_here(self, request: web.Request) -> web.Response:
        self.seen.paths.append(request.path)
        return web.Response(status=404, headers=CORS)

    def _verify(self, request: web.Request) -> Any:
        token = request.query.get("access_token", "")
        try:
            return livekit_api.TokenVerifier(API_KEY, API_SECRET).verify(token), token
        except Exception as exc:  # any bad token: the client reads the reason from /validate
            return exc, token

    async def _validate(self, request: web.Request) -> web.Response:
        claims, _ = self._verify(request)
        if isinstance(claims, Exception):
            return web.Response(status=401, text=f"invalid token: {claims}", headers=CORS)
        return web.Response(text="success", headers=CORS)

    async def _create_room(self, request: web.Request) -> web.Response:
        claims, _ = self._verify_header(request)
        if isinstance(claims, Exception) or not claims.video.room_create:
            return web.json_response({"code": "unauthenticated", "msg": str(claims)}, status=401)
        asked = room_service.CreateRoomRequest()
        asked.ParseFromString(await request.read())
        self.seen.rooms[asked.name] = asked.metadata
        made = models.Room(sid=f"RM_{len(self.seen.rooms)}", name=asked.name, metadata=asked.metadata)
        return web.Response(body=made.SerializeToString(), content_type="application/protobuf")

    def _verify_header(self, request: web.Request) -> Any:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            return livekit_api.TokenVerifier(API_KEY, API_SECRET).verify(token), token
        except Exception as exc:  # any bad token: refused
            return exc, token

    async def _signal(self, request: web.Request) -> web.StreamResponse:
        self.seen.paths.append(request.path)
        claims, token = self._verify(request)
        if isinstance(claims, Exception):
            self.seen.refused.append(str(claims))
            return web.Response(status=401, text="invalid authorization token", headers=CORS)
        self.seen.claims.append(claims)
        self.seen.tokens.append(token)
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        join = rtc.JoinResponse(
            room=models.Room(
                sid="RM_fake",
                name=claims.video.room,
                metadata=self.seen.rooms.get(claims.video.room, ""),
                creation_time=int(time.time()),
            ),
            participant=models.ParticipantInfo(
                sid="PA_fake",
                identity=claims.identity,
                name=claims.name,
                state=models.ParticipantInfo.State.ACTIVE,
                permission=models.ParticipantPermission(can_subscribe=True, can_publish=True),
            ),
            server_version="1.8.0",
            server_info=models.ServerInfo(version="1.8.0", protocol=15),
            ping_timeout=15,
            ping_interval=5,
        )
        await socket.send_bytes(rtc.SignalResponse(join=join).SerializeToString())
        async for message in socket:
            if message.type == WSMsgType.BINARY:
                signal = rtc.SignalRequest()
                signal.ParseFromString(message.data)
                self.seen.requests.append({"kind": signal.WhichOneof("message")})
            elif message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        self.seen.closed += 1
        return socket
