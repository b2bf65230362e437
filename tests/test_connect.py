"""connect(): the real service when configured, otherwise the embedded sandbox, announced once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import convoi_nb
from convoi_nb import ConfigurationError, _connect


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


def test_the_announcement_says_why_the_sandbox(
    no_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_live_abcdef")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://api.convoi.example")
    convoi_nb.connect(sandbox=True, sandbox_settings={"db_path": ":memory:"})
    out = capsys.readouterr().out
    assert "sandbox=True; using the embedded sandbox" in out and "no CONVOI_API_KEY" not in out


@pytest.mark.parametrize(
    ("kwargs", "env", "given", "missing"),
    [
        ({"api_key": "sk_live_abcdef"}, {}, "api_key= is set", "base_url= (or CONVOI_BASE_URL) is not"),
        ({"base_url": "https://x"}, {}, "base_url= is set", "api_key= (or CONVOI_API_KEY) is not"),
        ({}, {"CONVOI_API_KEY": "sk_live_abcdef"}, "CONVOI_API_KEY is set", "base_url= (or CONVOI_BASE_URL) is not"),
    ],
)
def test_half_a_configuration_is_named_as_the_user_gave_it(
    no_env: None, monkeypatch: pytest.MonkeyPatch, kwargs: dict, env: dict, given: str, missing: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as info:
        convoi_nb.connect(**kwargs)
    assert str(info.value).startswith(f"{given} but {missing}")
    assert _connect._sandbox is None


def test_the_sandbox_key_exported_for_the_curl_snippet_keeps_connect_on_the_sandbox(
    no_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from convoi_nb.sandbox.accounts import OTHER_API_KEY

    monkeypatch.setenv("CONVOI_API_KEY", OTHER_API_KEY)  # what the card's curl snippet reads
    client = convoi_nb.connect(sandbox_settings={"db_path": ":memory:"})
    assert client.base_url.startswith("http://127.0.0.1:") and client.confirm_runs_over is None
    assert "CONVOI_API_KEY is a sandbox key" in capsys.readouterr().out
    assert [a.name for a in client.list_agents()] != [
        "Support Desk",
        "Sales Concierge",
        "Clinic Scheduler",
    ]  # its account
    monkeypatch.setenv("CONVOI_BASE_URL", client.base_url)  # the snippet's URL too: still simulated money
    assert convoi_nb.connect().confirm_runs_over is None


def test_aconnect_gives_the_async_client_on_the_same_choice(no_env: None) -> None:
    import asyncio

    async def scenario() -> tuple[object, str, str]:
        client = await convoi_nb.aconnect(sandbox_settings={"db_path": ":memory:"})
        async with client:
            agents = await client.list_agents()
            call = await client.create_web_call(agents[0].id)
        return client, call.id, convoi_nb.connect().get_call(call.id).id  # one embedded sandbox for both faces

    client, created, fetched = asyncio.run(scenario())
    assert isinstance(client, convoi_nb.AsyncConvoiClient) and created == fetched


def test_aconnect_refuses_half_a_configuration_too(no_env: None) -> None:
    import asyncio

    with pytest.raises(ConfigurationError, match="base_url= \\(or CONVOI_BASE_URL\\) is not"):
        asyncio.run(convoi_nb.aconnect(api_key="sk_live_abcdef"))
