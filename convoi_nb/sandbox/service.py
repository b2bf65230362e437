"""What the sandbox endpoints do, free of HTTP: create with idempotency, read, list, render a call."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from ..models import FieldError, WebCallRequest, mask_token
from ..models.json_values import unencodable_path
from ..models.wire import (
    IDEMPOTENCY_CONFLICT,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_RULE,
    INVALID_IDEMPOTENCY_KEY,
    canonical_idempotency_key,
    decode_metadata_filter,
    metadata_value_matches,
)
from .accounts import Account
from .error_responses import HTTPProblem
from .livekit import TOKEN_TTL, mint_token
from .settings import SandboxSettings
from .simulation import merge_settings, plan_call, state_at
from .store import CallRow, IdempotencyMismatch, Store


def epoch_to_iso(epoch: float) -> str:
    """An epoch second as the API writes times (ISO 8601, UTC, milliseconds, `Z`).

    Args:
        epoch: Seconds since the epoch.

    Returns:
        The time as text.
    """
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def body_hash(body: dict[str, Any]) -> str:
    """Hash of the validated body, key order and formatting ignored.

    Args:
        body: The validated body.

    Returns:
        Its SHA-256, in hex.
    """
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def call_seed(sandbox_seed: int, seq: int) -> int:
    """The seed of one call's simulated story.

    Args:
        sandbox_seed: The sandbox's seed.
        seq: The call's insertion number.

    Returns:
        A 56-bit seed.
    """
    return int.from_bytes(hashlib.sha256(f"{sandbox_seed}:{seq}".encode()).digest()[:7], "big")


class CallService:
    """What the endpoints do, free of HTTP: create with idempotency, read, list and render calls.

    Args:
        settings: The sandbox's settings (its database, clock, simulation and LiveKit).
    """

    def __init__(self, settings: SandboxSettings) -> None:
        self.settings = settings
        self.store = Store(settings.db_path)

    def render(self, row: CallRow, at: float | None = None) -> dict[str, Any]:
        """The call object as the API returns it, at a moment of the simulation.

        Args:
            row: The stored call.
            at: The moment (epoch seconds; now if None). A create answers as of the call's creation: nobody can
                join a room before its token is returned, however long the answer takes to leave.

        Returns:
            The call's JSON fields, its token signed again.
        """
        scale = self.settings.time_scale
        plan = plan_call(
            row.seed, row.settings, expire_rate=self.settings.expire_rate, fail_rate=self.settings.fail_rate
        )
        state = state_at(plan, ((self.settings.clock() if at is None else at) - row.created_at) * scale)
        return {
            "id": row.id,
            "object": "call",
            "type": "web",
            "status": state.status,
            "agent_id": row.agent_id,
            "room_id": row.room_id,
            "livekit": {
                "url": row.livekit_url,
                "token": self._token_for(row),
                "participant_identity": row.participant_identity,
            },
            "duration_seconds": state.duration_seconds,
            "cost": {"amount": state.cost, "currency": "USD"},
            "metadata": row.metadata,
            "created_at": epoch_to_iso(row.created_at),
            "updated_at": epoch_to_iso(row.created_at + state.updated_after / scale),
        }

    def _token_for(self, row: CallRow) -> str:
        # Tokens are never stored (the database holds them masked): the call's token is signed again, the same
        # token, from its room, identity, name and creation time. A call created through the API always has
        # one; generated history stored none, so a generated call gets one only within a token's lifetime (an
        # older one's would long have expired, and minting ~50 µs a call would halve the listing's speed).
        if not row.token and self.settings.clock() - row.created_at >= TOKEN_TTL.total_seconds():
            return ""
        return mint_token(
            self.settings.livekit,
            room=row.room_id,
            identity=row.participant_identity,
            name=row.participant_name,
            issued_at=row.created_at,
        )

    def create(self, account: Account, request: WebCallRequest, key: str | None) -> tuple[CallRow, bool]:
        """Create a call, or replay the one an idempotency key already made.

        Args:
            account: The caller's account.
            request: The validated request.
            key: The `Idempotency-Key` header, if sent.

        Returns:
            The call, and whether it was replayed.

        Raises:
            HTTPProblem: 404 for an unknown agent, 400 for a malformed key, 422 for text with no UTF-8 form,
                409 for a key reused with another body.
        """
        agent = account.agent(request.agent_id)
        if agent is None:
            raise HTTPProblem(
                404, "agent_not_found", f"no agent {request.agent_id!r} on this account", param="agent_id"
            )
        if key is not None:
            canonical = canonical_idempotency_key(key)
            if canonical is None:
                raise HTTPProblem(
                    400,
                    INVALID_IDEMPOTENCY_KEY,
                    f"{IDEMPOTENCY_KEY_HEADER} {IDEMPOTENCY_KEY_RULE}",
                    param=IDEMPOTENCY_KEY_HEADER,
                )
            key = canonical
        body = request.to_body()  # once: stored, hashed, and the overrides merged from it
        bad = unencodable_path(body)
        if bad is not None:  # a JSON escape such as \ud800 decodes to a string with no UTF-8 form
            problem = "contains a lone surrogate, which has no UTF-8 form"
            raise HTTPProblem(
                422,
                "invalid_request",
                f"{bad}: {problem}",
                param=bad,
                errors=[FieldError(loc=bad, msg=problem, type="string_unicode")],
            )
        overrides = body.get("agent_overrides", {})
        metadata = dict(request.metadata or {})
        participant = request.participant_name
        now = self.settings.clock()

        def build(seq: int) -> dict[str, Any]:
            call_id = f"call_{int(now * 1000):012x}{secrets.token_hex(6)}"
            room = f"room_{secrets.token_hex(8)}"  # unrelated to the call's id: see livekit.py
            identity = f"public-{secrets.token_hex(6)}"
            return {
                "id": call_id,
                "account": account.id,
                "agent_id": agent.id,
                "created_at": now,
                "room_id": room,
                "participant_identity": identity,
                "participant_name": request.participant_name,
                "livekit_url": self.settings.livekit.url,
                # Stored masked: it is signed again when the call is read (`_token_for`).
                "token": mask_token(
                    mint_token(self.settings.livekit, room=room, identity=identity, name=participant, issued_at=now)
                ),
                "metadata": metadata,
                "settings": merge_settings(agent.to_json(), overrides),
                "seed": call_seed(self.settings.seed, seq),
                "request": body,
            }

        try:
            return self.store.create_once(account.id, key, body_hash(body), now, build)
        except IdempotencyMismatch:
            raise HTTPProblem(
                409,
                IDEMPOTENCY_CONFLICT,
                f"this {IDEMPOTENCY_KEY_HEADER} was already used with a different request body; "
                "use a new key for a different request",
                param=IDEMPOTENCY_KEY_HEADER,
            ) from None

    def get(self, account: Account, call_id: str) -> CallRow:
        """One call of the account.

        Args:
            account: The caller's account.
            call_id: The call's id.

        Returns:
            The stored call.

        Raises:
            HTTPProblem: 404, the account has no such call.
        """
        row = self.store.get(account.id, call_id)
        if row is None:
            raise HTTPProblem(404, "call_not_found", f"no call {call_id!r} on this account", param="call_id")
        return row

    def list(
        self,
        account: Account,
        *,
        limit: int,
        starting_after: str | None,
        agent_id: str | None,
        status: str | None,
        created_after: datetime | None,
        created_before: datetime | None,
        metadata: Mapping[str, str],
    ) -> dict[str, Any]:
        """One page of the account's calls, newest first.

        Args:
            account: The caller's account.
            limit: Calls per page.
            starting_after: The last call id of the previous page.
            agent_id: Only this agent's calls.
            status: Only calls with this status now.
            created_after: Only calls created at or after this moment.
            created_before: Only calls created before this moment.
            metadata: Only calls whose metadata matches each of these encoded filters.

        Returns:
            The page as the API returns it.

        Raises:
            HTTPProblem: 400, the cursor names no call of the account.
        """
        before_seq = None
        if starting_after:
            cursor = self.store.get(account.id, starting_after)
            if cursor is None:
                raise HTTPProblem(400, "invalid_cursor", f"unknown cursor {starting_after!r}", param="starting_after")
            before_seq = cursor.seq
        rows: Iterator[CallRow] = self.store.iter_calls(
            account.id,
            before_seq=before_seq,
            agent_id=agent_id,
            created_after=created_after.timestamp() if created_after else None,
            created_before=created_before.timestamp() if created_before else None,
        )
        wanted = {key: decode_metadata_filter(text) for key, text in metadata.items()}  # once, not per row
        page: list[dict[str, Any]] = []
        has_more = False
        for row in rows:
            if not _metadata_matches(row.metadata, wanted):
                continue
            rendered = self.render(row)
            if status and rendered["status"] != status:
                continue
            if len(page) == limit:
                has_more = True
                break
            page.append(rendered)
        return {
            "object": "list",
            "data": page,
            "has_more": has_more,
            "next_cursor": page[-1]["id"] if has_more and page else None,
        }


def _metadata_matches(metadata: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(key in metadata and metadata_value_matches(metadata[key], value) for key, value in wanted.items())
