"""Client configuration: explicit arguments first, then `CONVOI_API_KEY` / `CONVOI_BASE_URL`.

The API key is wrapped in a `SecretStr` as soon as it arrives and stays wrapped until the transport writes the
`Authorization` header, so no object, log line or traceback local on the way shows it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import SecretStr

from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT, USER_AGENT
from ._hosts import is_loopback
from ._retry import RetryPolicy
from .errors import ConfigurationError

KeyLike = str | SecretStr


def as_secret(api_key: object) -> SecretStr | None:
    """The key as a `SecretStr` (None stays None), or a `ConfigurationError` for a value that is not text.

    Args:
        api_key: what the user passed as `api_key=`: a string, a `SecretStr` or None.

    Returns:
        The key, masked in every repr.

    Raises:
        ConfigurationError: `api_key` is neither a string nor a `SecretStr`.
    """
    if api_key is None or isinstance(api_key, SecretStr):
        return api_key
    if not isinstance(api_key, str):
        raise ConfigurationError(f"api_key must be a string, got a {type(api_key).__name__}")
    return SecretStr(api_key)


def environment_key() -> SecretStr | None:
    """`CONVOI_API_KEY`, wrapped before any local variable holds it (None when unset or empty).

    Returns:
        The key from the environment, masked in every repr.
    """
    return SecretStr(os.environ[API_KEY_ENV]) if os.environ.get(API_KEY_ENV) else None


def _check_key(key: SecretStr) -> None:
    """Refuse a key that cannot go into an HTTP header, naming the problem but never the key."""
    if key.get_secret_value() != key.get_secret_value().strip():
        raise ConfigurationError(
            "the API key has leading or trailing whitespace (a newline from reading a file?); "
            "strip it, e.g. open(path).read().strip()"
        )
    for position, char in enumerate(key.get_secret_value(), start=1):
        if not (char.isascii() and char.isprintable()) or char.isspace():
            kind = "a non-ASCII character" if not char.isascii() else "whitespace or a control character"
            raise ConfigurationError(
                f"the API key contains {kind} at position {position} of {len(key.get_secret_value())}; "
                "API keys are printable ASCII with no spaces (check what was copied)"
            )


def _check_url(url: str, allow_insecure: bool) -> None:
    if not url.startswith(("http://", "https://")):
        # The value is not echoed: a key passed as the URL (arguments swapped) would end up on screen.
        raise ConfigurationError(
            "base_url must start with http:// or https:// (are api_key and base_url "
            f"swapped? the key is read from {API_KEY_ENV}, the URL from {BASE_URL_ENV})"
        )
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "base_url must not carry credentials (user:secret@host): it is shown in errors and logs; pass the key as "
            "api_key"
        )
    if not parts.hostname:
        raise ConfigurationError("base_url has no host name (expected e.g. https://api.example.com)")
    if parts.scheme == "http" and not allow_insecure and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"base_url is plain http:// to {parts.hostname}, which is not this machine: the API key would travel "
            "unencrypted; use https://, or pass allow_insecure=True if the network between you is trusted"
        )


@dataclass(frozen=True)
class ClientConfig:
    """A client's settings, validated.

    Attributes:
        base_url: the service's root URL, without a trailing slash.
        api_key: the key, masked in every repr.
        timeout: seconds each request attempt may take as a whole.
        retry: which failures are retried, how often and how long apart.
    """

    base_url: str
    api_key: SecretStr = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    retry: RetryPolicy = RetryPolicy()

    @classmethod
    def resolve(
        cls,
        *,
        api_key: SecretStr | None,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        allow_insecure: bool = False,
    ) -> ClientConfig:
        """The settings from the arguments, the environment for what they leave out, and the defaults.

        Args:
            api_key: the key (already wrapped by `as_secret`), or None to read `CONVOI_API_KEY`.
            base_url: the service's URL, or None to read `CONVOI_BASE_URL`.
            timeout: seconds per request attempt, or None for the default.
            max_retries: retries after a failed attempt, or None for the policy's own.
            retry: the retry policy, or None for the default one.
            allow_insecure: accept a plain `http://` URL to a host other than this machine.

        Returns:
            The validated configuration.

        Raises:
            ConfigurationError: naming the setting and the rule it breaks (never echoing the key).
        """
        key = api_key if api_key is not None else environment_key()
        url = base_url if base_url is not None else os.environ.get(BASE_URL_ENV)
        if url is not None and not isinstance(url, str):
            raise ConfigurationError(f"base_url must be a string, got a {type(url).__name__}")
        if key is None or not key.get_secret_value():
            raise ConfigurationError(
                f"no API key: pass api_key= or set {API_KEY_ENV} "
                "(or call convoi_nb.connect() to use the embedded sandbox)"
            )
        if not url:
            raise ConfigurationError(f"no base URL: pass base_url= or set {BASE_URL_ENV}")
        if not isinstance(allow_insecure, bool):
            raise ConfigurationError(f"allow_insecure must be True or False, got {allow_insecure!r}")
        _check_key(key)
        _check_url(url, allow_insecure)
        if timeout is not None and not (
            isinstance(timeout, (int, float))
            and not isinstance(timeout, bool)
            and math.isfinite(timeout)
            and timeout > 0
        ):
            raise ConfigurationError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise ConfigurationError(f"retry must be a convoi_nb.RetryPolicy, got a {type(retry).__name__}")
        return cls(
            base_url=url.rstrip("/"),
            api_key=key,
            timeout=float(timeout) if timeout is not None else DEFAULT_TIMEOUT,
            retry=(retry or RetryPolicy()).with_max_retries(max_retries),
        )

    def headers(self) -> dict[str, str]:
        """The headers every request carries; `Authorization` is added by the transport, at the last moment.

        Returns:
            Header name to value.
        """
        return {"User-Agent": USER_AGENT, "Accept": "application/json"}
