"""The body of `POST /calls`, and the filters of `GET /calls`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, WrapValidator, with_config
from typing_extensions import TypedDict

from ._base import RequestModel
from .metadata import Metadata
from .overrides import AgentOverrides
from .settings import LENIENT_CONTEXT
from .wire import MAX_PAGE_SIZE

AGENT_ID_PATTERN = r"^agt_[A-Za-z0-9]+$"
"""What an agent id looks like (a regular expression): `agt_` and letters or digits."""
AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]


class WebCallRequest(RequestModel):
    """Create a web call: the agent to run and, optionally, per-call overrides and metadata.

    Examples:
        >>> import convoi_nb
        >>> request = convoi_nb.build_web_call("agt_123", participant_name="Ada")  # the way to build one, validated
        >>> type(request).__name__, request.agent_id, request.participant_name
        ('WebCallRequest', 'agt_123', 'Ada')
    """

    type: Literal["web"]
    agent_id: AgentId
    participant_name: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    agent_overrides: AgentOverrides | None = None
    metadata: Metadata | None = None

    def to_body(self) -> dict[str, Any]:
        """The exact JSON object sent.

        Returns:
            The body, with unset optional fields omitted, never null.
        """
        return self.model_dump(mode="json")


def _as_served(value: Any, _handler: Any) -> WebCallRequest:
    # The one model, validated as a server does: the service may know provider settings and names that
    # convoi_nb's catalog does not, so it takes them (LENIENT_CONTEXT); everything else is checked as on the client.
    return WebCallRequest.model_validate(value, context=LENIENT_CONTEXT)


ServedWebCallRequest = Annotated[WebCallRequest, WrapValidator(_as_served)]
"""`WebCallRequest` as a server validates it (the sandbox's body type): lenient where the real service is."""


def _filter_time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"must be an ISO 8601 datetime, got {value!r}") from None
    if not isinstance(value, datetime):
        raise ValueError(f"must be a timezone-aware datetime or an ISO 8601 string, got a {type(value).__name__}")
    if value.tzinfo is None:
        raise ValueError("must be timezone-aware (naive datetimes are ambiguous)")
    return value


FilterTime = Annotated[datetime, BeforeValidator(_filter_time)]


@with_config(ConfigDict(extra="forbid", strict=True))
class ListCallsParams(TypedDict, total=False):
    """The filters of `list_calls()` / `calls_frame()`, written once.

    They type the clients' keyword arguments (`**filters: Unpack[ListCallsParams]`) and, through a TypeAdapter,
    validate them.
    """

    agent_id: str
    status: str
    created_after: FilterTime
    created_before: FilterTime
    metadata: Metadata  # typed equality: 1 matches 1 and 1.0, never "1"
    page_size: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
