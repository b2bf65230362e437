"""`timeout` bounds a whole attempt, retries have a documented worst case, and wait() keeps its deadline."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import APITimeoutError, ConvoiClient, ExperimentError, RetryPolicy
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sandbox import FaultConfig, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id
NO_RETRY = RetryPolicy(max_retries=0)


@pytest.fixture(params=["headers", "body"])
def trickling_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A server that answers one byte every 0.1 s, in the headers or in the body: no single read ever waits long."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n"
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.1)

    def trickle(connection: socket.socket) -> None:
        with connection:
            connection.recv(65536)
            payload = head + b" " * 4000 if request.param == "headers" else head
            if request.param == "body":
                connection.sendall(head)
                payload = b" " * 4000
            for byte in payload:
                if stop.wait(0.1):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=trickle, args=(connection,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    listener.close()


def test_timeout_bounds_the_whole_attempt(client_factory: Callable[..., Any], trickling_server: str) -> None:
    client = client_factory(api_key="sk_test_key", base_url=trickling_server, timeout=1.0, retry=NO_RETRY)
    started = time.monotonic()
    with pytest.raises(APITimeoutError) as info:
        client.get_call("call_slow")
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.0, elapsed  # per-read timeouts alone would wait 400 s for this answer
    assert isinstance(info.value, TimeoutError)


def test_retries_multiply_the_attempt_bound(client_factory: Callable[..., Any], trickling_server: str) -> None:
    policy = RetryPolicy(max_retries=1, initial_backoff=0.05, max_backoff=0.05)
    client = client_factory(api_key="sk_test_key", base_url=trickling_server, timeout=0.5, retry=policy)
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        client.get_call("call_slow")
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed <= policy.worst_case_seconds(0.5) + 1.5, elapsed


def test_documented_worst_case() -> None:
    # docs/explanation/idempotency-and-reconciliation.md: 4 attempts of 30 s plus backoff 0.5 + 1 + 2 s; a server's
    # Retry-After may stretch each wait to 60 s.
    assert RetryPolicy().worst_case_seconds(30.0, honour_retry_after=False) == 123.5
    assert RetryPolicy().worst_case_seconds(30.0) == 300.0


def test_wait_keeps_its_timeout_when_the_server_stops_answering(tmp_path: Path) -> None:
    with Sandbox(SandboxSettings(time_scale=0.001)) as sandbox:  # calls that stay in progress
        client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
        results = Experiment("frozen", AGENT, [Variant("a")], 2, store=tmp_path / "r.sqlite3").run(
            client, progress=False
        )
        sandbox.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=3.0))  # every answer now takes 3 s
        started = time.monotonic()
        with pytest.raises(TimeoutError, match="2 of 2 calls"):
            results.wait(timeout=1.0, progress=False)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed  # not the client's 30 s timeout, not the server's 3 s


def test_run_against_a_frozen_server_gives_up_within_its_bound(tmp_path: Path) -> None:
    with Sandbox() as sandbox:
        sandbox.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=3.0))
        client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, timeout=0.5, retry=NO_RETRY)
        experiment = Experiment(
            "frozen-run", AGENT, [Variant("a"), Variant("b", {"tts": {"speed": 1.2}})], 2, store=tmp_path / "r.sqlite3"
        )
        started = time.monotonic()
        with pytest.raises(ExperimentError, match="could not list.*Timeout.*nothing was created"):
            experiment.run(client, concurrency=4, progress=False)
        elapsed = time.monotonic() - started
        assert sandbox.traffic.count("POST") == 0
    assert elapsed <= NO_RETRY.worst_case_seconds(0.5) + 1.0, elapsed  # one bound: the checking list
