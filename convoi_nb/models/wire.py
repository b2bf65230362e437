"""The wire contract beyond the bodies: paths, header names, error codes, limits, the idempotency-key rule.

One home for each fact, read by the client, the sandbox, the code snippets and the error tree alike.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

API_PREFIX = "/api/v1/public"
CALLS_PATH = "/calls"
AGENTS_PATH = "/agents"

# Header names as documented. HTTP compares them case-insensitively; ASGI servers hand them over
# lower-cased, so the sandbox matches on `.lower()`.
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
REQUEST_ID_HEADER = "X-Request-Id"
REPLAYED_HEADER = "Idempotent-Replayed"
RETRY_AFTER_HEADER = "Retry-After"

# Error codes a client acts on.
IDEMPOTENCY_CONFLICT = "idempotency_conflict"
INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"

# Request bodies are JSON, declared as such (`application/json`, or a `+json` type); a form-encoded body (curl's
# `-d` without a Content-Type) is refused with 415 rather than read.
JSON_MEDIA_TYPE = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """Whether a request body declared as `content_type` is JSON.

    Args:
        content_type: The `Content-Type` header, if any.

    Returns:
        True for `application/json` and any `application/…+json`, parameters and case aside.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or (media_type.startswith("application/") and media_type.endswith("+json"))


# Sandbox API keys start with this; they are public demo keys, so a client holding one is never on real money.
SANDBOX_KEY_PREFIX = "sk_sandbox_"

# Limits.
MAX_PAGE_SIZE = 100
MAX_BODY_BYTES = 64 * 1024
IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600

IDEMPOTENCY_KEY_RULE = "must be a UUID (for example 6f1c4b7e-0d4e-4b8a-9d3c-2f1e0a9b8c7d)"


def canonical_idempotency_key(key: object) -> str | None:
    """An idempotency key in canonical UUID form.

    The contract: "Idempotency-Key: any UUID". Both ends normalise, so `6F1C…` and `6f1c…` are one key.

    Args:
        key: The key given (a `uuid.UUID` or its text).

    Returns:
        The key lower case and hyphenated, or None if it is not a UUID.
    """
    if isinstance(key, uuid.UUID):
        return str(key)
    if not isinstance(key, str):
        return None
    try:
        return str(uuid.UUID(key))
    except ValueError:
        return None


# Listing by metadata, `?metadata[key]=value`, compares with typed equality: a number matches the same number
# (1 matches 1.0), a string only the same string ("1" never matches 1), a boolean only a boolean. The value
# travels as JSON text when it is not a string, or when a string would read as JSON ("1", "true", '"x"');
# any other string travels as itself.


def encode_metadata_filter(value: Any) -> str:
    """A metadata filter value as it travels in `?metadata[key]=…`.

    Args:
        value: The value to match (a JSON scalar).

    Returns:
        JSON text, except for a string that does not read as JSON, which travels as itself.
    """
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value
    return json.dumps(value)


def decode_metadata_filter(text: str) -> Any:
    """A metadata filter value as it arrived, the inverse of `encode_metadata_filter`.

    Args:
        text: The query parameter's value.

    Returns:
        The JSON value it reads as, or the text itself.
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def metadata_value_matches(have: Any, want: Any) -> bool:
    """Typed equality of metadata values.

    Args:
        have: A call's value.
        want: The filter's value.

    Returns:
        True when they are equal numbers (1 and 1.0), equal booleans, or equal values of one other type.
    """
    if isinstance(have, bool) or isinstance(want, bool):
        return isinstance(have, bool) and isinstance(want, bool) and have == want
    if isinstance(have, (int, float)) and isinstance(want, (int, float)):
        return have == want
    return type(have) is type(want) and have == want
