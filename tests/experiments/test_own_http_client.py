"""Experiments with a client built on the user's own httpx client: used as it is in async code, refused up front
where the package runs an event loop of its own (it would need a pool of its own and drop the user's settings)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from convoi_nb import AsyncConvoiClient, ConfigurationError, ConvoiClient
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sandbox import Sandbox

from .test_experiment import AGENT, client_for, creates_sent, reliable  # noqa: F401 (a fixture)

VARIANTS = [Variant("a"), Variant("b", {"llm": {"model": "gpt-4o"}})]
ARUN_ADVICE = r"await experiment\.arun\(client\.to_async\(http_client=httpx\.AsyncClient\(\.\.\.\)\)\)"


def test_arun_and_wait_async_send_through_the_users_own_async_client(reliable: Sandbox, tmp_path: Path) -> None:
    sent: list[str] = []

    async def seen(request: httpx.Request) -> None:  # the user's own setting: proves their client carried it
        sent.append(request.method)

    async def notebook() -> tuple[int, int, bool]:
        async with httpx.AsyncClient(event_hooks={"request": [seen]}) as http:
            client = AsyncConvoiClient(api_key=reliable.api_key, base_url=reliable.url, http_client=http)
            experiment = Experiment("own", AGENT, VARIANTS, 2, store=tmp_path / "r.sqlite3")
            results = await experiment.arun(client, progress=False)
            await results.wait_async(timeout=30, progress=False)
            ended = int((results.frame()["status"] == "ended").sum())
            again = await experiment.results(client).wait_async(timeout=30, progress=False)
            return ended, len(again.frame()), http.is_closed

    ended, rows, closed = asyncio.run(notebook())
    assert ended == 4 and rows == 4
    assert sent.count("POST") == 4 and sent.count("GET") >= 1  # every create and read went through it
    assert not closed  # the user's client is theirs to close
    assert len(creates_sent(reliable)) == 4


def test_arun_with_an_async_client_of_its_own_pool_uses_it_on_the_callers_loop(
    reliable: Sandbox, tmp_path: Path
) -> None:
    async def notebook() -> int:
        async with AsyncConvoiClient(api_key=reliable.api_key, base_url=reliable.url) as client:
            results = await Experiment("pool", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3").arun(
                client, progress=False
            )
            await results.wait_async(timeout=30, progress=False)
            return len(results.frame())

    assert asyncio.run(notebook()) == 2


@pytest.mark.parametrize("face", ["sync", "async"])
def test_run_estimate_and_plan_refuse_the_users_own_client_before_anything_is_sent(
    reliable: Sandbox, tmp_path: Path, face: str
) -> None:
    store = tmp_path / "r.sqlite3"
    options = {"api_key": reliable.api_key, "base_url": reliable.url}
    client = (
        ConvoiClient(http_client=httpx.Client(), **options)
        if face == "sync"
        else AsyncConvoiClient(http_client=httpx.AsyncClient(), **options)
    )
    experiment = Experiment("refused", AGENT, VARIANTS, 2, store=store)
    for doing, call in [
        ("run", lambda: experiment.run(client, progress=False)),
        ("estimate", lambda: experiment.estimate(client)),
        ("plan", lambda: experiment.plan(client)),
    ]:
        with pytest.raises(ConfigurationError, match=rf"experiment\.{doing}\(\).*your own .*{ARUN_ADVICE}"):
            call()
    assert creates_sent(reliable) == [] and reliable.traffic.records == []
    assert not store.exists()  # refused before the store was even opened


def test_wait_refuses_the_users_own_client_and_names_wait_async(reliable: Sandbox, tmp_path: Path) -> None:
    experiment = Experiment("waits", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3")
    experiment.run(client_for(reliable), progress=False)
    own = ConvoiClient(api_key=reliable.api_key, base_url=reliable.url, http_client=httpx.Client())
    reads = len(reliable.traffic.records)
    with pytest.raises(ConfigurationError, match=r"results\.wait\(\).*await results\.wait_async\(\)"):
        experiment.results(own).wait(timeout=5, progress=False)
    assert len(reliable.traffic.records) == reads


def test_arun_with_a_sync_client_on_the_users_own_client_says_to_pass_an_async_one(
    reliable: Sandbox, tmp_path: Path
) -> None:
    own = ConvoiClient(api_key=reliable.api_key, base_url=reliable.url, http_client=httpx.Client())
    with pytest.raises(ConfigurationError, match=r"pass an AsyncConvoiClient.*to_async\(http_client="):
        asyncio.run(Experiment("sync-own", AGENT, VARIANTS, 1, store=tmp_path / "r.sqlite3").arun(own, progress=False))
    assert reliable.traffic.records == [] and not (tmp_path / "r.sqlite3").exists()
