"""Shared fixtures: a real sandbox server over loopback HTTP, and sync/async clients on it."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from convoi_nb import AsyncConvoiClient, ConvoiClient, RetryPolicy
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

if TYPE_CHECKING:
    from .background import BackgroundJob, Step
    from .notebook_runs import CloneRun

FAST_RETRY = RetryPolicy(max_retries=3, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(db_path=":memory:")) as server:
        yield server


@pytest.fixture()
def fresh_sandbox() -> Iterator[Sandbox]:
    """A sandbox of its own, for tests that inject faults or count calls."""
    with Sandbox(SandboxSettings(db_path=":memory:")) as server:
        yield server


@pytest.fixture(scope="session")
def agent_id() -> str:
    return DEFAULT_ACCOUNT.agents[0].id


class AsyncFacade:
    """Drives an AsyncConvoiClient through the sync surface, so one test body checks both clients."""

    def __init__(self, client: AsyncConvoiClient) -> None:
        self.client = client
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def run(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.isasyncgen(result):

                async def collect() -> list:
                    return [item async for item in result]

                return iter(self.loop.run_until_complete(collect()))
            if inspect.isawaitable(result):
                return self.loop.run_until_complete(result)
            return result

        return run

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()

    def __repr__(self) -> str:
        return repr(self.client)


def make_client(kind: str, **options: Any) -> Any:
    """A sync client, or an async one behind `AsyncFacade`; `transport=` plugs an httpx MockTransport."""
    transport = options.pop("transport", None)
    options.setdefault("retry", FAST_RETRY)
    if kind == "sync":
        http = httpx.Client(transport=transport) if transport else None
        return ConvoiClient(http_client=http, **options)
    http_async = httpx.AsyncClient(transport=transport) if transport else None
    return AsyncFacade(AsyncConvoiClient(http_client=http_async, **options))


@pytest.fixture(params=["sync", "async"])
def client_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def factory(**options: Any) -> Any:
        client = make_client(request.param, **options)
        made.append(client)
        return client

    yield factory
    for client in made:
        client.close()


@pytest.fixture()
def api(client_factory: Callable[..., Any], sandbox: Sandbox) -> Any:
    """A sync or async client (both run every test) on the shared sandbox."""
    return client_factory(api_key=sandbox.api_key, base_url=sandbox.url)


# -- long jobs that run in the background from the end of collection (tests/background.py) -------------------

_JOBS = pytest.StashKey[dict[str, tuple["Path", "BackgroundJob"]]]()


def _job_makers() -> dict[str, Callable[[Path], BackgroundJob]]:
    """The fixtures whose work starts in the background, and what makes each job."""
    from .binder_install import binder_install
    from .notebook_runs import notebooks_in_a_clone

    return {"binder_install": binder_install, "notebooks_run_in_a_clone": notebooks_in_a_clone}


def _start_job(config: pytest.Config, fixture: str) -> tuple[Path, BackgroundJob]:
    jobs = config.stash.setdefault(_JOBS, {})
    if fixture not in jobs:
        folder = config._tmp_path_factory.mktemp(fixture)
        job = _job_makers()[fixture](folder)
        job.after = next(reversed(jobs.values()))[1] if jobs else None  # one after another
        jobs[fixture] = (folder, job.start())
    return jobs[fixture]


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or hasattr(session.config, "workerinput"):
        return  # nothing runs here, or a pytest-xdist worker that may never get the tests: their fixtures start it
    wanted = {name for item in session.items for name in getattr(item, "fixturenames", ())}
    for fixture in sorted(wanted & set(_job_makers())):
        _start_job(session.config, fixture)


@pytest.fixture()
def binder_install(request: pytest.FixtureRequest) -> dict[str, Step]:
    """Binder's install steps in a fresh venv (tests/binder_install.py), once they have all ended."""
    from .background import STEP_TIMEOUT

    _, job = _start_job(request.config, "binder_install")
    return job.wait(timeout=6 * STEP_TIMEOUT)  # its 3 steps, maybe after the other job


@pytest.fixture(scope="session")
def notebooks_run_in_a_clone(request: pytest.FixtureRequest) -> CloneRun:
    """Every bundled notebook run once in a fresh git clone (tests/notebook_runs.py), for the tests that read it."""
    from .background import STEP_TIMEOUT
    from .notebook_runs import load

    folder, job = _start_job(request.config, "notebooks_run_in_a_clone")
    steps = job.wait(timeout=6 * STEP_TIMEOUT)  # its step, maybe after the other job's 3
    assert steps["run"].returncode == 0, steps["run"].stderr[-6000:]
    return load(folder)


# -- a last look for leaked credentials -----------------------------------------------------------------
# Every file the run leaves in pytest's temporary folders (results stores, exports, executed notebooks) and
# every log record of the whole run are searched for the sandbox API keys and for full JWTs (LiveKit tokens).
# Sandbox databases are the server's own records of the tokens it minted, and the package's source (in a
# test's fresh venv, or a copy a test made) holds the documented demo keys, so neither is searched.
import logging  # noqa: E402
import re  # noqa: E402

from convoi_nb.sandbox.accounts import DOCUMENTED_KEYS  # noqa: E402

_JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
_SERVER_FILES = re.compile(r"sandbox.*\.sqlite3")


class _AllRecords(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.texts.append(record.getMessage())
        except Exception:
            pass


_RECORDS = _AllRecords()


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.getLogger().addHandler(_RECORDS)
    logging.getLogger("convoi_nb").setLevel(logging.DEBUG)


def leaks_in(data: bytes) -> list[str]:
    found = [key for key in DOCUMENTED_KEYS if key.encode() in data]
    return found + (["a JWT"] if _JWT.search(data) else [])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for _, job in session.config.stash.get(_JOBS, {}).values():  # a job whose test was not reached: ended
        job.stop()  # before its files are read
    logging.getLogger().removeHandler(_RECORDS)
    problems = [f"log record: {what}" for text in _RECORDS.texts for what in leaks_in(text.encode("utf-8", "replace"))]
    roots = (
        [Path(session.config._tmp_path_factory.getbasetemp())] if hasattr(session.config, "_tmp_path_factory") else []
    )
    roots.append(Path(__file__).resolve().parents[1] / ".convoi_nb" / "exports")  # where the notebooks export
    for root in roots:
        # Not ours to scan: installed packages (a wheel's METADATA carries the README; the sandbox's demo keys are
        # public by design) and npm's node_modules (livekit-client ships test JWTs).
        for path in (
            p
            for p in root.rglob("*")
            if p.is_file()
            and not _SERVER_FILES.search(p.name)
            and p.suffix not in (".py", ".pyc")
            and "site-packages" not in p.parts
            and "node_modules" not in p.parts
            and not any(part.endswith(".dist-info") for part in p.parts)
        ):
            problems += [f"{path}: {what}" for what in leaks_in(path.read_bytes())]
    if problems:
        print("\nCredentials found after the run:\n  " + "\n  ".join(sorted(set(problems))[:50]))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture()
def count_reads(monkeypatch: pytest.MonkeyPatch) -> Callable[[], dict[str, int]]:
    """Count the results frame reads and the analyses built from then on (one refresh should do one of each)."""
    from convoi_nb.experiments import ExperimentResults
    from convoi_nb.stats.analysis import Analysis

    def start() -> dict[str, int]:
        counts = {"frame": 0, "analysis": 0}
        real_frame, real_init = ExperimentResults.frame, Analysis.__init__

        def frame(self: ExperimentResults, **kwargs: Any) -> Any:
            counts["frame"] += 1
            return real_frame(self, **kwargs)

        def init(self: Analysis, *args: Any, **kwargs: Any) -> None:
            counts["analysis"] += 1
            real_init(self, *args, **kwargs)

        monkeypatch.setattr(ExperimentResults, "frame", frame)
        monkeypatch.setattr(Analysis, "__init__", init)
        return counts

    return start
