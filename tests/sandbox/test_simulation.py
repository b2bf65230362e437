"""Simulated progress and pricing: monotonic, deterministic, and true to the rate card."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY
from convoi_nb.sandbox.simulation import JOIN_TIMEOUT_SECONDS, merge_settings, plan_call, state_at

from .test_idempotency import FakeClock

AGENT = DEFAULT_ACCOUNT.agents[0]
HEADERS = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
_http: httpx.Client


def create(sandbox: Sandbox, **fields: Any) -> dict:
    response = httpx.post(
        f"{sandbox.url}/api/v1/public/calls", headers=HEADERS, json={"type": "web", "agent_id": AGENT.id, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture(scope="module", autouse=True)
def _pooled() -> Iterator[None]:
    """One pooled connection for the module (these tests read a call hundreds of times), closed after it."""
    global _http
    with httpx.Client(headers=HEADERS) as _http:
        yield


def read(sandbox: Sandbox, call_id: str) -> dict:
    return _http.get(f"{sandbox.url}/api/v1/public/calls/{call_id}").json()


def test_duration_and_cost_rise_until_ended_then_stay_fixed() -> None:
    clock = FakeClock()
    with Sandbox(SandboxSettings(clock=clock, time_scale=1.0, seed=3)) as sandbox:
        call = create(sandbox)
        seen = []
        for _ in range(400):  # 400 simulated seconds, one per step
            clock.now += 1.0
            state = read(sandbox, call["id"])
            seen.append((state["status"], state["duration_seconds"], state["cost"]["amount"], state["updated_at"]))
    statuses = [s[0] for s in seen]
    assert statuses[0] == "initiated" and "in_progress" in statuses and statuses[-1] in {"ended", "failed"}
    order = {"initiated": 0, "in_progress": 1, "ended": 2, "failed": 2}
    assert [order[s] for s in statuses] == sorted(order[s] for s in statuses)
    durations, costs = [s[1] for s in seen], [s[2] for s in seen]
    assert durations == sorted(durations) and costs == sorted(costs)
    assert costs[-1] > 0
    final = [s for s in seen if s[0] == statuses[-1]]
    assert len({s[1:] for s in final}) == 1  # nothing changes after the end, not even updated_at


class SlowAnswerClock(FakeClock):
    """A clock that moves a simulated minute at every reading: as if the answer took that long to leave."""

    def __call__(self) -> float:
        self.now += 60.0
        return self.now


def test_a_create_answers_as_of_the_call_s_creation_a_replay_as_of_now() -> None:
    # Nobody can join a room before its token is returned, so a new call is "initiated" in its own answer however
    # slow that answer is (a loaded machine, a fast time scale); a replay shows the call as it is at the replay.
    with Sandbox(SandboxSettings(clock=SlowAnswerClock(), time_scale=1.0, seed=3)) as sandbox:
        key = "8a3e4a52-2f0e-4a4e-9d43-3f7f3b0f9d11"
        call = create(sandbox, metadata={"k": "v"})
        assert (call["status"], call["duration_seconds"], call["cost"]["amount"]) == ("initiated", 0.0, 0)
        assert call["updated_at"] == call["created_at"]
        first = _http.post(
            f"{sandbox.url}/api/v1/public/calls",
            headers={"Idempotency-Key": key},
            json={"type": "web", "agent_id": AGENT.id},
        )
        replay = _http.post(
            f"{sandbox.url}/api/v1/public/calls",
            headers={"Idempotency-Key": key},
            json={"type": "web", "agent_id": AGENT.id},
        )
    assert first.status_code == 201 and first.json()["status"] == "initiated"
    assert replay.status_code == 200 and replay.json()["id"] == first.json()["id"]
    assert replay.json()["status"] != "initiated"  # minutes of simulated time later


def test_same_seed_same_story_other_seed_other_numbers() -> None:
    def run(seed: int) -> list[tuple[str, float, float]]:
        clock = FakeClock()
        with Sandbox(SandboxSettings(clock=clock, seed=seed)) as sandbox:
            ids = [create(sandbox)["id"] for _ in range(5)]
            clock.now += 3600
            return [(c["status"], c["duration_seconds"], c["cost"]["amount"]) for c in (read(sandbox, i) for i in ids)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_cheaper_model_is_cheaper_per_minute_and_in_total() -> None:
    clock = FakeClock()
    with Sandbox(SandboxSettings(clock=clock, seed=1)) as sandbox:
        cheap = [create(sandbox, agent_overrides={"llm": {"model": "gpt-4o-mini"}})["id"] for _ in range(20)]
        dear = [create(sandbox, agent_overrides={"llm": {"model": "gpt-4o"}})["id"] for _ in range(20)]
        clock.now += 3600
        cost = {name: [read(sandbox, i) for i in ids] for name, ids in (("cheap", cheap), ("dear", dear))}

    def per_minute(calls: list[dict]) -> list[float]:
        return [c["cost"]["amount"] / (c["duration_seconds"] / 60) for c in calls if c["duration_seconds"] > 0]

    assert max(per_minute(cost["cheap"])) < min(per_minute(cost["dear"]))
    assert sum(c["cost"]["amount"] for c in cost["cheap"]) < sum(c["cost"]["amount"] for c in cost["dear"])


# The rate card as the docs document it (docs/how-to/sandbox-and-faults.md, "What the sandbox simulates"; USD per
# minute), written out rather than read from the code.
DOCUMENTED = {
    "platform": 0.04,
    "gpt-4o": 0.05,
    "gpt-4o-mini": 0.006,
    "bella": 0.024,
    "alloy": 0.015,
    "nova-3": 0.0059,
    "nova-2": 0.0043,
    "knowledge_base": 0.005,
}


@pytest.mark.parametrize(
    ("overrides", "per_minute"),
    [
        (
            {
                "llm": {"model": "gpt-4o"},
                "tts": {"voice_id": "bella"},
                "stt": {"model": "nova-3"},
                "knowledge_base_ids": ["kb_" + "1" * 32, "kb_" + "2" * 32],
            },
            DOCUMENTED["platform"]
            + DOCUMENTED["gpt-4o"]
            + DOCUMENTED["bella"]
            + DOCUMENTED["nova-3"]
            + 2 * DOCUMENTED["knowledge_base"],
        ),
        (
            {"llm": {"model": "gpt-4o-mini"}, "tts": {"voice_id": "alloy"}, "stt": {"model": "nova-2"}},
            DOCUMENTED["platform"] + DOCUMENTED["gpt-4o-mini"] + DOCUMENTED["alloy"] + DOCUMENTED["nova-2"],
        ),
    ],
)
def test_cost_is_the_documented_rate_times_minutes(overrides: dict, per_minute: float) -> None:
    clock = FakeClock()
    with Sandbox(SandboxSettings(clock=clock, time_scale=1.0, expire_rate=0, fail_rate=0, seed=9)) as sandbox:
        call = create(sandbox, agent_overrides=overrides)
        seen = []
        for step in (30, 60, 90, 3600):  # mid-call and after the end, in simulated seconds
            clock.now += step
            seen.append(read(sandbox, call["id"]))
    assert {s["status"] for s in seen} == {"in_progress", "ended"}
    for state in seen:
        # duration is rounded to 1 ms and cost to 1e-6 USD, hence the tolerance
        expected = per_minute * state["duration_seconds"] / 60
        assert state["cost"]["amount"] == pytest.approx(expected, abs=2e-6), state
        assert state["cost"]["currency"] == "USD"
    assert seen[-1]["cost"]["amount"] > 0


def test_merged_settings_keep_agent_defaults() -> None:
    settings = merge_settings(AGENT.to_json(), {"llm": {"model": "gpt-4o"}})
    assert settings["llm"] == {"model": "gpt-4o", "temperature": 0.7}  # merged, not replaced
    assert settings["tts"] == AGENT.to_json()["tts"]


def test_faster_speech_makes_shorter_calls() -> None:
    base = AGENT.to_json()
    slow = [plan_call(s, merge_settings(base, {"tts": {"speed": 0.8}})).talk_seconds for s in range(50)]
    fast = [plan_call(s, merge_settings(base, {"tts": {"speed": 1.5}})).talk_seconds for s in range(50)]
    assert all(f < s for f, s in zip(fast, slow, strict=False))


def test_outcomes_include_failed_and_expired() -> None:
    plans = [plan_call(seed, AGENT.to_json()) for seed in range(2000)]
    outcomes = {p.outcome for p in plans}
    assert outcomes == {"ended", "failed", "expired"}
    expired = next(p for p in plans if p.outcome == "expired")
    assert state_at(expired, JOIN_TIMEOUT_SECONDS - 1).status == "initiated"
    late = state_at(expired, JOIN_TIMEOUT_SECONDS + 1)
    assert (late.status, late.duration_seconds, late.cost) == ("expired", 0.0, 0.0)


def test_default_time_scale_ends_a_call_within_about_a_second() -> None:
    # docs/how-to/sandbox-and-faults.md: "a 3-minute call ends in about a second". At the default scale, 2 s of
    # (manual) wall time covers every call of ordinary length: up to 6 s to connect plus the talk, in simulated seconds.
    clock = FakeClock()
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0, fail_rate=0)) as sandbox:
        ids = [create(sandbox)["id"] for _ in range(10)]
        clock.now += 2.0
        final = [read(sandbox, i) for i in ids]
    assert sandbox.settings.time_scale == 180
    assert all(c["status"] == "ended" for c in final), [c["duration_seconds"] for c in final]


def test_rate_card_prices_every_suggested_setting() -> None:
    from convoi_nb.models import KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES
    from convoi_nb.sandbox.rate_card import LLM_MODELS, STT_MODELS, TTS_VOICES

    assert set(KNOWN_LLM_MODELS) == set(LLM_MODELS)
    assert set(KNOWN_VOICES) == set(TTS_VOICES) and set(KNOWN_STT_MODELS) == set(STT_MODELS)


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"llm": {"model": "gpt-4o"}, "tts": {"speed": 1.2}},
        {"system_prompt": "Answer in one or two short sentences.", "first_message": "Hi!"},
    ],
)
def test_expected_outcome_is_what_the_simulation_averages_to(overrides: dict) -> None:
    from convoi_nb.sandbox.simulation import expected_outcome

    settings = merge_settings(AGENT.to_json(), overrides)
    plans = [plan_call(seed, settings) for seed in range(40_000)]
    ended = [p for p in plans if p.outcome == "ended"]
    truth = expected_outcome(settings)
    durations = [p.talk_seconds for p in ended]
    mean = sum(durations) / len(durations)
    sem = (sum((d - mean) ** 2 for d in durations) / (len(durations) - 1) / len(durations)) ** 0.5
    assert abs(mean - truth.mean_duration) < 4 * sem  # within four standard errors of 40,000 draws
    assert len(ended) / len(plans) == pytest.approx(truth.end_probability, abs=0.005)
    cost = sum(p.talk_seconds * p.rate_per_minute / 60 for p in ended) / len(ended)
    assert cost == pytest.approx(truth.mean_cost, rel=4 * sem / mean)
