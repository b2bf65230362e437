"""Call `metadata`: free-form key/value pairs whose values are JSON scalars."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Union

from pydantic import AfterValidator

MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_VALUE_LENGTH = 1000

MetadataValue = Union[str, int, float, bool, None]
_SCALARS = (str, int, float, bool, type(None))


def _check_metadata(value: dict[Any, Any]) -> dict[str, MetadataValue]:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"at most {MAX_METADATA_KEYS} keys are allowed, got {len(value)}")
    for key, item in value.items():
        if not isinstance(key, str) or not key:
            raise ValueError(f"keys must be non-empty strings, got {key!r}")
        if len(key) > MAX_METADATA_KEY_LENGTH:
            raise ValueError(f"key {key[:20]!r}… is longer than {MAX_METADATA_KEY_LENGTH} characters")
        if not isinstance(item, _SCALARS):
            raise ValueError(
                f"value of {key!r} must be a JSON scalar (str, int, float, bool or null), "
                f"got {type(item).__name__}"
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError(f"value of {key!r} must be a finite number, got {item}")
        if isinstance(item, str) and len(item) > MAX_METADATA_VALUE_LENGTH:
            raise ValueError(f"value of {key!r} is longer than {MAX_METADATA_VALUE_LENGTH} characters")
    return value


Metadata = Annotated[dict[Any, Any], AfterValidator(_check_metadata)]


def metadata_size(value: dict[str, MetadataValue]) -> int:
    """Encoded size in bytes, as it travels in the request body."""
    return len(json.dumps(value, separators=(",", ":")).encode())
