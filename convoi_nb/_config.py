"""Client configuration: explicit arguments first, then `CONVOI_API_KEY` / `CONVOI_BASE_URL`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Optional

from pydantic import SecretStr

from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, USER_AGENT
from ._retry import RetryPolicy
from .errors import ConfigurationError


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
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: Optional[float],
        max_retries: Optional[int],
        retry: Optional[RetryPolicy],
    ) -> "ClientConfig":
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV)
        if not key:
            raise ConfigurationError(
                f"no API key: pass api_key= or set {API_KEY_ENV} "
                "(or call convoi_nb.connect() to use the embedded sandbox)"
            )
        if not url:
            raise ConfigurationError(f"no base URL: pass base_url= or set {BASE_URL_ENV}")
        if not url.startswith(("http://", "https://")):
            raise ConfigurationError(f"base_url must start with http:// or https://, got {url!r}")
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"timeout must be > 0 seconds, got {timeout}")
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
