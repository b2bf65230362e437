"""Agents on the caller's account, with the defaults that overrides change."""

from __future__ import annotations

from typing import Optional

from pydantic import Field

from ._base import ResponseModel, UTCDateTime


class Agent(ResponseModel):
    id: str
    object: str = "agent"
    name: str
    first_message: Optional[str] = None
    system_prompt: Optional[str] = None
    llm: dict = Field(default_factory=dict)
    tts: dict = Field(default_factory=dict)
    stt: dict = Field(default_factory=dict)
    knowledge_base_ids: list[str] = Field(default_factory=list)
    created_at: Optional[UTCDateTime] = None
