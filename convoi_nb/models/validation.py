"""Pydantic errors turned into field errors that name the path and the rule, for client and sandbox alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from .field_error import FieldError
from .suggestions import unknown_key_message

# Errors whose message the models wrote whole (the rule, the closest known name, how to opt in): kept as is.
_OWN_MESSAGES = ("unknown_setting", "not_in_catalog")


def dotted_path(loc: Sequence[Any]) -> str:
    """A pydantic location as the user writes it.

    Args:
        loc: The location, e.g. `("agent_overrides", "knowledge_base_ids", 0)`.

    Returns:
        Its dotted path, e.g. `agent_overrides.knowledge_base_ids[0]`; `body` for the empty location.

    Examples:
        >>> from convoi_nb.models import dotted_path
        >>> dotted_path(("agent_overrides", "llm", "temperature"))
        'agent_overrides.llm.temperature'
    """
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def _model_at(model: type[BaseModel] | None, loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model class that owns the last element of `loc`, to list the keys it accepts."""
    for part in loc[:-1]:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = next(
            (
                t
                for t in getattr(field.annotation, "__args__", (field.annotation,))
                if isinstance(t, type) and issubclass(t, BaseModel)
            ),
            None,
        )
    return model


def _message(error: Mapping[str, Any], root: type[BaseModel] | None) -> str:
    kind = error.get("type", "")
    loc = error.get("loc", ())
    if kind in _OWN_MESSAGES:
        return str(error.get("msg", "invalid value"))
    if kind == "extra_forbidden":
        owner = _model_at(root, loc)
        if owner is None:
            return f"unknown key {loc[-1]!r} is not allowed"
        return unknown_key_message(str(loc[-1]), list(owner.model_fields))
    if kind == "missing":
        return "field required"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"{error.get('input')!r} does not match the required format {pattern}"
    message = str(error.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if "input" in error and kind not in ("json_invalid",) and not isinstance(error["input"], (dict, list)):
        return f"{message} (got {error['input']!r})"
    return message


def field_errors(
    errors: Iterable[Mapping[str, Any]], root: type[BaseModel] | None = None, strip: int = 0
) -> list[FieldError]:
    """Pydantic's error details as field errors that name the path and the rule.

    Args:
        errors: `pydantic.ValidationError.errors()`, or FastAPI's `RequestValidationError.errors()`.
        root: The model validated, to list the keys it accepts when an unknown one is refused.
        strip: How many leading location parts to drop (1 for FastAPI's `"body"`).

    Returns:
        One `FieldError` per error, in order.
    """
    out = []
    for error in errors:
        loc = tuple(error.get("loc", ()))[strip:]
        fixed = {**error, "loc": loc}
        out.append(FieldError(loc=dotted_path(loc), msg=_message(fixed, root), type=error.get("type", "invalid")))
    return out


def summarize(errors: Sequence[FieldError]) -> str:
    """Field errors as one line of text.

    Args:
        errors: The field errors.

    Returns:
        `loc: msg` for each, joined by `; `, e.g.
        `agent_overrides.llm.temperature: Input should be less than or equal to 2 (got 2.5)`.
    """
    return "; ".join(f"{e.loc}: {e.msg}" for e in errors)
