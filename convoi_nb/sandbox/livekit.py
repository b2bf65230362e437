"""LiveKit rooms and participant tokens, minted with `livekit-api`.

Credentials come from `LIVEKIT_API_KEY` / `LIVEKIT_API_SECRET` / `LIVEKIT_URL`; without them the sandbox
signs with its own sandbox credentials (point the LIVEKIT_* variables at a real or `livekit-server --dev`
server to join for real).
Rooms are created on a real server only when `LIVEKIT_URL` is set; otherwise they are recorded locally.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from livekit import api

DEV_URL = "ws://localhost:7880"
DEV_API_KEY = "convoi_sandbox"
# 32+ bytes, as HS256 wants; a public, sandbox-only secret.
DEV_API_SECRET = "convoi-sandbox-livekit-secret-not-for-production"
TOKEN_TTL = timedelta(hours=1)

log = logging.getLogger("convoi_nb.sandbox")


@dataclass(frozen=True)
class LiveKitSettings:
    url: str = DEV_URL
    api_key: str = DEV_API_KEY
    api_secret: str = field(default=DEV_API_SECRET, repr=False)
    create_rooms: bool = False  # true when a real server is configured

    @classmethod
    def from_env(cls) -> LiveKitSettings:
        url = os.environ.get("LIVEKIT_URL")
        return cls(
            url=url or DEV_URL,
            api_key=os.environ.get("LIVEKIT_API_KEY") or DEV_API_KEY,
            api_secret=os.environ.get("LIVEKIT_API_SECRET") or DEV_API_SECRET,
            create_rooms=bool(url),
        )


def mint_token(settings: LiveKitSettings, *, room: str, identity: str, name: str | None) -> str:
    """A participant token that may join `room` only. It carries no call metadata: the token goes to the browser,
    and metadata such as an experiment's variant name must not reach a listener who rates the call blind.
    """
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True)
    token = (
        api.AccessToken(settings.api_key, settings.api_secret)
        .with_identity(identity)
        .with_name(name or identity)
        .with_grants(grants)
        .with_ttl(TOKEN_TTL)
    )
    return token.to_jwt()


class RoomCreator:
    """Creates rooms on a configured LiveKit server in the background, so a slow or unreachable server never
    slows a create: each attempt has a short timeout, and after `max_failures` failures in a row the sandbox
    warns once (naming the server) and stops trying for `cooldown` seconds. LiveKit also creates a room when
    the first participant joins, so a room that could not be made ahead is no lost call.
    """

    def __init__(
        self, settings: LiveKitSettings, *, timeout: float = 2.0, max_failures: int = 3, cooldown: float = 60.0
    ) -> None:
        self.settings, self.timeout, self.max_failures, self.cooldown = settings, timeout, max_failures, cooldown
        self.failures = 0  # in a row, since the last success or pause
        self.warned = False
        self._paused_until = 0.0
        self._tasks: set[asyncio.Task] = set()

    def schedule(self, room: str, metadata: dict[str, Any]) -> None:
        """Start creating `room` without waiting for it (call from the server's event loop)."""
        if not self.settings.create_rooms or time.monotonic() < self._paused_until:
            return
        task = asyncio.get_running_loop().create_task(self._create(room, metadata))
        self._tasks.add(task)  # keep a reference until done, or the task may be collected mid-flight
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the rooms in flight (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _create(self, room: str, metadata: dict[str, Any]) -> None:
        try:
            await asyncio.wait_for(self._request(room, metadata), self.timeout)  # 3.10 has no asyncio.timeout
        except Exception as exc:
            self.failures += 1
            log.debug("could not create LiveKit room %s: %r", room, exc)
            if self.failures >= self.max_failures:
                if not self.warned:  # once: the same server failing again tells nothing new
                    log.warning(
                        "LiveKit server %s did not create %d rooms in a row (last: %r); pausing %.0f s at a "
                        "time (rooms are still created when a participant joins)",
                        self.settings.url,
                        self.failures,
                        exc,
                        self.cooldown,
                    )
                    self.warned = True
                self.failures = 0
                self._paused_until = time.monotonic() + self.cooldown
        else:
            self.failures = 0

    async def _request(self, room: str, metadata: dict[str, Any]) -> None:
        http_url = self.settings.url.replace("wss://", "https://").replace("ws://", "http://")
        async with api.LiveKitAPI(http_url, self.settings.api_key, self.settings.api_secret) as lk:
            await lk.room.create_room(
                api.CreateRoomRequest(name=room, empty_timeout=300, metadata=json.dumps(metadata))
            )
