"""Serve a sandbox app with uvicorn, in a background thread or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import pydantic
import uvicorn

from .._hosts import is_loopback
from ..errors import ConfigurationError, SandboxError, ValidationError
from ..models import LENIENT_CONTEXT, AgentOverrides
from .accounts import DEFAULT_API_KEY
from .app import create_app
from .connections import read_deadline_protocol
from .faults import FaultConfig
from .history import generate_history
from .service import CallService
from .settings import REMOTE_MAX_CONNECTIONS, SandboxSettings
from .simulation import ExpectedOutcome, expected_outcome, merge_settings
from .traffic import TrafficLog


class Sandbox:
    """A sandbox server, run in a background thread. `url` and `api_key` are what a client needs.

    Args:
        settings: The sandbox's settings (made from the other keyword arguments, `SandboxSettings` fields, if
            None).
        host: The address to serve on: loopback unless `allow_remote`.
        port: The port (0: any free one).
        allow_remote: Serve a non-loopback host (needs `settings.api_key`, a key of your own).

    Raises:
        ConfigurationError: The host is not loopback and remote serving was not allowed with a key of your own.
        SandboxError: The database file cannot be used.

    Examples:
        >>> from convoi_nb import ConvoiClient
        >>> from convoi_nb.sandbox import FaultConfig, Sandbox, SandboxSettings
        >>> with Sandbox() as sandbox:
        ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
        ...     print(sandbox.url, len(client.list_agents()))
        http://127.0.0.1:... 3

        Faults on demand: here every request fails with a 5xx, so a client without retries sees a `ServerError`.

        >>> with Sandbox(SandboxSettings(faults=FaultConfig(error_rate=1.0))) as sandbox:
        ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0)
        ...     client.list_agents()
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ServerError: ...
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        **overrides: Any,
    ) -> None:
        self.settings = settings or SandboxSettings(**overrides)
        problem = remote_problem(host, allow_remote, self.settings.api_key)
        if problem:
            raise ConfigurationError(problem)
        self.app = create_app(self.settings)
        self.host, self._port = host, port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port the server listens on.

        Raises:
            SandboxError: The sandbox is not started.
        """
        if self._socket is None:
            raise SandboxError("the sandbox is not started: call start() or use it in a `with` block")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        """The base URL a client uses (`http://host:port`)."""
        return f"http://{self.host}:{self.port}"

    @property
    def service(self) -> CallService:
        """The call service behind the endpoints (its `store` holds the calls)."""
        service: CallService = self.app.state.service
        return service

    @property
    def api_key(self) -> str:
        """The key clients use: your own if the settings name one, else the documented demo key."""
        return self.settings.api_key or DEFAULT_API_KEY

    @property
    def traffic(self) -> TrafficLog:
        """Every API request that reached this server (method, path, status, idempotency key, timing)."""
        traffic: TrafficLog = self.app.state.traffic
        return traffic

    def expected_outcome(self, agent_id: str, overrides: Mapping[str, Any] | None = None) -> ExpectedOutcome:
        """The simulation's true outcome for this agent's calls with these overrides (analytic).

        What an experiment's estimates should converge to: the end probability, mean duration and mean cost.

        Args:
            agent_id: The agent's id.
            overrides: The calls' `agent_overrides`.

        Returns:
            The expected outcome.

        Raises:
            ValidationError: No such agent here, or the overrides are not valid.

        Examples:
            >>> from convoi_nb import ConvoiClient
            >>> from convoi_nb.sandbox import Sandbox
            >>> with Sandbox() as sandbox:
            ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
            ...     agent = client.list_agents()[0]
            ...     truth = sandbox.expected_outcome(agent.id, {"llm": {"model": "gpt-4o"}})
            >>> round(truth.end_probability, 2), truth.mean_cost_per_call > 0  # what an experiment should find
            (0.95, True)
        """
        agent = next(
            (a for account in self.app.state.accounts.values() for a in account.agents if a.id == agent_id), None
        )
        if agent is None:
            raise ValidationError.of_field("expected_outcome arguments", "agent_id", f"no agent {agent_id!r} here")
        try:
            body = AgentOverrides.model_validate(dict(overrides or {}), context=LENIENT_CONTEXT).to_body()
        except pydantic.ValidationError as exc:
            raise ValidationError.from_pydantic("agent_overrides", exc, AgentOverrides) from None
        return expected_outcome(
            merge_settings(agent.to_json(), body),
            expire_rate=self.settings.expire_rate,
            fail_rate=self.settings.fail_rate,
        )

    def generate_history(
        self, n: int, *, days: float = 30.0, seed: int = 0, experiment_share: float = 0.1, api_key: str | None = None
    ) -> int:
        """Write `n` simulated past calls over the last `days` (by the sandbox clock) into this sandbox's database.

        The listing then serves them. One transaction: a million calls take under 20 s. See
        `convoi_nb.sandbox.history`.

        Args:
            n: How many calls.
            days: The span they were created over, ending now.
            seed: The seed of every draw.
            experiment_share: Share of calls tagged as an experiment's.
            api_key: The account's key (this sandbox's key if None).

        Returns:
            How many calls were written.

        Raises:
            ValidationError: An argument is out of range or the key is not this sandbox's.

        Examples:
            >>> from convoi_nb import ConvoiClient
            >>> from convoi_nb.sandbox import Sandbox
            >>> with Sandbox() as sandbox:
            ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
            ...     written = sandbox.generate_history(200, days=14)  # two weeks of past calls, for a cost review
            ...     print(written, sum(1 for _ in client.list_calls()))
            200 200
        """
        account = self.app.state.accounts.get(api_key or self.api_key)
        if account is None:
            raise ValidationError.of_field("generate_history arguments", "api_key", "not a key of this sandbox")
        return generate_history(self.service, account, n, days=days, seed=seed, experiment_share=experiment_share)

    def set_faults(self, faults: FaultConfig) -> None:
        """Change fault injection on the running server.

        Args:
            faults: The faults from now on.

        Examples:
            >>> from convoi_nb import ConvoiClient
            >>> from convoi_nb.sandbox import Sandbox
            >>> from convoi_nb.sandbox import FaultConfig
            >>> with Sandbox() as sandbox:
            ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, max_retries=0)
            ...     sandbox.set_faults(FaultConfig(error_rate=1.0))
            ...     try:
            ...         client.list_agents()
            ...     except Exception as error:
            ...         print(type(error).__name__)
            ...     sandbox.set_faults(FaultConfig())  # healthy again
            ...     print(len(client.list_agents()))
            ServerError
            3
        """
        self.settings.faults = faults

    @property
    def max_connections(self) -> int | None:
        """Connections served at once before new requests are answered 503 (None: no cap).

        The settings' `max_connections`, or `REMOTE_MAX_CONNECTIONS` when serving a non-loopback host.
        """
        if self.settings.max_connections is None and not is_loopback(self.host):
            return REMOTE_MAX_CONNECTIONS
        return self.settings.max_connections

    def _config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            http=read_deadline_protocol(self.settings.request_timeout),
            timeout_keep_alive=self.settings.keep_alive_timeout,
            limit_concurrency=self.max_connections,
        )

    def _bind(self) -> None:
        # Bound here and handed to uvicorn, so port 0 means "any free port" with no race for it.
        # proto must say TCP, or asyncio skips TCP_NODELAY on accepted sockets and every
        # keep-alive response stalls ~40 ms on Nagle + delayed ACK.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((self.host, self._port))
        self._socket.listen(1024)

    def start(self, timeout: float = 10.0) -> Sandbox:
        """Serve in a background thread (a started sandbox is left as it is).

        Args:
            timeout: Seconds to wait for the server to answer.

        Returns:
            This sandbox.

        Raises:
            SandboxError: The server did not start in time.
        """
        if self._thread is not None:
            return self
        self._bind()
        self._server = uvicorn.Server(self._config())
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, name="convoi-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise SandboxError(f"the sandbox server did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and close the database."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self.service.store.close()
        self._server = self._thread = None

    def serve_forever(self, on_listening: Callable[[str], None] | None = None) -> None:
        """Serve in the calling thread until interrupted (used by `python -m convoi_nb.sandbox`).

        Args:
            on_listening: Called with the URL once the socket is bound (useful with port 0).
        """
        self._bind()
        if on_listening is not None:
            on_listening(self.url)
        assert self._socket is not None  # bound just above
        try:
            uvicorn.Server(self._config()).run(sockets=[self._socket])
        finally:
            self.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._socket is not None else "not started"
        return f"Sandbox({where}, db={str(self.settings.db_path)!r})"


def remote_problem(host: str, allow_remote: bool, api_key: str | None, *, flags: bool = False) -> str:
    """Why serving on `host` is refused.

    Args:
        host: The address to serve on.
        allow_remote: Whether serving other machines was allowed.
        api_key: The user's own key, if any.
        flags: Word it for the command line (`--allow-remote`) rather than Python.

    Returns:
        The reason, or "" if serving there is fine.
    """
    if is_loopback(host):
        return ""
    allow, key = ("--allow-remote", "--api-key") if flags else ("allow_remote=True", "SandboxSettings(api_key=...)")
    if not allow_remote:
        return (
            f"host {host} would let other machines in, with the demo API key anyone can read in the docs; "
            f"pass {allow} with {key} of your own if that is what you want"
        )
    if not api_key:
        return f"{allow} needs {key} with a key of your own"
    return ""
