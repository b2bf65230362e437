"""Client configuration: explicit arguments first, then `CONVOI_API_KEY` / `CONVOI_BASE_URL`."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, USER_AGENT
from ._retry import RetryPolicy
from .errors import ConfigurationError


def _check_key(key: str) -> None:
    """Refuse a key that cannot go into an HTTP header, naming the problem but never the key."""
    if key != key.strip():
        raise ConfigurationError(
            "the API key has leading or trailing whitespace (a newline from reading a file?); "
            "strip it, e.g. open(path).read().strip()"
        )
    for position, char in enumerate(key, start=1):
        if not (char.isascii() and char.isprintable()) or char.isspace():
            kind = "a non-ASCII character" if not char.isascii() else "whitespace or a control character"
            raise ConfigurationError(
                f"the API key contains {kind} at position {position} of {len(key)}; "
                "API keys are printable ASCII with no spaces (check what was copied)"
            )


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: SecretStr = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
    ) -> ClientConfig:
        key: object = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if isinstance(key, SecretStr):
            key = key.get_secret_value()
        if key is not None and not isinstance(key, str):
            raise ConfigurationError(f"api_key must be a string, got a {type(key).__name__}")
        url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV)
        if url is not None and not isinstance(url, str):
            raise ConfigurationError(f"base_url must be a string, got a {type(url).__name__}")
        if not key:
            raise ConfigurationError(
                f"no API key: pass api_key= or set {API_KEY_ENV} "
                "(or call convoi_nb.connect() to use the embedded sandbox)"
            )
        if not url:
            raise ConfigurationError(f"no base URL: pass base_url= or set {BASE_URL_ENV}")
        _check_key(key)
        if not url.startswith(("http://", "https://")):
            # The value is not echoed: a key passed as the URL (arguments swapped) would end up on screen.
            raise ConfigurationError(
                "base_url must start with http:// or https:// (are api_key and base_url "
                f"swapped? the key is read from {API_KEY_ENV}, the URL from {BASE_URL_ENV})"
            )
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            raise ConfigurationError(
                "base_url must not carry credentials (user:secret@host): it is shown in "
                "errors and logs; pass the key as api_key"
            )
        if not parts.hostname:
            raise ConfigurationError("base_url has no host name (expected e.g. https://api.example.com)")
        if timeout is not None and not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        return cls(
            base_url=url.rstrip("/"),
            api_key=SecretStr(key),
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            retry=(retry or RetryPolicy()).with_max_retries(max_retries),
        )

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.api_key.get_secret_value()}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }
