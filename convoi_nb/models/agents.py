"""Agents on the caller's account, with the defaults that overrides change."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ._base import ResponseModel, UTCDateTime


class Agent(ResponseModel):
    """An agent: its id and name, and the defaults that `agent_overrides` change for one call.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> agent.name, agent.llm
        ('Support Desk', {'model': 'gpt-4o-mini', 'temperature': 0.7})
    """

    id: str
    object: str = "agent"
    name: str
    first_message: str | None = None
    system_prompt: str | None = None
    llm: dict[str, Any] = Field(default_factory=dict)
    tts: dict[str, Any] = Field(default_factory=dict)
    stt: dict[str, Any] = Field(default_factory=dict)
    knowledge_base_ids: list[str] = Field(default_factory=list)
    created_at: UTCDateTime | None = None
