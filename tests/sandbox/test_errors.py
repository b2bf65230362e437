"""Every mistake a user can make with the sandbox is a ConvoiError that names the setting or argument."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from convoi_nb.errors import ConfigurationError, ConvoiError, SandboxError, ValidationError
from convoi_nb.sandbox import FaultConfig, ManualClock, Sandbox, SandboxSettings, default_seed
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT
from convoi_nb.sandbox.process import spawn

AGENT = DEFAULT_ACCOUNT.agents[0].id


def bad_seed(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Any]:
    monkeypatch.setenv("CONVOI_SANDBOX_SEED", "forty-two")
    return default_seed


CASES: dict[str, tuple[Callable[[Any], Callable[[], Any]], type[ConvoiError], str]] = {
    "time_scale": (lambda _: lambda: SandboxSettings(time_scale=0), ConfigurationError, "time_scale"),
    "time_scale text": (lambda _: lambda: SandboxSettings(time_scale="fast"), ConfigurationError, "time_scale"),
    "rate as text": (lambda _: lambda: FaultConfig(drop_rate="often"), ConfigurationError, "drop_rate"),
    "seed variable": (bad_seed, ConfigurationError, "CONVOI_SANDBOX_SEED"),
    "fault rate": (lambda _: lambda: FaultConfig(error_rate=1.5), ConfigurationError, "error_rate"),
    "fault rates together": (lambda _: lambda: FaultConfig(error_rate=0.6, drop_rate=0.6), ConfigurationError, "<= 1"),
    "latency": (lambda _: lambda: FaultConfig(latency=-1), ConfigurationError, "latency"),
    "api_key": (lambda _: lambda: SandboxSettings(api_key="short"), ConfigurationError, "api_key"),
    "remote host": (lambda _: lambda: Sandbox(host="0.0.0.0"), ConfigurationError, "allow_remote"),
    "clock step": (lambda _: lambda: ManualClock().advance(-1), ValidationError, "seconds"),
    "not started": (lambda _: lambda: Sandbox().port, SandboxError, "not started"),
}


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_bad_settings_and_arguments_are_convoi_errors(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    make, kind, named = CASES[case]
    with pytest.raises(kind, match=named):
        make(monkeypatch)()


def test_bad_arguments_on_a_running_sandbox(fresh_sandbox: Sandbox) -> None:
    with pytest.raises(ValidationError, match="agent_id"):
        fresh_sandbox.expected_outcome("agt_nobody")
    with pytest.raises(ValidationError, match="temperature"):
        fresh_sandbox.expected_outcome(AGENT, {"llm": {"temperature": "warm"}})
    with pytest.raises(ValidationError, match="api_key"):
        fresh_sandbox.generate_history(1, api_key="sk_sandbox_nobody")
    with pytest.raises(ValidationError, match="days"):
        fresh_sandbox.generate_history(1, days=0)


def test_a_sandbox_process_that_does_not_start_is_a_sandbox_error() -> None:
    with pytest.raises(SandboxError, match="did not start"):
        spawn(["--time-scale", "0"])
