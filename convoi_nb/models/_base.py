"""Shared bases for request and response models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator, BaseModel, ConfigDict

from .exceptions import ValidationError


def _is_none(value: Any) -> bool:
    return value is None


def _ours(model: type[BaseModel], exc: pydantic.ValidationError) -> ValidationError:
    return ValidationError.from_pydantic(model.__name__, exc, model)


class ContractModel(BaseModel):
    """A model of the contract: building one with bad input raises `convoi_nb.ValidationError`.

    The error names each field and rule, as the client's do, rather than being pydantic's. `model_validate()` is
    pydantic's own API and raises pydantic's error; the package converts it wherever it calls it.
    """

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _ours(type(self), exc) from None

    # Marks this `__init__` as pydantic's own (as pydantic's RootModel does), so that validating a parent model
    # builds nested ones without calling it: their errors stay pydantic's, with the full path (`llm.temperature`).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # a marker pydantic reads on the function


class RequestModel(ContractModel):
    """A request body: strict types, unknown keys rejected, unset fields never sent as null.

    Assigning a bad value to a field raises `convoi_nb.ValidationError` too.
    """

    # allow_inf_nan=False: JSON has no NaN or infinity, and pydantic would send them as null (a silent change)
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # Declared optional fields left at None are left out of the body. Only declared ones: None inside
        # metadata or an extra llm/tts/stt key is the user's explicit value and is kept. A field-level
        # `exclude_if` runs inside pydantic-core, several times faster than a Python wrap serializer.
        super().__pydantic_init_subclass__(**kwargs)
        optional = [field for field in cls.model_fields.values() if field.default is None and field.exclude_if is None]
        for field in optional:
            field.exclude_if = _is_none
        if optional:
            cls.model_rebuild(force=True)

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as exc:
            raise _ours(type(self), exc) from None


class ResponseModel(ContractModel):
    """A response object: lenient, and unknown fields are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")


def _assume_utc(value: datetime) -> datetime:
    # A server that forgets the offset means UTC; a naive datetime would break comparisons later.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


UTCDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
"""A timezone-aware datetime: a naive one read from the wire is taken as UTC."""
