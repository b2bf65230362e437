"""What may travel as a JSON value: checked on the client, so nothing is silently changed on the way out."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator

JSON_SCALARS = (str, int, float, bool, type(None))
MAX_DEPTH = 32  # deeper than any real setting; a bound keeps the check itself from exhausting the stack


def scalar_problem(value: Any) -> str | None:
    """Why a value is not a JSON scalar.

    Args:
        value: The value.

    Returns:
        The reason (NaN and infinity have no JSON form), or None for a string, finite number, boolean or None.
    """
    if not isinstance(value, JSON_SCALARS):
        return f"is a {type(value).__name__}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"is {value}, not a finite number"
    return None


def json_problem(value: Any, depth: int = 0) -> str | None:
    """Why a value is not JSON.

    Args:
        value: The value: JSON is scalars, and lists and objects with string keys of them, nested.
        depth: How deep `value` already sits (the check stops at `MAX_DEPTH`).

    Returns:
        The reason, naming the item or key where it lies, or None.
    """
    if isinstance(value, (list, dict)) and depth >= MAX_DEPTH:
        return f"is nested deeper than {MAX_DEPTH} levels"
    if isinstance(value, list):
        return next((f"item {i} {p}" for i, item in enumerate(value) if (p := json_problem(item, depth + 1))), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"has a non-string key {key!r}"
            problem = json_problem(item, depth + 1)
            if problem:
                return f"key {key!r} {problem}"
        return None
    return scalar_problem(value)


def unencodable_path(value: Any, path: str = "") -> str | None:
    """Where a value holds text that cannot travel.

    Args:
        value: A JSON-shaped value.
        path: The dotted path of `value` itself ("" for the body).

    Returns:
        The dotted path of the first string (value or key) with no UTF-8 form (a lone surrogate), or None.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and unencodable_path(key) is not None:
            return where
        found = unencodable_path(item, where)
        if found:
            return found
    return None


def _check_json(value: Any) -> Any:
    problem = json_problem(value)
    if problem:
        raise ValueError(
            f"must be a JSON value (string, finite number, boolean, null, or lists and objects of them); it {problem}"
        )
    return value


JsonSetting = Annotated[Any, AfterValidator(_check_json)]
"""An extra llm/tts/stt setting: any JSON value, sent exactly as given."""
