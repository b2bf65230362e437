"""`connect()`: the one place that chooses between the real Convoi service and the embedded sandbox."""

from __future__ import annotations

import os
import threading
from typing import Any, Optional

from ._client import ConvoiClient
from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_CONFIRM_RUNS_OVER
from ._logging import get_logger
from .errors import ConfigurationError

log = get_logger("convoi_nb.connect")
_lock = threading.Lock()
_sandbox: Any = None


def embedded_sandbox(**settings: Any) -> Any:
    """The process-wide sandbox, started on first use on a free loopback port (settings apply then)."""
    global _sandbox
    with _lock:
        if _sandbox is None:
            from .sandbox.settings import SandboxSettings, default_db_path, default_seed
            from .sandbox.server import Sandbox

            settings.setdefault("db_path", default_db_path())
            settings.setdefault("seed", default_seed())
            _sandbox = Sandbox(SandboxSettings(**settings)).start()
            # One line, once per process: nobody should mistake simulated figures for real ones.
            print(f"convoi_nb: no CONVOI_API_KEY/CONVOI_BASE_URL set; using the embedded sandbox at "
                  f"{_sandbox.url} (calls, durations and costs are simulated)")
        elif settings:
            log.warning("embedded sandbox already running; settings %s ignored", sorted(settings))
        return _sandbox


def connect(
    *,
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    sandbox: Optional[bool] = None,
    sandbox_settings: Optional[dict[str, Any]] = None,
    **client_options: Any,
) -> ConvoiClient:
    """A client on the real service when a key and base URL are given (or in the environment),
    otherwise on the embedded sandbox. `sandbox=True` forces the sandbox, `sandbox=False` forbids it.
    """
    key = api_key or os.environ.get(API_KEY_ENV)
    url = base_url or os.environ.get(BASE_URL_ENV)
    if sandbox is None:
        if bool(key) != bool(url):
            missing = BASE_URL_ENV if key else API_KEY_ENV
            raise ConfigurationError(
                f"{missing} is not set: set both {API_KEY_ENV} and {BASE_URL_ENV} for the real service, "
                "or neither for the embedded sandbox"
            )
        sandbox = not key
    if not sandbox:
        # Real money: an experiment run of more calls than this shows its estimated cost before creating any.
        client_options.setdefault("confirm_runs_over", DEFAULT_CONFIRM_RUNS_OVER)
        return ConvoiClient(api_key=key, base_url=url, **client_options)
    server = embedded_sandbox(**(sandbox_settings or {}))
    return ConvoiClient(api_key=server.api_key, base_url=server.url, **client_options)
