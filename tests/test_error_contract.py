"""The error contract, package-wide: each public function and method, fed its documented bad inputs, raises the
`ConvoiError` subclass the contract names (input errors are also `ValueError`s, timeouts `TimeoutError`s) with a
message naming the parameter; never a bare built-in (`ValueError`, `TypeError`, `KeyError`, `RuntimeError`,
`OSError`) nor a library's exception (pydantic, sqlite3, duckdb, httpx). Each error, as raised, also pickles intact.

The contract, as `convoi_nb.errors` draws it: a setting (client option, environment variable, sandbox setting) is
a `ConfigurationError`; an argument or request field refused before anything is sent is a `ValidationError`; an
experiment that cannot run as defined is an `ExperimentError`; an export folder that cannot be used is a
`DatasetError`; a wait that runs out of time is a `WaitTimeoutError`; a sandbox that is not running is a
`SandboxError`; what the server refuses is its `APIStatusError`.

A case marked `xfail(strict=True, reason="fixed by <area> branch")` fails here only because that area's code, which
another branch is fixing, still raises a bare error; the marks come off after the merge.
"""

from __future__ import annotations

import asyncio
import inspect
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import convoi_nb
from convoi_nb import (
    AgentOverrides,
    AsyncConvoiClient,
    ConvoiClient,
    LLMSettings,
    RetryPolicy,
    TTSSettings,
    WebCallRequest,
    build_web_call,
    errors,
)
from convoi_nb.errors import (
    AuthenticationError,
    ConfigurationError,
    ConvoiError,
    DatasetError,
    ExperimentError,
    MixedCurrencyError,
    NotFoundError,
    SandboxError,
    ValidationError,
    WaitTimeoutError,
)
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.money import Money, total
from convoi_nb.sandbox import FaultConfig, ManualClock, Sandbox, SandboxSettings, default_seed
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id
KEY = "sk_test_0123456789abcdef"
# An experiment's input errors: the experiments branch chooses between the two, both `ValueError`s.
EXPERIMENT_INPUT = (ExperimentError, ValidationError)
CLIENT, EXPERIMENTS, REVIEW, SANDBOX = "client", "experiments", "review", "sandbox"


@dataclass(frozen=True)
class Case:
    """One documented bad input: what is called, the error the contract names, and the text its message holds."""

    id: str
    call: Callable[..., Any]
    error: type[ConvoiError] | tuple[type[ConvoiError], ...]
    names: str  # the parameter (or value) the message must name
    builtin: type[BaseException] | None = ValueError  # the built-in it also is; None: none promised
    fixed_by: str | None = None  # the branch fixing a bare error still raised here


def params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(
            case,
            id=case.id,
            marks=[pytest.mark.xfail(strict=True, reason=f"fixed by {case.fixed_by} branch")] if case.fixed_by else [],
        )
        for case in cases
    ]


def check(case: Case, *args: Any) -> ConvoiError:
    """Call the case; it must raise its error, and nothing else."""
    try:
        result = case.call(*args)
        if inspect.isawaitable(result):
            result = asyncio.run(_awaited(result))
        if isinstance(result, Iterator):
            list(result)
    except ConvoiError as exc:
        assert isinstance(exc, case.error), f"{case.id}: {type(exc).__name__}, not {case.error}: {exc}"
        if case.builtin is not None:
            assert isinstance(exc, case.builtin), f"{case.id}: {type(exc).__name__} is not a {case.builtin.__name__}"
        assert case.names in str(exc), f"{case.id}: the message does not name {case.names!r}: {exc}"
        copy = pickle.loads(pickle.dumps(exc))  # as raised, it reaches a parent process intact
        assert type(copy) is type(exc) and str(copy) == str(exc) and vars(copy) == vars(exc)
        return exc
    except BaseException as exc:  # the point: anything else is a broken contract
        kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
        pytest.fail(f"{case.id}: raised a bare {kind}, not {case.error}: {exc}")
    pytest.fail(f"{case.id}: raised nothing, expected {case.error}")


async def _awaited(result: Any) -> Any:
    return await result


# -- the client's configuration: ConvoiClient(...), AsyncConvoiClient(...), connect(...) ------------------------


def _client(kind: type, **options: Any) -> Any:
    return kind(**{"api_key": KEY, "base_url": "https://api.example.com", **options})


CONFIGURATION = [
    Case("base_url-ftp", lambda kind: _client(kind, base_url="ftp://api.example.com"), ConfigurationError, "base_url"),
    Case("base_url-no-host", lambda kind: _client(kind, base_url="https://"), ConfigurationError, "base_url"),
    Case("base_url-not-text", lambda kind: _client(kind, base_url=42), ConfigurationError, "base_url"),
    Case(
        "base_url-credentials",
        lambda kind: _client(kind, base_url="https://user:secret@api.example.com"),
        ConfigurationError,
        "base_url",
    ),
    Case("api_key-newline", lambda kind: _client(kind, api_key=KEY + "\n"), ConfigurationError, "API key"),
    Case("timeout-zero", lambda kind: _client(kind, timeout=0), ConfigurationError, "timeout"),
    Case("timeout-negative", lambda kind: _client(kind, timeout=-1.0), ConfigurationError, "timeout"),
    Case("timeout-nan", lambda kind: _client(kind, timeout=float("nan")), ConfigurationError, "timeout"),
    Case("timeout-text", lambda kind: _client(kind, timeout="10"), ConfigurationError, "timeout"),
    Case("timeout-bool", lambda kind: _client(kind, timeout=True), ConfigurationError, "timeout"),
    Case("max_retries-negative", lambda kind: _client(kind, max_retries=-1), ConfigurationError, "max_retries"),
    Case("max_retries-float", lambda kind: _client(kind, max_retries=1.5), ConfigurationError, "max_retries"),
    Case("max_retries-text", lambda kind: _client(kind, max_retries="3"), ConfigurationError, "max_retries"),
    Case(
        "max_retries-bool",
        lambda kind: _client(kind, max_retries=True),
        ConfigurationError,
        "max_retries",
    ),
    Case("retry-not-a-policy", lambda kind: _client(kind, retry="fast"), ConfigurationError, "retry"),
    Case(
        "confirm_runs_over-negative",
        lambda kind: _client(kind, confirm_runs_over=-1),
        ConfigurationError,
        "confirm_runs_over",
    ),
]

RETRY_POLICY = [
    Case("negative", lambda: RetryPolicy(max_retries=-1), ConfigurationError, "max_retries"),
    Case("backoff-order", lambda: RetryPolicy(initial_backoff=2.0, max_backoff=1.0), ConfigurationError, "backoff"),
    Case(
        "backoff-text",
        lambda: RetryPolicy(initial_backoff="1"),
        ConfigurationError,
        "initial_backoff",
    ),
    Case(
        "backoff-nan",
        lambda: RetryPolicy(max_backoff=float("nan")),
        ConfigurationError,
        "max_backoff",
    ),
]

CONNECT = [
    Case(
        "base_url-ftp",
        lambda: convoi_nb.connect(api_key=KEY, base_url="ftp://api.example.com"),
        ConfigurationError,
        "base_url",
    ),
    Case("key-without-url", lambda: convoi_nb.connect(api_key=KEY), ConfigurationError, "base_url"),
    Case("url-without-key", lambda: convoi_nb.connect(base_url="https://x.example"), ConfigurationError, "api_key"),
    Case("no-sandbox-no-service", lambda: convoi_nb.connect(sandbox=False), ConfigurationError, "api_key"),
    Case(
        "timeout",
        lambda: convoi_nb.connect(api_key=KEY, base_url="https://x.example", timeout=-1),
        ConfigurationError,
        "timeout",
    ),
    Case(
        "aconnect-base_url",
        lambda: convoi_nb.aconnect(api_key=KEY, base_url="ftp://api.example.com"),
        ConfigurationError,
        "base_url",
    ),
]


@pytest.mark.parametrize("kind", [ConvoiClient, AsyncConvoiClient], ids=["sync", "async"])
@pytest.mark.parametrize("case", params(CONFIGURATION))
def test_client_configuration(case: Case, kind: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    check(case, kind)


@pytest.mark.parametrize("case", params(RETRY_POLICY))
def test_retry_policy(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", params(CONNECT))
def test_connect(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    check(case)


# -- the client's requests, over real HTTP against the embedded sandbox -------------------------------------------


REQUEST = build_web_call(AGENT)
REFUSED_BEFORE_SENDING = [
    Case("agent_id-format", lambda api: api.create_web_call("agent_1"), ValidationError, "agent_id"),
    Case("agent_id-none", lambda api: api.create_web_call(None), ValidationError, "agent_id"),
    Case("agent_id-number", lambda api: api.create_web_call(42), ValidationError, "agent_id"),
    Case(
        "overrides-not-a-dict",
        lambda api: api.create_web_call(AGENT, agent_overrides="be nice"),
        ValidationError,
        "agent_overrides",
    ),
    Case(
        "overrides-unknown-key",
        lambda api: api.create_web_call(AGENT, agent_overrides={"voice": "rachel"}),
        ValidationError,
        "agent_overrides.voice",
    ),
    Case(
        "overrides-temperature",
        lambda api: api.create_web_call(AGENT, agent_overrides={"llm": {"temperature": 2.5}}),
        ValidationError,
        "agent_overrides.llm.temperature",
    ),
    Case(
        "overrides-nan-setting",
        lambda api: api.create_web_call(AGENT, agent_overrides={"tts": {"stability": float("nan")}}),
        ValidationError,
        "agent_overrides.tts.stability",
    ),
    Case(
        "overrides-knowledge-base",
        lambda api: api.create_web_call(AGENT, agent_overrides={"knowledge_base_ids": ["kb_1"]}),
        ValidationError,
        "agent_overrides.knowledge_base_ids[0]",
    ),
    Case("metadata-list", lambda api: api.create_web_call(AGENT, metadata=["a"]), ValidationError, "metadata"),
    Case(
        "metadata-nested",
        lambda api: api.create_web_call(AGENT, metadata={"tags": ["a"]}),
        ValidationError,
        "metadata",
    ),
    Case(
        "metadata-too-many",
        lambda api: api.create_web_call(AGENT, metadata={f"k{i}": i for i in range(51)}),
        ValidationError,
        "metadata",
    ),
    Case(
        "participant_name-empty",
        lambda api: api.create_web_call(AGENT, participant_name=""),
        ValidationError,
        "participant_name",
    ),
    Case(
        "idempotency_key-text",
        lambda api: api.create_web_call(AGENT, idempotency_key="not-a-uuid"),
        ValidationError,
        "idempotency_key",
    ),
    Case(
        "idempotency_key-number",
        lambda api: api.create_web_call(AGENT, idempotency_key=12345),
        ValidationError,
        "idempotency_key",
    ),
    Case(
        "request-and-fields",
        lambda api: api.create_web_call(REQUEST, metadata={"a": 1}),
        ValidationError,
        "agent_id",
    ),
    Case("call_id-format", lambda api: api.get_call("abc"), ValidationError, "call_id"),
    Case("call_id-path", lambda api: api.get_call("call_../../agents"), ValidationError, "call_id"),
    Case("call_id-none", lambda api: api.get_call(None), ValidationError, "call_id"),
    Case("list-page_size", lambda api: api.list_calls(page_size=0), ValidationError, "page_size"),
    Case("list-unknown-filter", lambda api: api.list_calls(colour="red"), ValidationError, "colour"),
    Case("list-time-text", lambda api: api.list_calls(created_after="yesterday"), ValidationError, "created_after"),
    Case(
        "list-naive-time",
        lambda api: api.list_calls(created_before=datetime(2026, 1, 1)),
        ValidationError,
        "created_before",
    ),
    Case(
        "list-times-reversed",
        lambda api: api.list_calls(
            created_after=datetime(2026, 2, 1, tzinfo=timezone.utc),
            created_before=datetime(2026, 1, 1, tzinfo=timezone.utc),
        ),
        ValidationError,
        "created_after",
    ),
    Case("list-metadata-value", lambda api: api.list_calls(metadata={"a": [1]}), ValidationError, "metadata"),
]

REFUSED_BY_THE_SERVER = [
    Case("unknown-call", lambda api: api.get_call("call_doesnotexist"), NotFoundError, "call_doesnotexist", None),
    Case("unknown-agent", lambda api: api.create_web_call("agt_doesnotexist"), NotFoundError, "agt_doesnotexist", None),
]


@pytest.mark.parametrize("case", params(REFUSED_BEFORE_SENDING))
def test_client_requests_refused_before_sending(case: Case, api: Any, sandbox: Sandbox) -> None:
    sent = sandbox.traffic.count()
    check(case, api)
    assert sandbox.traffic.count() == sent, "nothing is sent"


@pytest.mark.parametrize("case", params(REFUSED_BY_THE_SERVER))
def test_client_requests_refused_by_the_server(case: Case, api: Any) -> None:
    check(case, api)


def test_a_wrong_key_is_an_authentication_error(client_factory: Callable[..., Any], sandbox: Sandbox) -> None:
    api = client_factory(api_key=KEY, base_url=sandbox.url)
    check(Case("wrong-key", lambda: api.get_call("call_x"), AuthenticationError, "401", None))


# -- the models, built directly -----------------------------------------------------------------------------------


def _assign_llm(value: Any) -> None:
    AgentOverrides().llm = value


MODELS = [
    Case("request-agent_id", lambda: WebCallRequest(type="web", agent_id="agent_1"), ValidationError, "agent_id"),
    Case("request-type", lambda: WebCallRequest(type="phone", agent_id=AGENT), ValidationError, "type"),
    Case("request-missing", lambda: WebCallRequest(type="web"), ValidationError, "agent_id"),
    Case(
        "request-nested",
        lambda: WebCallRequest(type="web", agent_id=AGENT, agent_overrides={"llm": {"temperature": 3}}),
        ValidationError,
        "agent_overrides.llm.temperature",
    ),
    Case("overrides-unknown-key", lambda: AgentOverrides(voice="rachel"), ValidationError, "voice"),
    Case("overrides-typo-nested", lambda: AgentOverrides(tts={"speed": -1}), ValidationError, "tts.speed"),
    Case("llm-temperature", lambda: LLMSettings(temperature=3), ValidationError, "temperature"),
    Case("llm-model-empty", lambda: LLMSettings(model=""), ValidationError, "model"),
    Case("tts-speed", lambda: TTSSettings(speed=0), ValidationError, "speed"),
    Case("tts-extra-nan", lambda: TTSSettings(stability=float("nan")), ValidationError, "stability"),
    Case("assignment", lambda: _assign_llm({"temperature": 9}), ValidationError, "llm.temperature"),
    Case(
        "build_web_call",
        lambda: build_web_call(AGENT, metadata={"note": "x" * 1001}),
        ValidationError,
        "metadata",
    ),
]


@pytest.mark.parametrize("case", params(MODELS))
def test_models(case: Case) -> None:
    error = check(case)
    assert isinstance(error, errors.ValidationError) and error.errors, "each field and rule listed"


# -- money ---------------------------------------------------------------------------------------------------------

MONEY = [
    Case(
        "add-two-currencies",
        lambda: Money(Decimal(1), "USD") + Money(Decimal(1), "EUR"),
        MixedCurrencyError,
        "EUR",
    ),
    Case("total-two-currencies", lambda: total([(1, "USD"), (2, "EUR")]), MixedCurrencyError, "EUR"),
    Case("total-other-currency", lambda: total([(1, "USD")], "EUR"), MixedCurrencyError, "EUR"),
    Case("amount-text", lambda: total([("abc", "USD")]), ValidationError, "amount"),
    Case("amount-none", lambda: total([(None, "USD")]), ValidationError, "amount"),
    Case("amount-bool", lambda: total([(True, "USD")]), ValidationError, "amount"),
    Case("amount-nan", lambda: total([(float("nan"), "USD")]), ValidationError, "amount"),
    Case("money-infinite", lambda: Money(Decimal("Infinity"), "USD"), ValidationError, "amount"),
    Case("money-currency", lambda: Money(Decimal(1), ""), ValidationError, "currency"),
    Case("total-not-pairs", lambda: total([1, 2]), ValidationError, "items[0]"),
    Case("total-none", lambda: total(None), ValidationError, "items"),
]


@pytest.mark.parametrize("case", params(MONEY))
def test_money(case: Case) -> None:
    check(case)


# -- experiments ---------------------------------------------------------------------------------------------------

START = datetime(2026, 11, 2, 7, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def still_sandbox() -> Iterator[Sandbox]:
    """A sandbox whose clock never moves: its calls stay `initiated`, so a wait for them times out."""
    with Sandbox(SandboxSettings(clock=ManualClock(START))) as server:
        yield server


@pytest.fixture(scope="module")
def experiment_run(still_sandbox: Sandbox) -> Iterator[tuple[Experiment, Any, ConvoiClient]]:
    with ConvoiClient(api_key=still_sandbox.api_key, base_url=still_sandbox.url) as client:
        experiment = Experiment(
            "contract", AGENT, [Variant("a"), Variant("b", {"llm": {"temperature": 0.2}})], 1, store=":memory:"
        )
        yield experiment, experiment.run(client, progress=False), client


def _grid_base_conflict() -> Any:
    return Variant.grid({"llm": {"model": "gpt-4o"}}, {"llm.model.name": ["x"]})


DESIGN = [
    Case("variant-name", lambda: Variant(""), ValidationError, "name"),
    Case("variant-overrides", lambda: Variant("a", {"voice": "x"}), ValidationError, "voice"),
    Case("variant-metadata", lambda: Variant("a", metadata={"tags": [1]}), ValidationError, "metadata"),
    Case("grid-no-axes", lambda: Variant.grid(), EXPERIMENT_INPUT, "axis"),
    Case(
        "grid-empty-axis",
        lambda: Variant.grid(axes={"llm.model": []}),
        EXPERIMENT_INPUT,
        "llm.model",
    ),
    Case("grid-unknown-path", lambda: Variant.grid(axes={"voice": ["rachel"]}), ValidationError, "voice"),
    Case("grid-path-through-a-value", _grid_base_conflict, EXPERIMENT_INPUT, "llm.model"),
    Case("grid-bad-value", lambda: Variant.grid(axes={"tts.speed": [0]}), ValidationError, "tts.speed"),
    Case("experiment-name", lambda: Experiment("", AGENT, [Variant("a")]), EXPERIMENT_INPUT, "name"),
    Case("experiment-no-variants", lambda: Experiment("e", AGENT, []), EXPERIMENT_INPUT, "variant"),
    Case(
        "experiment-duplicate-variants",
        lambda: Experiment("e", AGENT, [Variant("a"), Variant("a")]),
        EXPERIMENT_INPUT,
        "a",
    ),
    Case("replicates-zero", lambda: Experiment("e", AGENT, [Variant("a")], 0), EXPERIMENT_INPUT, "replicates"),
    Case("replicates-negative", lambda: Experiment("e", AGENT, [Variant("a")], -2), EXPERIMENT_INPUT, "replicates"),
    Case("replicates-text", lambda: Experiment("e", AGENT, [Variant("a")], "5"), EXPERIMENT_INPUT, "replicates"),
    Case(
        "replicates-bool",
        lambda: Experiment("e", AGENT, [Variant("a")], True),
        EXPERIMENT_INPUT,
        "replicates",
    ),
    Case("variant-overrides-list", lambda: Variant("a", [1]), ValidationError, "overrides"),
    Case("variant-metadata-list", lambda: Variant("a", metadata=[1]), ValidationError, "metadata"),
    Case("grid-axes-list", lambda: Variant.grid(None, [1]), ValidationError, "axes"),
    Case("grid-base-number", lambda: Variant.grid(5, {"llm.model": ["a"]}), ValidationError, "base"),
    Case("grid-axis-a-string", lambda: Variant.grid(None, {"llm.model": "gpt-4o"}), ValidationError, "llm.model"),
    Case("grid-axis-a-number", lambda: Variant.grid(None, {"tts.speed": 1.2}), ValidationError, "tts.speed"),
    Case("grid-axis-repeated", lambda: Variant.grid(None, {"llm.model": ["a", "a"]}), ValidationError, "llm.model"),
    Case("experiment-agent-number", lambda: Experiment("e", 5, [Variant("a")]), ValidationError, "agent_id"),
    Case("experiment-variants-text", lambda: Experiment("e", AGENT, "ab"), ValidationError, "variants"),
    Case("experiment-store-number", lambda: Experiment("e", AGENT, [Variant("a")], store=5), ValidationError, "store"),
    Case(
        "experiment-metadata-list",
        lambda: Experiment("e", AGENT, [Variant("a")], metadata=[1]),
        ValidationError,
        "metadata",
    ),
]

RESULTS = [
    Case(
        "wait-timeout-zero",
        lambda r: r.wait(timeout=0, progress=False),
        EXPERIMENT_INPUT,
        "timeout",
    ),
    Case(
        "wait-timeout-text",
        lambda r: r.wait(timeout="soon", progress=False),
        EXPERIMENT_INPUT,
        "timeout",
    ),
    Case(
        "wait-concurrency",
        lambda r: r.wait(concurrency=0, progress=False),
        EXPERIMENT_INPUT,
        "concurrency",
    ),
    Case("wait-until", lambda r: r.wait("done", progress=False), EXPERIMENT_INPUT, "until"),
    Case(
        "wait-times-out",
        lambda r: r.wait(timeout=0.3, progress=False),
        WaitTimeoutError,
        "",
        TimeoutError,
    ),
    Case("compare-baseline", lambda r: r.compare("nope"), EXPERIMENT_INPUT, "nope"),
    Case("compare-level", lambda r: r.compare(level=1.5), EXPERIMENT_INPUT, "level"),
    Case("summary-level", lambda r: r.summary(level=0), EXPERIMENT_INPUT, "level"),
    Case("verdict-power", lambda r: r.verdict(power=1), EXPERIMENT_INPUT, "power"),
    Case("plan-detect", lambda r: r.plan(detect=0), EXPERIMENT_INPUT, "detect"),
]


@pytest.mark.parametrize("case", params(DESIGN))
def test_experiment_design(case: Case) -> None:
    check(case)


@pytest.mark.parametrize("case", params(RESULTS))
def test_experiment_results(case: Case, experiment_run: tuple[Experiment, Any, ConvoiClient]) -> None:
    check(case, experiment_run[1])


def test_experiment_run_arguments(experiment_run: tuple[Experiment, Any, ConvoiClient]) -> None:
    experiment, _, client = experiment_run
    check(
        Case(
            "concurrency",
            lambda: experiment.run(client, concurrency=0, progress=False),
            EXPERIMENT_INPUT,
            "concurrency",
        )
    )


def _listening(experiment: Experiment, **options: Any) -> Any:
    from convoi_nb.sessions import ListeningSession

    return ListeningSession(experiment, **{"rater": "ana", "calls_per_variant": 1, **options})


EXPERIMENT_CALLS = [
    Case("run-no-client", lambda e, c: e.run(None, progress=False), ValidationError, "client"),
    Case("arun-no-client", lambda e, c: e.arun(None, progress=False), ValidationError, "client"),
    Case("on_progress-number", lambda e, c: e.run(c, progress=False, on_progress=5), ValidationError, "on_progress"),
    Case("estimate-wait_timeout", lambda e, c: e.estimate(c, wait_timeout=-1), ValidationError, "wait_timeout"),
    Case("plan-wait_timeout", lambda e, c: e.plan(c, wait_timeout=0), ValidationError, "wait_timeout"),
    Case("results-client-number", lambda e, c: e.results(5), ValidationError, "client"),
    Case("create_cell-negative", lambda e, c: e.create_cell(c, "a", -7), ValidationError, "replicate"),
    Case("create_cell-past-the-design", lambda e, c: e.create_cell(c, "a", 1), ValidationError, "replicate"),
    Case(
        "create_cell-negative-listening",
        lambda e, c: e.create_cell(c, "a", -1, "listening"),
        ValidationError,
        "replicate",
    ),
    Case("create_cell-kind", lambda e, c: e.create_cell(c, "a", 0, "extra"), ValidationError, "kind"),
    Case("create_cell-async-client", lambda e, c: e.create_cell(c.to_async(), "a", 0), ValidationError, "client"),
    Case("session-criteria-number", lambda e, c: _listening(e, criteria=5), ValidationError, "criteria"),
    Case("session-rate-none", lambda e, c: _listening(e, criteria=["x"]).rate(None), ValidationError, "scores"),
    Case(
        "session-rate-before-start",
        lambda e, c: _listening(e, rater="early", criteria=["x"]).rate({"x": 3}),
        ExperimentError,
        "start(client)",
    ),
]


@pytest.mark.parametrize("case", params(EXPERIMENT_CALLS))
def test_experiment_calls(case: Case, experiment_run: tuple[Experiment, Any, ConvoiClient]) -> None:
    experiment, _, client = experiment_run
    check(case, experiment, client)


# -- review --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(still_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contract") / "calls"
    with ConvoiClient(api_key=still_sandbox.api_key, base_url=still_sandbox.url) as client:
        client.create_web_call(AGENT, metadata={"source": "contract"})
        client.export_calls(folder)
    return folder


@pytest.fixture(scope="module")
def review(exported: Path) -> Iterator[Any]:
    from convoi_nb.review import Review

    with Review(exported) as opened:
        yield opened


def _review_of(path: Path) -> Any:
    from convoi_nb.review import Review

    return Review(path)


OPENING = [
    Case("missing-folder", lambda folder: _review_of(folder / "nope"), DatasetError, "nope", None),
    Case("a-file", lambda folder: _review_of(folder / "_manifest.json"), DatasetError, "_manifest.json", None),
    Case("not-an-export", lambda folder: _review_of(folder.parent), DatasetError, "export", None),
]

QUESTIONS = [
    Case("top_calls-negative", lambda r: r.top_calls(-1), ValidationError, "n"),
    Case("top_calls-text", lambda r: r.top_calls("10"), ValidationError, "n"),
    Case("top_calls-huge", lambda r: r.top_calls(10**30), ValidationError, "n"),
    Case("period_change-unknown", lambda r: r.period_change("year"), ValidationError, "period"),
    Case("period_change-list", lambda r: r.period_change(["week"]), ValidationError, "period"),
    Case("cost_by-unknown", lambda r: r.cost_by("colour"), ValidationError, "by"),
    Case("cost_by-unknown-metadata", lambda r: r.cost_by("metadata.nope"), ValidationError, "nope"),
    Case("cost_by-list", lambda r: r.cost_by(["agent", "colour"]), ValidationError, "by"),
    Case("sql-unknown-query", lambda r: r.sql("biggest"), ValidationError, "biggest"),
    Case("sql-unknown-dialect", lambda r: r.sql("top_calls", dialect="oracle"), ValidationError, "dialect"),
    Case("sql-missing-parameter", lambda r: r.sql("cost_by"), ValidationError, "by"),
    Case("query-bad-sql", lambda r: r.query("SELECT nope FROM calls"), ValidationError, "nope"),
]


@pytest.mark.parametrize("case", params(OPENING))
def test_review_opening(case: Case, exported: Path) -> None:
    check(case, exported)


@pytest.mark.parametrize("case", params(QUESTIONS))
def test_review_questions(case: Case, review: Any) -> None:
    check(case, review)


def test_export_into_a_file(still_sandbox: Sandbox, exported: Path) -> None:
    with ConvoiClient(api_key=still_sandbox.api_key, base_url=still_sandbox.url) as client:
        check(Case("export-file", lambda: client.export_calls(exported / "_manifest.json"), DatasetError, "file", None))


# -- the sandbox ---------------------------------------------------------------------------------------------------


def _seed_from(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("CONVOI_SANDBOX_SEED", "forty-two")
    return default_seed()


SANDBOX_SETTINGS = [
    Case("time_scale-zero", lambda: SandboxSettings(time_scale=0), ConfigurationError, "time_scale"),
    Case(
        "time_scale-text",
        lambda: SandboxSettings(time_scale="fast"),
        ConfigurationError,
        "time_scale",
    ),
    Case(
        "rates-over-one",
        lambda: SandboxSettings(expire_rate=0.7, fail_rate=0.7),
        ConfigurationError,
        "fail_rate",
    ),
    Case("api_key-short", lambda: SandboxSettings(api_key="short"), ConfigurationError, "api_key"),
    Case("fault-rate", lambda: FaultConfig(error_rate=1.5), ConfigurationError, "error_rate"),
    Case(
        "fault-rates-sum",
        lambda: FaultConfig(error_rate=0.6, drop_rate=0.6),
        ConfigurationError,
        "drop_rate",
    ),
    Case("remote-host", lambda: Sandbox(host="0.0.0.0"), ConfigurationError, "allow_remote"),
]


@pytest.mark.parametrize("case", params(SANDBOX_SETTINGS))
def test_sandbox_settings(case: Case) -> None:
    check(case)


def test_sandbox_seed_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    check(Case("seed-env", lambda: _seed_from(monkeypatch), ConfigurationError, "CONVOI_SANDBOX_SEED"))


def test_a_sandbox_not_started_has_no_port() -> None:
    server = Sandbox(SandboxSettings())
    try:
        check(Case("port", lambda: server.port, SandboxError, "start", RuntimeError))
    finally:
        server.service.store.close()


SANDBOX_METHODS = [
    Case(
        "expected-unknown-agent",
        lambda s: s.expected_outcome("agt_nope"),
        ValidationError,
        "agt_nope",
    ),
    Case(
        "expected-bad-overrides",
        lambda s: s.expected_outcome(AGENT, {"voice": "x"}),
        ValidationError,
        "voice",
    ),
    Case("history-negative", lambda s: s.generate_history(-1), ValidationError, "n"),
    Case("history-days", lambda s: s.generate_history(1, days=0), ValidationError, "days"),
    Case(
        "history-api_key",
        lambda s: s.generate_history(1, api_key="sk_nope"),
        ValidationError,
        "api_key",
    ),
]


@pytest.mark.parametrize("case", params(SANDBOX_METHODS))
def test_sandbox_methods(case: Case, still_sandbox: Sandbox) -> None:
    check(case, still_sandbox)
