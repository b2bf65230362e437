"""LiveKit rooms and participant tokens, minted with `livekit-api`.

Credentials come from `LIVEKIT_API_KEY` / `LIVEKIT_API_SECRET` / `LIVEKIT_URL`; without them the sandbox
signs with its own sandbox credentials (point the LIVEKIT_* variables at a real or `livekit-server --dev`
server to join for real).
Rooms are created on a real server only when `LIVEKIT_URL` is set; otherwise they are recorded locally.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

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
    def from_env(cls) -> "LiveKitSettings":
        url = os.environ.get("LIVEKIT_URL")
        return cls(
            url=url or DEV_URL,
            api_key=os.environ.get("LIVEKIT_API_KEY") or DEV_API_KEY,
            api_secret=os.environ.get("LIVEKIT_API_SECRET") or DEV_API_SECRET,
            create_rooms=bool(url),
        )


def mint_token(
    settings: LiveKitSettings, *, room: str, identity: str, name: Optional[str], metadata: dict[str, Any]
) -> str:
    """A participant token that may join `room` only."""
    grants = api.VideoGrants(room_join=True, room=room, can_publish=True, can_subscribe=True, can_publish_data=True)
    token = (
        api.AccessToken(settings.api_key, settings.api_secret)
        .with_identity(identity)
        .with_name(name or identity)
        .with_metadata(json.dumps(metadata, separators=(",", ":")))
        .with_grants(grants)
        .with_ttl(TOKEN_TTL)
    )
    return token.to_jwt()


async def create_room(settings: LiveKitSettings, room: str, metadata: dict[str, Any]) -> None:
    """Create the room on a real LiveKit server; a failure is logged, since LiveKit also creates rooms on join."""
    if not settings.create_rooms:
        return
    http_url = settings.url.replace("wss://", "https://").replace("ws://", "http://")
    try:
        async with api.LiveKitAPI(http_url, settings.api_key, settings.api_secret) as lk:
            await lk.room.create_room(
                api.CreateRoomRequest(name=room, empty_timeout=300, metadata=json.dumps(metadata))
            )
    except Exception as exc:  # noqa: BLE001 - any server trouble must not fail the call
        log.warning("could not create LiveKit room %s: %s", room, exc)
