"""The embedded Convoi sandbox: a local server honouring the public calls contract.

Imports the shared models only; never the client or widgets.
"""

from .accounts import DEFAULT_API_KEY, OTHER_API_KEY
from .app import create_app
from .clock import ManualClock
from .faults import FaultConfig
from .livekit import LiveKitSettings
from .rate_card import rate_for
from .server import Sandbox
from .settings import SandboxSettings, default_db_path, default_seed
from .traffic import RequestRecord, TrafficLog

__all__ = [
    "DEFAULT_API_KEY",
    "OTHER_API_KEY",
    "FaultConfig",
    "LiveKitSettings",
    "ManualClock",
    "RequestRecord",
    "Sandbox",
    "SandboxSettings",
    "TrafficLog",
    "create_app",
    "default_db_path",
    "default_seed",
    "rate_for",
]
