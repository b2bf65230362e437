"""What may travel as a JSON value: checked on the client, so nothing is silently changed on the way out."""

from __future__ import annotations

import math
from typing import Annotated, Any, Optional

from pydantic import AfterValidator

JSON_SCALARS = (str, int, float, bool, type(None))


def scalar_problem(value: Any) -> Optional[str]:
    """Why `value` is not a JSON scalar (NaN and infinity have no JSON form), or None."""
    if not isinstance(value, JSON_SCALARS):
        return f"is a {type(value).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value}, not a finite number"
    return None


def json_problem(value: Any) -> Optional[str]:
    """Why `value` is not JSON (scalars, lists and objects with string keys, nested), or None."""
    if isinstance(value, list):
        return next((f"item {i} {p}" for i, item in enumerate(value) if (p := json_problem(item))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has a non-string key {key!r}"
            problem = json_problem(item)
            if problem:
                return f"key {key!r} {problem}"
        return None
    return scalar_problem(value)


def _check_json(value: Any) -> Any:
    problem = json_problem(value)
    if problem:
        raise ValueError(f"must be a JSON value (string, finite number, boolean, null, or lists and objects of them); "
                         f"it {problem}")
    return value


JsonSetting = Annotated[Any, AfterValidator(_check_json)]
"""An extra llm/tts/stt setting: any JSON value, sent exactly as given."""
