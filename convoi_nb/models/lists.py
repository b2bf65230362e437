"""The envelope of every list endpoint: `{"object": "list", "data": [...], "has_more", "next_cursor"}`."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class ListPage(BaseModel, Generic[T]):
    object: str = "list"
    data: list[T]
    has_more: bool = False
    next_cursor: str | None = None

    model_config = {"extra": "allow"}
