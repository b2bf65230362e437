"""`connect()` / `aconnect()`: the one place that chooses between the real Convoi service and the embedded sandbox."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
from typing import Any

from pydantic import SecretStr

from ._client import AsyncConvoiClient, ConvoiClient
from ._config import KeyLike, as_secret, environment_key
from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_CONFIRM_RUNS_OVER
from ._logging import get_logger
from .errors import ConfigurationError
from .models.wire import SANDBOX_KEY_PREFIX

log = get_logger("convoi_nb.connect")
_lock = threading.Lock()
_sandbox: Any = None


def embedded_sandbox(reason: str = "no CONVOI_API_KEY/CONVOI_BASE_URL set", **settings: Any) -> Any:
    """The process-wide sandbox, started on first use on a free loopback port.

    `settings` are `SandboxSettings` fields, applied when the sandbox starts (ignored, with a warning, after).

    Args:
        reason: why the sandbox, not the real service, is used: said in the one announcement line.

    Returns:
        The running `Sandbox`.
    """
    global _sandbox
    from .sandbox.settings import SandboxSettings, default_db_path, default_seed

    known = {spec.name for spec in dataclasses.fields(SandboxSettings)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ConfigurationError(
            f"sandbox_settings has no field {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    with _lock:
        if _sandbox is None:
            from .sandbox.server import Sandbox

            settings.setdefault("db_path", default_db_path())
            settings.setdefault("seed", default_seed())
            try:
                chosen = SandboxSettings(**settings)
            except (TypeError, ValueError) as exc:  # the settings' own checks, in the package's error type
                raise ConfigurationError(f"sandbox_settings: {exc}") from None
            _sandbox = Sandbox(chosen).start()
            # One line, once per process: nobody should mistake simulated figures for real ones.
            print(
                f"convoi_nb: {reason}; using the embedded sandbox at {_sandbox.url} "
                "(calls, durations and costs are simulated)"
            )
        elif settings:
            log.warning("embedded sandbox already running; settings %s ignored", sorted(settings))
        return _sandbox


def _named(argument: str, given: object, env: str) -> str:
    """How the user supplied a setting, in their words: `api_key=` if passed, else the variable."""
    return f"{argument}=" if given else env


def _client_options(
    api_key: SecretStr | None,
    base_url: str | None,
    sandbox: bool | None,
    sandbox_settings: dict[str, Any] | None,
    client_options: dict[str, Any],
) -> dict[str, Any]:
    """The decision both faces share: the keyword arguments of the client to build (may start the sandbox).

    The key stays a `SecretStr` throughout, so no local variable of these frames shows it.
    """
    if sandbox is not None and not isinstance(sandbox, bool):
        raise ConfigurationError(f"sandbox must be True, False or None, got {sandbox!r}")
    if sandbox_settings is not None and not isinstance(sandbox_settings, dict):
        raise ConfigurationError(f"sandbox_settings must be a dict of SandboxSettings fields, got {sandbox_settings!r}")
    if base_url is not None and not isinstance(base_url, str):
        raise ConfigurationError(f"base_url must be a string, got a {type(base_url).__name__}")
    key = (api_key if api_key is not None and api_key.get_secret_value() else None) or environment_key()
    url = base_url or os.environ.get(BASE_URL_ENV)
    sandbox_key = key is not None and key.get_secret_value().startswith(SANDBOX_KEY_PREFIX)  # demo keys: no money
    reason = "no CONVOI_API_KEY/CONVOI_BASE_URL set"
    if sandbox:
        reason = "sandbox=True"
    elif sandbox is None and sandbox_key and not url:
        # The card's curl snippet reads $CONVOI_API_KEY: exporting the sandbox key for it keeps connect() here.
        sandbox, reason = True, f"{_named('api_key', api_key, API_KEY_ENV)} is a sandbox key"
    elif sandbox is None:
        if bool(key) != bool(url):
            have = _named("api_key", api_key, API_KEY_ENV) if key else _named("base_url", base_url, BASE_URL_ENV)
            missing = "base_url= (or CONVOI_BASE_URL)" if key else "api_key= (or CONVOI_API_KEY)"
            raise ConfigurationError(
                f"{have} is set but {missing} is not: give both for the real service, or neither for the "
                "embedded sandbox"
            )
        sandbox = not key
    if not sandbox:
        if not (key and url):
            raise ConfigurationError(
                f"sandbox=False needs the real service's api_key= and base_url= (or {API_KEY_ENV} and {BASE_URL_ENV})"
            )
        # Real money: an experiment run of more calls than this shows its estimated cost before creating any.
        client_options.setdefault("confirm_runs_over", None if sandbox_key else DEFAULT_CONFIRM_RUNS_OVER)
        return {"api_key": key, "base_url": url, **client_options}
    server = embedded_sandbox(reason, **(sandbox_settings or {}))
    # A sandbox key picks its account (the demo keys are two); any other key stays away from the sandbox.
    return {"api_key": key if sandbox_key else SecretStr(server.api_key), "base_url": server.url, **client_options}


def connect(
    *,
    api_key: KeyLike | None = None,
    base_url: str | None = None,
    sandbox: bool | None = None,
    sandbox_settings: dict[str, Any] | None = None,
    allow_insecure: bool = False,
    **client_options: Any,
) -> ConvoiClient:
    """A client on the real service when a key and base URL are given (or in the environment), else the sandbox.

    `sandbox=True` forces the sandbox, `sandbox=False` forbids it. A sandbox key (`sk_sandbox_…`) without a base
    URL also means the embedded sandbox. For async code, `await aconnect(...)` makes the same choice.
    `client_options` are more `ConvoiClient` arguments (`timeout`, `max_retries`, `retry`, `http_client`, ...).

    Args:
        api_key: the real service's key; `CONVOI_API_KEY` when None.
        base_url: the real service's URL (`https://`); `CONVOI_BASE_URL` when None.
        sandbox: True for the embedded sandbox, False for the real service only, None to decide as above.
        sandbox_settings: `SandboxSettings` fields for the embedded sandbox, applied when it first starts.
        allow_insecure: accept a plain `http://` base URL to another host (the key then travels unencrypted).

    Returns:
        The client.

    Raises:
        ConfigurationError: half a configuration (a key without a URL, or the reverse), or a bad setting.

    Examples:
        With no `CONVOI_API_KEY` / `CONVOI_BASE_URL` set, the embedded sandbox (the first call starts it and says
        so in one line; `sandbox_settings={"time_scale": 3600}` there makes its calls end in a blink):

        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> client.base_url
        'http://127.0.0.1:...'
        >>> len(client.list_agents())
        3
        >>> convoi_nb.connect(api_key="sk_live_example")  # half a configuration is refused, naming what is missing
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ConfigurationError: api_key= is set but base_url= (or CONVOI_BASE_URL) is not: ...
    """
    secret = as_secret(api_key)
    del api_key  # only the masked form from here on: no traceback's locals show the key
    options = _client_options(secret, base_url, sandbox, sandbox_settings, client_options)
    return ConvoiClient(allow_insecure=allow_insecure, **options)


async def aconnect(
    *,
    api_key: KeyLike | None = None,
    base_url: str | None = None,
    sandbox: bool | None = None,
    sandbox_settings: dict[str, Any] | None = None,
    allow_insecure: bool = False,
    **client_options: Any,
) -> AsyncConvoiClient:
    """`connect()` for async code: `client = await convoi_nb.aconnect()`.

    In a notebook cell, top-level `await` works; then `await client.list_agents()`; close it with
    `await client.aclose()` or `async with`. `client_options` are more `AsyncConvoiClient` arguments (`timeout`,
    `max_retries`, `http_client`, ...).

    Args:
        api_key: the real service's key; `CONVOI_API_KEY` when None.
        base_url: the real service's URL (`https://`); `CONVOI_BASE_URL` when None.
        sandbox: True for the embedded sandbox, False for the real service only, None to decide as `connect()`.
        sandbox_settings: `SandboxSettings` fields for the embedded sandbox, applied when it first starts.
        allow_insecure: accept a plain `http://` base URL to another host (the key then travels unencrypted).

    Returns:
        The async client.

    Raises:
        ConfigurationError: half a configuration (a key without a URL, or the reverse), or a bad setting.

    Examples:
        >>> import asyncio, convoi_nb
        >>> async def agent_names():
        ...     client = await convoi_nb.aconnect()
        ...     try:
        ...         return [agent.name for agent in await client.list_agents()]
        ...     finally:
        ...         await client.aclose()
        >>> asyncio.run(agent_names())
        ['Support Desk', 'Sales Concierge', 'Clinic Scheduler']
    """
    secret = as_secret(api_key)
    del api_key  # only the masked form from here on: no traceback's locals show the key
    # Starting the sandbox blocks for a moment (a server thread binding its port): off the event loop.
    options = await asyncio.to_thread(_client_options, secret, base_url, sandbox, sandbox_settings, client_options)
    return AsyncConvoiClient(allow_insecure=allow_insecure, **options)
