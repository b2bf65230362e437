"""The response example of the reference page parses; the call model is forward compatible."""

from __future__ import annotations

from datetime import timezone

from livekit import api

from convoi_nb._display import call_card_html  # the card is registered with IPython, not set on Call
from convoi_nb.models import Call

# A real LiveKit token, minted at import: no credential-shaped literal lives in the repository.
TOKEN = (
    api.AccessToken("test_key", "test-secret-long-enough-for-hs256-signing")
    .with_identity("public-abc")
    .with_grants(api.VideoGrants(room_join=True, room="room_1"))
    .to_jwt()
)
EXAMPLE = {
    "id": "call_01HXAAAA",
    "object": "call",
    "type": "web",
    "status": "initiated",
    "agent_id": "agt_b88d642dd68747f28305c428b2091234",
    "room_id": "room_1",
    "livekit": {"url": "wss://your-livekit-host", "token": TOKEN, "participant_identity": "public-abc"},
    "duration_seconds": 0.0,
    "cost": {"amount": 0.0, "currency": "USD"},
    "metadata": {"source": "landing-page"},
    "created_at": "2026-11-25T10:00:00Z",
    "updated_at": "2026-11-25T10:00:01+02:00",
}


def test_reference_response_parses() -> None:
    call = Call.model_validate(EXAMPLE)
    assert call.id == "call_01HXAAAA"
    assert call.livekit.token == TOKEN
    assert call.cost.currency == "USD"
    assert call.metadata == {"source": "landing-page"}
    assert call.created_at.tzinfo is not None and call.created_at.utcoffset().total_seconds() == 0
    assert call.updated_at.utcoffset().total_seconds() == 7200


def test_naive_timestamps_are_taken_as_utc() -> None:
    call = Call.model_validate({**EXAMPLE, "created_at": "2026-11-25T10:00:00"})
    assert call.created_at.tzinfo == timezone.utc


def test_unknown_fields_and_statuses_are_kept() -> None:
    call = Call.model_validate({**EXAMPLE, "status": "transferring", "recording_url": "https://r"})
    assert call.status == "transferring"
    assert not call.is_terminal
    assert call.model_extra == {"recording_url": "https://r"}


def test_token_is_masked_in_repr_and_str_but_kept_in_the_model() -> None:
    call = Call.model_validate(EXAMPLE)
    for text in (repr(call), str(call), repr(call.livekit), str(call.livekit), call_card_html(call)):
        assert TOKEN not in text
        assert TOKEN[:20] not in text
    assert "(masked)" in repr(call.livekit)
    assert call.model_dump()["livekit"]["token"] == TOKEN


def test_html_card_shows_the_essentials() -> None:
    html = call_card_html(
        Call.model_validate({**EXAMPLE, "duration_seconds": 42.5, "cost": {"amount": 0.1234, "currency": "USD"}})
    )
    for needle in ("call_01HXAAAA", "initiated", "room_1", "42.5 s", "0.1234 USD", "2026-11-25T10:00:00", "public-abc"):
        assert needle in html
