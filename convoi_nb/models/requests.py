"""The body of `POST /api/v1/public/calls`."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import Field, StringConstraints

from ._base import RequestModel
from .metadata import Metadata
from .overrides import AgentOverrides

AGENT_ID_PATTERN = r"^agt_[A-Za-z0-9]+$"
AgentId = Annotated[str, StringConstraints(pattern=AGENT_ID_PATTERN)]


class WebCallRequest(RequestModel):
    """Create a web call: the agent to run and, optionally, per-call overrides and metadata."""

    type: Literal["web"]
    agent_id: AgentId
    participant_name: Optional[Annotated[str, StringConstraints(min_length=1, max_length=128)]] = None
    agent_overrides: Optional[AgentOverrides] = None
    metadata: Optional[Metadata] = None

    def to_body(self) -> dict[str, Any]:
        """The exact JSON object sent: unset optional fields are omitted, never null."""
        return self.model_dump(mode="json")


class ListCallsParams(RequestModel):
    """Query parameters of `GET /api/v1/public/calls` (cursor pagination, newest first)."""

    limit: int = Field(default=100, ge=1, le=100)
    starting_after: Optional[str] = None
    agent_id: Optional[str] = None
    status: Optional[str] = None
    created_after: Optional[str] = None
    created_before: Optional[str] = None
