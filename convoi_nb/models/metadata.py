"""Call `metadata`: free-form key/value pairs whose values are JSON scalars."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from .json_values import scalar_problem

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 1000

MetadataValue = str | int | float | bool | None
"""One metadata value: a JSON scalar."""


def _check_metadata(value: dict[Any, Any]) -> dict[str, MetadataValue]:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} keys are allowed, got {len(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"keys must be non-empty strings, got {key!r}")
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise ValueError(f"key {key[:20]!r}… is longer than {MAX_METADATA_KEY_LENGTH} characters")
        problem = scalar_problem(item)
        if problem:
            raise ValueError(f"value of {key!r} must be a JSON scalar (str, finite number, bool or null); it {problem}")
        if isinstance(item, str) and len(item) > MAX_METADATA_VALUE_LENGTH:
            raise ValueError(f"value of {key!r} is longer than {MAX_METADATA_VALUE_LENGTH} characters")
    return value


Metadata = Annotated[dict[Any, Any], AfterValidator(_check_metadata)]
"""A call's metadata: your own JSON scalars by key, checked against the service's limits on keys and values."""
