"""The call object returned by every call endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer, PrivateAttr

from ._base import ResponseModel, UTCDateTime

KNOWN_STATUSES = ("initiated", "in_progress", "ended", "failed", "expired")
"""A call's statuses, in the order a call goes through them (it ends in one of the last three)."""
TERMINAL_STATUSES = frozenset({"ended", "failed", "expired"})
"""The statuses a call never leaves (`Call.is_terminal`)."""
MASKED_SUFFIX = "(masked)"


def mask_token(token: str | None) -> str:
    """A credential shown safely.

    Args:
        token: The credential (a LiveKit JWT), or None.

    Returns:
        Its first six and last four characters marked `(masked)` (only the mark for a short one), "" for none,
        and an already masked token unchanged.

    Examples:
        >>> from convoi_nb.models import mask_token
        >>> mask_token("abcdef0123456789wxyz")  # a made-up token: a real one is a JWT
        'abcdef…wxyz (masked)'
    """
    if not token:
        return ""
    if token.endswith(MASKED_SUFFIX):  # already masked (a stored call): masking again would garble it
        return token
    if len(token) <= 12:
        return "…" + MASKED_SUFFIX
    return f"{token[:6]}…{token[-4:]} {MASKED_SUFFIX}"


class LiveKitConnection(ResponseModel):
    """Where and how the browser joins the call. `token` is a credential: masked in repr/str.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> livekit = client.create_web_call(agent.id).livekit
        >>> livekit.url.startswith(("ws://", "wss://")), livekit.masked_token  # livekit.token joins the room
        (True, '... (masked)')
    """

    url: str
    token: str = Field(repr=False)
    participant_identity: str

    @property
    def masked_token(self) -> str:
        """The token as shown: its first and last characters only."""
        return mask_token(self.token)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        yield from super().__repr_args__()
        yield "token", self.masked_token


# Money is exact: a JSON number is parsed straight into a Decimal from its text, and written back as a number.
Money = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class Cost(ResponseModel):
    """What a call has cost so far. Sum amounts as Decimals (`convoi_nb.money`), never as floats.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> cost = client.create_web_call(agent.id).cost
        >>> type(cost.amount).__name__, cost.currency
        ('Decimal', 'USD')
    """

    amount: Money
    currency: str = "USD"


class RequestInfo(ResponseModel):
    """How a call object reached the client: not part of the call, never sent anywhere.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> info = client.create_web_call(agent.id).request_info
        >>> info.attempts, info.replayed, info.request_id.startswith("req_")
        (1, False, True)
    """

    request_id: str | None = None
    idempotency_key: str | None = None
    attempts: int = 1
    elapsed_seconds: float = 0.0
    replayed: bool = False


class Call(ResponseModel):
    """A web call. `status` is a plain string so that a status added later never breaks parsing.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> call = client.create_web_call(agent.id, metadata={"source": "docs"})
        >>> call.status, call.is_terminal, call.agent_id == agent.id, call.metadata
        ('initiated', False, True, {'source': 'docs'})
        >>> call.cost  # exact, in the call's currency; grows until the call ends
        Cost(amount=Decimal('0'), currency='USD')
    """

    id: str
    object: str = "call"
    type: str = "web"
    status: str
    agent_id: str
    room_id: str
    livekit: LiveKitConnection
    duration_seconds: float = 0.0
    cost: Cost
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: UTCDateTime
    updated_at: UTCDateTime

    _request_info: RequestInfo | None = PrivateAttr(default=None)

    @property
    def is_terminal(self) -> bool:
        """True once the call can no longer change (ended, failed or expired)."""
        return self.status in TERMINAL_STATUSES

    @property
    def request_info(self) -> RequestInfo | None:
        """Request id, idempotency key and attempts of the response that produced this object."""
        return self._request_info
