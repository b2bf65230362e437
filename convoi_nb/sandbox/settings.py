"""Everything a sandbox instance can be configured with."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from ..models.wire import MAX_BODY_BYTES
from .accounts import DOCUMENTED_KEYS
from .faults import FaultConfig
from .livekit import LiveKitSettings
from .simulation import DEFAULT_TIME_SCALE, EXPIRE_PROBABILITY, FAIL_PROBABILITY

DB_ENV = "CONVOI_SANDBOX_DB"
SEED_ENV = "CONVOI_SANDBOX_SEED"


def default_db_path(name: str = "sandbox") -> str | Path:
    """`CONVOI_SANDBOX_DB` if set (a path or `:memory:`), else `<name>.sqlite3` in the per-user data directory,
    so calls survive a kernel restart. The notebooks' embedded sandbox is "sandbox", the standalone server
    "standalone": two servers simulating one file's calls would each move them on.
    """
    return os.environ.get(DB_ENV) or Path(platformdirs.user_data_dir("convoi_nb")) / f"{name}.sqlite3"


def default_seed() -> int:
    """`CONVOI_SANDBOX_SEED` if set, else 0: the seed every simulated call's story derives from."""
    value = os.environ.get(SEED_ENV, "0")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be an integer, got {value!r}") from None


@dataclass
class SandboxSettings:
    db_path: str | Path = ":memory:"
    time_scale: float = DEFAULT_TIME_SCALE
    seed: int = 0
    clock: Callable[[], float] = time.time
    faults: FaultConfig = field(default_factory=FaultConfig)
    livekit: LiveKitSettings = field(default_factory=LiveKitSettings.from_env)
    max_body_bytes: int = MAX_BODY_BYTES
    expire_rate: float = EXPIRE_PROBABILITY  # share of calls nobody joins
    fail_rate: float = FAIL_PROBABILITY  # share of calls that drop mid-call
    # A key of your own instead of the documented demo keys (then only the default account is served).
    api_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        if self.api_key is not None and (len(self.api_key) < 16 or self.api_key in DOCUMENTED_KEYS):
            raise ValueError("api_key must be your own: at least 16 characters and not a documented sandbox key")
        if not (0 <= self.expire_rate and 0 <= self.fail_rate and self.expire_rate + self.fail_rate <= 1):
            raise ValueError("expire_rate and fail_rate must be >= 0 and add up to at most 1")
