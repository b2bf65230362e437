"""Shared bases for request and response models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_serializer

from .json_values import JsonSetting


class RequestModel(BaseModel):
    """A request body: strict types, unknown keys rejected, unset fields never sent as null."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True)

    @model_serializer(mode="wrap")
    def _drop_unset(self, handler: Any) -> dict[str, Any]:
        # Only declared fields left at None are dropped; None inside metadata or
        # inside extra llm/tts/stt keys is the user's explicit value and is kept.
        data = handler(self)
        fields = type(self).model_fields
        return {k: v for k, v in data.items() if not (v is None and k in fields)}


class SettingsModel(RequestModel):
    """llm/tts/stt settings: the documented keys are typed, any other setting is allowed."""

    model_config = ConfigDict(extra="allow", strict=True, validate_assignment=True)
    __pydantic_extra__: dict[str, JsonSetting]  # checked, so a NaN or a set never turns into something else


class ResponseModel(BaseModel):
    """A response object: lenient, and unknown fields are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")


def _assume_utc(value: datetime) -> datetime:
    # A server that forgets the offset means UTC; a naive datetime would break comparisons later.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


UTCDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
