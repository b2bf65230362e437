"""Every client default in one place (as openai-python keeps them), so a change is made once."""

from __future__ import annotations

from ._version import __version__
from .models.wire import MAX_PAGE_SIZE

API_KEY_ENV = "CONVOI_API_KEY"
BASE_URL_ENV = "CONVOI_BASE_URL"
USER_AGENT = f"convoi_nb/{__version__}"

DEFAULT_TIMEOUT = 30.0  # seconds, per request attempt
DEFAULT_MAX_CONNECTIONS = 100
DEFAULT_MAX_KEEPALIVE_CONNECTIONS = 50

DEFAULT_MAX_RETRIES = 3
DEFAULT_INITIAL_BACKOFF = 0.5  # seconds before the first retry; doubles each time, with jitter
DEFAULT_MAX_BACKOFF = 8.0
DEFAULT_MAX_RETRY_AFTER = 60.0  # a longer Retry-After from the server is capped to this

DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE
DEFAULT_CONFIRM_RUNS_OVER = 20  # calls: a larger experiment run on the real service shows its cost first
