"""LiveKit rooms and participant tokens, minted with `livekit-api`.

Credentials come from `LIVEKIT_API_KEY` / `LIVEKIT_API_SECRET` / `LIVEKIT_URL`; without them the sandbox
signs with its own sandbox credentials (point the LIVEKIT_* variables at a real or `livekit-server --dev`
server to join for real). Rooms are created on a real server only when `LIVEKIT_URL` is set; otherwise they
are left to LiveKit, which creates a room when its first participant joins.

What reaches LiveKit, and so every participant's browser (a blinded rater's included):

- **Room metadata: none.** LiveKit hands a room's metadata to every participant, so a call's metadata (an
  experiment's name and variant, a customer reference) never goes there. A real deployment that needs room
  metadata should send only an opaque value that maps to nothing a participant may not know: not the call
  id (`get_call(id)` names the variant), not the experiment, the variant or the agent's settings.
- **Room names and participant identities: random** (`room_<hex>`, `public-<hex>`), drawn for each call and
  unrelated to its id, its metadata or its settings.
- **The participant's display name** is what the caller sent as `participant_name` (else the identity).
- **The token** grants joining one room and carries no metadata.

A call's token is not kept: the database stores it masked, and it is signed again, the same token, whenever
the call is read (it depends only on the room, the identity, the name, the call's creation time and the API
secret).
"""

from __future__ import annotations

import asyncio
import functools
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta

import jwt
from livekit import api

from .._logging import get_logger, redact

DEV_URL = "ws://localhost:7880"
DEV_API_KEY = "convoi_sandbox"
# 32+ bytes, as HS256 wants; a public, sandbox-only secret.
DEV_API_SECRET = "convoi-sandbox-livekit-secret-not-for-production"
TOKEN_TTL = timedelta(hours=1)
ROOM_EMPTY_TIMEOUT = 300  # seconds LiveKit keeps a created room open with nobody in it

log = get_logger("convoi_nb.sandbox")


@dataclass(frozen=True)
class LiveKitSettings:
    """Where calls' rooms live and the credentials that sign their tokens.

    Attributes:
        url: The LiveKit server's WebSocket URL, as the browser joins it.
        api_key: The LiveKit API key (the tokens' issuer).
        api_secret: The LiveKit API secret that signs tokens (kept out of the repr).
        create_rooms: Whether to create each call's room ahead on the server (true when `LIVEKIT_URL` is set).
    """

    url: str = DEV_URL
    api_key: str = DEV_API_KEY
    api_secret: str = field(default=DEV_API_SECRET, repr=False)
    create_rooms: bool = False

    @classmethod
    def from_env(cls) -> LiveKitSettings:
        """Settings from `LIVEKIT_URL`, `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`, the sandbox's own for any unset.

        Returns:
            The settings; rooms are created ahead only when `LIVEKIT_URL` is set.
        """
        url = os.environ.get("LIVEKIT_URL")
        return cls(
            url=url or DEV_URL,
            api_key=os.environ.get("LIVEKIT_API_KEY") or DEV_API_KEY,
            api_secret=os.environ.get("LIVEKIT_API_SECRET") or DEV_API_SECRET,
            create_rooms=bool(url),
        )


@functools.lru_cache(maxsize=4096)  # a listing signs each call's token again: ~100 µs each, saved for recent calls
def mint_token(settings: LiveKitSettings, *, room: str, identity: str, name: str | None, issued_at: float) -> str:
    """A participant token that may join `room` only, valid for `TOKEN_TTL` from `issued_at`.

    It carries no call metadata: the token goes to the browser, and metadata such as an experiment's variant
    name must not reach a listener who rates the call blind. The same arguments always give the same token, so
    a call's token is signed again when the call is read instead of being stored.

    Args:
        settings: The LiveKit credentials that sign the token.
        room: The one room the token may join.
        identity: The participant's identity.
        name: The participant's display name (the identity if None).
        issued_at: Epoch seconds the token is valid from (the call's creation).

    Returns:
        The signed JWT.
    """
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True)
    claims = api.AccessToken(settings.api_key, settings.api_secret).with_name(name or identity).with_grants(grants)
    start = int(issued_at)
    # livekit-api's AccessToken.to_jwt() dates a token from the clock; the same claims, dated from the call instead.
    payload = {
        **claims.claims.asdict(),
        "sub": identity,
        "iss": settings.api_key,
        "nbf": start,
        "exp": start + int(TOKEN_TTL.total_seconds()),
    }
    return jwt.encode(payload, settings.api_secret, algorithm="HS256")


def describe_failure(exc: BaseException) -> str:
    """What went wrong, for a log line: the error's class and message, with any credential scrubbed.

    Args:
        exc: The error a request to LiveKit raised.

    Returns:
        A one-line description holding no token or key.
    """
    message = redact(str(exc))
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class RoomCreator:
    """Creates rooms on a configured LiveKit server in the background, within fixed bounds.

    A create never waits for its room: `schedule()` puts the room's name on a bounded queue that `workers`
    tasks drain, so at most `workers` requests are in flight and at most `max_pending` rooms wait; beyond
    that a room is skipped (counted in `skipped`). Each attempt has a short timeout, and after `max_failures`
    failures in a row the sandbox warns once (naming the server) and stops trying for `cooldown` seconds.
    LiveKit also creates a room when its first participant joins, so a room that was not made ahead is no
    lost call. The workers start with the first room scheduled.

    Args:
        settings: The LiveKit server and credentials (rooms are made only if `settings.create_rooms`).
        timeout: Seconds one attempt may take.
        max_failures: Failures in a row that pause room creation.
        cooldown: Seconds a pause lasts.
        workers: Room requests in flight at most.
        max_pending: Rooms waiting for a worker at most.
    """

    def __init__(
        self,
        settings: LiveKitSettings,
        *,
        timeout: float = 2.0,
        max_failures: int = 3,
        cooldown: float = 60.0,
        workers: int = 4,
        max_pending: int = 256,
    ) -> None:
        self.settings, self.timeout, self.max_failures, self.cooldown = settings, timeout, max_failures, cooldown
        self.workers, self.max_pending = workers, max_pending
        self.failures = 0  # in a row, since the last success or pause
        self.warned = False
        self.skipped = 0  # rooms not attempted: the queue was full or creation was paused
        self.in_flight = 0
        self._paused_until = 0.0
        self._queue: asyncio.Queue[str] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def paused(self) -> bool:
        """Whether room creation is pausing after repeated failures."""
        return time.monotonic() < self._paused_until

    @property
    def pending(self) -> int:
        """Rooms queued or being created right now."""
        return self.in_flight + (self._queue.qsize() if self._queue is not None else 0)

    def schedule(self, room: str) -> None:
        """Queue `room` for creation without waiting for it (call from the server's event loop).

        Args:
            room: The room's name; nothing else about the call is sent.
        """
        if not self.settings.create_rooms or self.paused:
            return
        queue = self._start()
        try:
            queue.put_nowait(room)
        except asyncio.QueueFull:
            self.skipped += 1
            log.debug("LiveKit room creation is %d rooms behind; %s is left to be created on join", queue.qsize(), room)

    def _start(self) -> asyncio.Queue[str]:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._loop is not loop:  # first use, or the app is served by a new loop
            self._loop, self._queue = loop, asyncio.Queue(self.max_pending)
            # Referenced here until the loop ends (asyncio.run cancels them then), or they may be collected.
            self._tasks = [loop.create_task(self._work(self._queue)) for _ in range(self.workers)]
        return self._queue

    async def _work(self, queue: asyncio.Queue[str]) -> None:
        while True:
            room = await queue.get()
            if self.paused:
                self.skipped += 1
                continue
            self.in_flight += 1
            try:
                await self._create(room)
            finally:
                self.in_flight -= 1

    async def _create(self, room: str) -> None:
        try:
            await asyncio.wait_for(self._request(room), self.timeout)  # 3.10 has no asyncio.timeout
        except Exception as exc:
            self.failures += 1
            log.debug("could not create LiveKit room %s: %s", room, describe_failure(exc))
            if self.failures >= self.max_failures:
                if not self.warned:  # once: the same server failing again tells nothing new
                    log.warning(
                        "LiveKit server %s did not create %d rooms in a row (last: %s); pausing %.0f s at a "
                        "time (rooms are still created when a participant joins)",
                        self.settings.url,
                        self.failures,
                        describe_failure(exc),
                        self.cooldown,
                    )
                    self.warned = True
                self.failures = 0
                self._paused_until = time.monotonic() + self.cooldown
        else:
            self.failures = 0

    async def _request(self, room: str) -> None:
        http_url = self.settings.url.replace("wss://", "https://").replace("ws://", "http://")
        async with api.LiveKitAPI(http_url, self.settings.api_key, self.settings.api_secret) as lk:
            # No metadata: LiveKit shows a room's metadata to every participant (see the module docstring).
            await lk.room.create_room(api.CreateRoomRequest(name=room, empty_timeout=ROOM_EMPTY_TIMEOUT))
