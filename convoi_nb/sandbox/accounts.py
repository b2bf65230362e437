"""Seeded sandbox accounts, their API keys and agents (documented in docs/how-to/sandbox-and-faults.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any

from ..models.wire import SANDBOX_KEY_PREFIX

DEFAULT_API_KEY = SANDBOX_KEY_PREFIX + "convoi_nb_demo"
"""The sandbox's documented demo key: the account `connect()` uses on the embedded sandbox."""
OTHER_API_KEY = SANDBOX_KEY_PREFIX + "other_account"
"""A second documented sandbox key, of another account (its calls are invisible to the first)."""
SEEDED_AT = "2026-01-01T00:00:00Z"


def _agent_id(name: str) -> str:
    return "agt_" + hashlib.sha256(name.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class SandboxAgent:
    """One of a sandbox account's seeded agents; its id derives from its name.

    Attributes:
        name: The agent's name.
        first_message: What the agent says first.
        system_prompt: The agent's instructions.
        llm: The language model's settings.
        tts: The voice's settings.
        stt: The transcription's settings.
        knowledge_base_ids: The knowledge bases the agent consults.
        id: `agt_` and a hash of the name, unless given.
    """

    name: str
    first_message: str
    system_prompt: str
    llm: dict[str, Any]
    tts: dict[str, Any]
    stt: dict[str, Any]
    knowledge_base_ids: tuple[str, ...] = ()
    id: str = field(default="")

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(self, "id", _agent_id(self.name))

    def to_json(self) -> dict[str, Any]:
        """The agent as the API returns it.

        Returns:
            The agent object's JSON fields.
        """
        return {
            "id": self.id,
            "object": "agent",
            "name": self.name,
            "first_message": self.first_message,
            "system_prompt": self.system_prompt,
            "llm": dict(self.llm),
            "tts": dict(self.tts),
            "stt": dict(self.stt),
            "knowledge_base_ids": list(self.knowledge_base_ids),
            "created_at": SEEDED_AT,
        }


@dataclass(frozen=True)
class Account:
    """A sandbox account: its id, the API key that reaches it and its agents.

    Attributes:
        id: The account's id.
        api_key: The key that authenticates as this account.
        agents: The account's agents.
    """

    id: str
    api_key: str
    agents: tuple[SandboxAgent, ...]

    def agent(self, agent_id: str) -> SandboxAgent | None:
        """The account's agent with this id.

        Args:
            agent_id: The agent's id.

        Returns:
            The agent, or None if the account has none by that id.
        """
        return next((a for a in self.agents if a.id == agent_id), None)


DEFAULT_ACCOUNT = Account(
    id="acct_sandbox_demo",
    api_key=DEFAULT_API_KEY,
    agents=(
        SandboxAgent(
            name="Support Desk",
            first_message="Hi, thanks for calling. How can I help?",
            system_prompt="You are a friendly, concise support agent for an online store.",
            llm={"model": "gpt-4o-mini", "temperature": 0.7},
            tts={"voice_id": "rachel", "speed": 1.0},
            stt={"language": "en", "model": "nova-2"},
        ),
        SandboxAgent(
            name="Sales Concierge",
            first_message="Hello! Looking for the right plan? I can walk you through it.",
            system_prompt="You are a consultative sales agent. Ask about needs before recommending a plan.",
            llm={"model": "gpt-4o", "temperature": 0.5},
            tts={"voice_id": "adam", "speed": 1.0},
            stt={"language": "en", "model": "nova-3"},
        ),
        SandboxAgent(
            name="Clinic Scheduler",
            first_message="Good morning, you've reached the clinic. Would you like to book an appointment?",
            system_prompt="You book, move and cancel appointments. Confirm date, time and name before ending.",
            llm={"model": "gpt-4.1-mini", "temperature": 0.3},
            tts={"voice_id": "bella", "speed": 0.95},
            stt={"language": "en", "model": "nova-2"},
            knowledge_base_ids=("kb_" + "0" * 31 + "1",),
        ),
    ),
)

OTHER_ACCOUNT = Account(
    id="acct_sandbox_other",
    api_key=OTHER_API_KEY,
    agents=(
        SandboxAgent(
            name="Other Account Agent",
            first_message="Hello.",
            system_prompt="You belong to another account.",
            llm={"model": "gpt-4o-mini", "temperature": 0.7},
            tts={"voice_id": "alloy", "speed": 1.0},
            stt={"language": "en", "model": "nova-2"},
        ),
    ),
)

ACCOUNTS = {a.api_key: a for a in (DEFAULT_ACCOUNT, OTHER_ACCOUNT)}
DOCUMENTED_KEYS = frozenset(ACCOUNTS)


def accounts_for(api_key: str | None) -> dict[str, Account]:
    """The accounts a sandbox serves, by key.

    With a key of the user's own, only the default account, under that key: nobody who read the docs can use
    a sandbox that is reachable from other machines.

    Args:
        api_key: The user's own key, or None for the documented demo keys.

    Returns:
        The accounts by API key.
    """
    if api_key is None:
        return dict(ACCOUNTS)
    return {api_key: replace(DEFAULT_ACCOUNT, api_key=api_key)}
