"""The envelope of every list endpoint: `{"object": "list", "data": [...], "has_more", "next_cursor"}`."""

from __future__ import annotations

from typing import Generic, TypeVar

from ._base import ResponseModel

T = TypeVar("T")


class ListPage(ResponseModel, Generic[T]):
    """One page of a list: its items, and the cursor of the next page if there is one."""

    object: str = "list"
    data: list[T]
    has_more: bool = False
    next_cursor: str | None = None
