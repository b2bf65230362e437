"""Shared bases for request and response models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict

from .json_values import JsonSetting


def _is_none(value: Any) -> bool:
    return value is None


class RequestModel(BaseModel):
    """A request body: strict types, unknown keys rejected, unset fields never sent as null."""

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


class SettingsModel(RequestModel):
    """llm/tts/stt settings: the documented keys are typed, any other setting is allowed."""

    model_config = ConfigDict(extra="allow", strict=True, validate_assignment=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, JsonSetting]  # checked, so a NaN or a set never turns into something else


class ResponseModel(BaseModel):
    """A response object: lenient, and unknown fields are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")


def _assume_utc(value: datetime) -> datetime:
    # A server that forgets the offset means UTC; a naive datetime would break comparisons later.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


UTCDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
