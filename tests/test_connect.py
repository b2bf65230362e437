"""connect(): the real service when configured, otherwise the embedded sandbox, announced once."""

from __future__ import annotations

from typing import Iterator

import pytest

import convoi_nb
from convoi_nb import _connect
from convoi_nb import ConfigurationError


@pytest.fixture()
def no_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    previous = _connect._sandbox
    _connect._sandbox = None
    yield
    if _connect._sandbox is not None:
        _connect._sandbox.stop()
    _connect._sandbox = previous


def test_without_configuration_the_sandbox_starts_once(no_env: None, capsys: pytest.CaptureFixture) -> None:
    first = convoi_nb.connect(sandbox_settings={"db_path": ":memory:"})
    second = convoi_nb.connect()
    out = capsys.readouterr().out
    assert out.count("embedded sandbox") == 1 and "simulated" in out
    assert first.base_url == second.base_url and first.base_url.startswith("http://127.0.0.1:")
    agents = first.list_agents()
    assert len(agents) == 3
    call = second.create_web_call(agents[0].id)
    assert first.get_call(call.id).id == call.id


def test_with_key_and_url_the_real_service_is_used(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_live_abcdef")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://api.convoi.example")
    client = convoi_nb.connect()
    assert client.base_url == "https://api.convoi.example"
    assert _connect._sandbox is None  # nothing started
    # Real money: experiment runs of more than 20 calls show their estimated cost and need a cap or a yes.
    assert client.confirm_runs_over == 20
    assert convoi_nb.connect(confirm_runs_over=100).confirm_runs_over == 100
    assert convoi_nb.connect(confirm_runs_over=None).confirm_runs_over is None


@pytest.mark.parametrize("variable", ["CONVOI_API_KEY", "CONVOI_BASE_URL"])
def test_half_a_configuration_is_an_error(no_env: None, monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    monkeypatch.setenv(variable, "https://x" if variable.endswith("URL") else "sk_live_abcdef")
    with pytest.raises(ConfigurationError) as info:
        convoi_nb.connect()
    missing = {"CONVOI_API_KEY", "CONVOI_BASE_URL"} - {variable}
    assert missing.pop() in str(info.value)
    assert _connect._sandbox is None


def test_sandbox_can_be_forced_or_forbidden(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_live_abcdef")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://api.convoi.example")
    forced = convoi_nb.connect(sandbox=True, sandbox_settings={"db_path": ":memory:"})
    assert forced.base_url.startswith("http://127.0.0.1:")
    assert forced.confirm_runs_over is None  # simulated money: never asked
    monkeypatch.delenv("CONVOI_API_KEY")
    monkeypatch.delenv("CONVOI_BASE_URL")
    with pytest.raises(ConfigurationError):
        convoi_nb.connect(sandbox=False)
