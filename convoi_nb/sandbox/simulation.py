"""Simulated call progress: a plan drawn once per call from its seed, and the state at any moment.

A call waits for its participant (`initiated`), talks (`in_progress`: duration and cost grow), then
`ended`; a few fail mid-call (`failed`) or never get a participant (`expired`). Everything follows from
the seed and the effective settings, so the same call always tells the same story.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .rate_card import latency_factor, rate_for

BASE_TALK_SECONDS = 150.0
JOIN_TIMEOUT_SECONDS = 60.0
EXPIRE_PROBABILITY = 0.02
FAIL_PROBABILITY = 0.03
DEFAULT_TIME_SCALE = 180.0  # simulated seconds per real second: a 3-minute call ends in about a second


def merge_settings(agent: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Agent defaults with the call's overrides on top (llm/tts/stt merge key by key).

    Args:
        agent: The agent's settings.
        overrides: The call's `agent_overrides`.

    Returns:
        The call's effective settings (a new dict).
    """
    merged = {k: (dict(v) if isinstance(v, dict) else v) for k, v in agent.items()}
    for key, value in overrides.items():
        if isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        else:
            merged[key] = value
    return merged


@dataclass(frozen=True)
class CallPlan:
    """A call's whole story, drawn once from its seed.

    Attributes:
        outcome: "ended", "failed" or "expired".
        connect_after: Simulated seconds until the participant joins.
        talk_seconds: Simulated seconds of conversation.
        rate_per_minute: The call's price per minute (USD).
    """

    outcome: str
    connect_after: float
    talk_seconds: float
    rate_per_minute: float


NOISE_SIGMA = 0.2  # talk time varies by a log-normal factor exp(N(0, σ²)) around its settings-driven length
FAILED_SHARE = (0.1, 0.6)  # a failed call drops after this share of its talk (uniform)


def _talk(settings: Mapping[str, Any], noise: float) -> float:
    """Seconds of conversation for these settings, given the log-normal factor `noise`."""
    llm: Mapping[str, Any] = settings.get("llm") or {}
    tts: Mapping[str, Any] = settings.get("tts") or {}
    speed = float(tts.get("speed") or 1.0)
    warmth = llm.get("temperature")
    temperature = float(warmth) if warmth is not None else 0.7
    prompt = str(settings.get("system_prompt") or "")
    first = str(settings.get("first_message") or "")
    kbs = len(settings.get("knowledge_base_ids") or ())
    return float(
        BASE_TALK_SECONDS
        * latency_factor(llm.get("model"))
        * speed**-0.8  # faster speech, shorter call
        * (1 + 0.15 * (temperature - 0.7))  # warmer models ramble
        * (1 + min(len(prompt), 8000) / 20000)
        * (1 + 0.05 * min(kbs, 4))  # retrieval turns
        * noise
        + len(first) / 15.0  # speaking the first message
    )


def plan_call(
    seed: int,
    settings: Mapping[str, Any],
    *,
    expire_rate: float = EXPIRE_PROBABILITY,
    fail_rate: float = FAIL_PROBABILITY,
) -> CallPlan:
    """Draw a call's story from its seed and effective settings; the same arguments give the same story.

    Args:
        seed: The call's seed.
        settings: The call's effective settings.
        expire_rate: Share of calls nobody joins.
        fail_rate: Share of calls that drop mid-call.

    Returns:
        The plan.
    """
    rng = random.Random(seed)
    talk = _talk(settings, math.exp(rng.gauss(0.0, NOISE_SIGMA)))
    connect_after = rng.uniform(2.0, 6.0)
    roll = rng.random()
    outcome = "expired" if roll < expire_rate else "failed" if roll < expire_rate + fail_rate else "ended"
    if outcome == "failed":
        talk *= rng.uniform(*FAILED_SHARE)
    return CallPlan(outcome, connect_after, max(talk, 1.0), rate_for(settings).per_minute)


@dataclass(frozen=True)
class CallState:
    """A call at one moment of its story.

    Attributes:
        status: The call's status.
        duration_seconds: Seconds talked so far.
        cost: USD billed so far.
        updated_after: Simulated seconds after creation when the state last changed.
    """

    status: str
    duration_seconds: float
    cost: float
    updated_after: float


def state_at(plan: CallPlan, elapsed: float) -> CallState:
    """The call's state `elapsed` simulated seconds after creation.

    Args:
        plan: The call's plan.
        elapsed: Simulated seconds since the call was created.

    Returns:
        The state.
    """
    if plan.outcome == "expired":
        if elapsed < JOIN_TIMEOUT_SECONDS:
            return CallState("initiated", 0.0, 0.0, 0.0)
        return CallState("expired", 0.0, 0.0, JOIN_TIMEOUT_SECONDS)
    if elapsed < plan.connect_after:
        return CallState("initiated", 0.0, 0.0, 0.0)
    end = plan.connect_after + plan.talk_seconds
    talked = min(elapsed, end) - plan.connect_after
    status = "in_progress" if elapsed < end else plan.outcome
    cost = round(plan.rate_per_minute * talked / 60.0, 6)
    return CallState(status, round(talked, 3), cost, min(elapsed, end))


@dataclass(frozen=True)
class ExpectedOutcome:
    """The simulation's truth for one set of effective settings (analytic, from `plan_call`'s distributions).

    Means are over calls that *ended*; `mean_cost_per_call` averages every call (failed ones are billed for
    the part they talked, expired ones cost nothing). Used to check that reported intervals cover the truth.

    Attributes:
        end_probability: Share of calls that end normally.
        fail_probability: Share that drop mid-call.
        expire_probability: Share nobody joins.
        mean_duration: Mean seconds talked by an ended call.
        mean_cost: Mean USD of an ended call.
        mean_cost_per_call: Mean USD over every call.
    """

    end_probability: float
    fail_probability: float
    expire_probability: float
    mean_duration: float
    mean_cost: float
    mean_cost_per_call: float


def expected_outcome(
    settings: Mapping[str, Any], *, expire_rate: float = EXPIRE_PROBABILITY, fail_rate: float = FAIL_PROBABILITY
) -> ExpectedOutcome:
    """The simulation's true outcome for calls with these effective settings (analytic).

    Args:
        settings: The calls' effective settings.
        expire_rate: Share of calls nobody joins.
        fail_rate: Share of calls that drop mid-call.

    Returns:
        The expected outcome.
    """
    talk = _talk(settings, math.exp(NOISE_SIGMA**2 / 2))  # E[exp(N(0, σ²))] = exp(σ²/2)
    per_second = rate_for(settings).per_minute / 60.0
    ended = 1.0 - expire_rate - fail_rate
    failed_talk = talk * sum(FAILED_SHARE) / 2
    return ExpectedOutcome(
        end_probability=ended,
        fail_probability=fail_rate,
        expire_probability=expire_rate,
        mean_duration=talk,
        mean_cost=per_second * talk,
        mean_cost_per_call=per_second * (ended * talk + fail_rate * failed_talk),
    )
