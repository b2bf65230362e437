"""Everything a sandbox instance can be configured with."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import workspace
from ..errors import ConfigurationError
from ..models.wire import MAX_BODY_BYTES
from .accounts import DOCUMENTED_KEYS
from .checks import is_number, require
from .faults import FaultConfig
from .livekit import LiveKitSettings
from .simulation import DEFAULT_TIME_SCALE, EXPIRE_PROBABILITY, FAIL_PROBABILITY

DB_ENV = "CONVOI_SANDBOX_DB"
REQUEST_TIMEOUT = 10.0
KEEP_ALIVE_TIMEOUT = 30  # longer than httpx's 5 s keep-alive, so the client, not the server, ends an idle connection
REMOTE_MAX_CONNECTIONS = 256
SEED_ENV = "CONVOI_SANDBOX_SEED"


def default_db_path(name: str = "sandbox") -> str | Path:
    """Where a sandbox keeps its calls unless told: `CONVOI_SANDBOX_DB` if set, else the project's working folder.

    Precedence: a `db_path` you pass (`connect(sandbox_settings={"db_path": ...})`, `--db`) first, then
    `CONVOI_SANDBOX_DB` (a file, or `:memory:`; set it to one path in every project to share one database), then
    `<name>.sqlite3` in the per-project working folder `.convoi_nb/` (`convoi_nb.workspace`, created with its
    `.gitignore` when this is called), so each project's calls are its own and survive a kernel restart. The
    notebooks' embedded sandbox is "sandbox", the standalone server "standalone": two servers simulating one
    file's calls would each move them on.

    Args:
        name: The file's name without its suffix.

    Returns:
        A path, or ":memory:" if the variable says so.

    Examples:
        >>> import os
        >>> from convoi_nb.sandbox import default_db_path
        >>> os.environ["CONVOI_SANDBOX_DB"] = ":memory:"  # a database that lives as long as the sandbox
        >>> default_db_path()
        ':memory:'
    """
    named = os.environ.get(DB_ENV)
    if named:
        return named if named == ":memory:" else Path(named).expanduser()
    return workspace.ensure() / f"{name}.sqlite3"


def default_seed() -> int:
    """The seed every simulated call's story derives from: `CONVOI_SANDBOX_SEED` if set, else 0.

    Returns:
        The seed.

    Raises:
        ConfigurationError: The variable is set to something other than an integer.

    Examples:
        >>> import os
        >>> from convoi_nb.sandbox import default_seed
        >>> _ = os.environ.pop("CONVOI_SANDBOX_SEED", None)
        >>> default_seed()
        0
    """
    value = os.environ.get(SEED_ENV, "0")
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{SEED_ENV} must be an integer, got {value!r}") from None


@dataclass
class SandboxSettings:
    """Everything a sandbox instance can be configured with; checked when made.

    Attributes:
        db_path: The SQLite file for calls, or ":memory:".
        time_scale: Simulated seconds per real second (> 0).
        seed: The seed every simulated call's story derives from.
        clock: Epoch seconds now (a `ManualClock` to move time by hand).
        faults: Fault injection (latency, errors, dropped connections, rate limits).
        livekit: The LiveKit server and credentials for rooms and tokens.
        max_body_bytes: The largest request body accepted.
        expire_rate: Share of calls nobody joins.
        fail_rate: Share of calls that drop mid-call.
        api_key: A key of your own instead of the documented demo keys (then only the default account is
            served); kept out of the repr.
        request_timeout: Seconds a request may take to arrive whole; a slower connection is closed.
        keep_alive_timeout: Whole seconds an idle connection is kept after a response.
        max_connections: Connections served at once before new requests are answered 503; None: no cap on
            loopback, `REMOTE_MAX_CONNECTIONS` when serving other machines.

    Examples:
        >>> from convoi_nb.sandbox import Sandbox, SandboxSettings
        >>> settings = SandboxSettings(time_scale=3600, fail_rate=0.0, expire_rate=0.0)
        >>> with Sandbox(settings) as sandbox:
        ...     sandbox.settings.time_scale
        3600
        >>> SandboxSettings(time_scale=0)
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ConfigurationError: ...time_scale...must be > 0...
    """

    db_path: str | Path = ":memory:"
    time_scale: float = DEFAULT_TIME_SCALE
    seed: int = 0
    clock: Callable[[], float] = time.time
    faults: FaultConfig = field(default_factory=FaultConfig)
    livekit: LiveKitSettings = field(default_factory=LiveKitSettings.from_env)
    max_body_bytes: int = MAX_BODY_BYTES
    expire_rate: float = EXPIRE_PROBABILITY
    fail_rate: float = FAIL_PROBABILITY
    api_key: str | None = field(default=None, repr=False)
    request_timeout: float = REQUEST_TIMEOUT
    keep_alive_timeout: int = KEEP_ALIVE_TIMEOUT
    max_connections: int | None = None

    def __post_init__(self) -> None:
        """Refuse settings no sandbox can run with.

        Raises:
            ConfigurationError: A setting is out of its range; the message names it and the rule.
        """
        require("time_scale", self.time_scale, is_number(self.time_scale) and self.time_scale > 0, "must be > 0")
        require("seed", self.seed, isinstance(self.seed, int) and not isinstance(self.seed, bool), "must be an integer")
        key = self.api_key
        own = key is None or (isinstance(key, str) and len(key) >= 16 and key not in DOCUMENTED_KEYS)
        if not own:  # the value is a secret: not shown
            raise ConfigurationError(
                "api_key must be your own: at least 16 characters and not a documented sandbox key"
            )
        for name in ("expire_rate", "fail_rate"):
            require(
                name, getattr(self, name), is_number(getattr(self, name)) and getattr(self, name) >= 0, "must be >= 0"
            )
        rates = self.expire_rate + self.fail_rate
        require("expire_rate + fail_rate", rates, rates <= 1, "must be at most 1")
        for name in ("request_timeout", "keep_alive_timeout"):
            require(
                name,
                getattr(self, name),
                is_number(getattr(self, name)) and getattr(self, name) > 0,
                "must be > 0 seconds",
            )
        limit = self.max_connections
        usable = limit is None or (isinstance(limit, int) and not isinstance(limit, bool) and limit >= 1)
        require("max_connections", limit, usable, "must be at least 1 (or None)")
