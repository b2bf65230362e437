"""verdict() names a winner only when the data separate it: over 20 seeded runs of notebook 02's experiment it
never names one that the sandbox's true means contradict."""

from __future__ import annotations

from pathlib import Path

from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id
SHORT = "You are a support agent. Answer in one or two short sentences."
VARIANTS = [
    *Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]}),
    Variant("short answers", {"llm": {"model": "gpt-4o-mini"}, "tts": {"speed": 1.0}, "system_prompt": SHORT}),
]


def run(seed: int, replicates: int, tmp_path: Path) -> tuple[object, dict]:
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, seed=seed)) as sandbox:
        truth = {v.name: sandbox.expected_outcome(AGENT, v.body) for v in VARIANTS}
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            results = Experiment(
                f"verdict-{seed}", AGENT, VARIANTS, replicates, store=tmp_path / f"{seed}.sqlite3"
            ).run(client, concurrency=1, progress=False)  # one at a time: each call's story follows its arrival order
            clock.advance(3600)
            return results.wait(timeout=60, progress=False, poll_interval=0.001).verdict(), truth


def test_a_named_winner_is_always_the_true_one(tmp_path: Path) -> None:
    named = 0
    for seed in range(20):
        verdict, truth = run(seed, 8, tmp_path)
        for metric, attribute in (("cost", "mean_cost"), ("duration", "mean_duration")):
            finding = verdict.finding(metric)
            best = min(truth, key=lambda name: getattr(truth[name], attribute))
            assert finding.winner in (None, best), (seed, metric, str(verdict))
            assert finding.leader is not None and ("No clear" in finding.text) == (finding.winner is None)
            named += finding.winner is not None
    assert named < 40  # at 8 calls per variant the top two are often too close to call


def test_enough_calls_separate_the_winner(tmp_path: Path) -> None:
    verdict, truth = run(7, 80, tmp_path)
    cheapest = min(truth, key=lambda name: truth[name].mean_cost)
    assert verdict.finding("cost").winner == cheapest, str(verdict)
    assert f"Cheapest per call: {cheapest}" in str(verdict)


def test_no_winner_is_explained_with_the_calls_it_would_take(tmp_path: Path) -> None:
    verdict, _ = run(3, 3, tmp_path)
    finding = verdict.finding("duration")
    assert finding.winner is None and finding.replicates_needed > 3, str(verdict)
    assert f"about {finding.replicates_needed:.0f} calls per variant would name the shortest" in finding.text
