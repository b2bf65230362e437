"""Closing a composite widget closes what it is made of.

A Box's own `close()` leaves its children (and their layouts and styles) open, each a model the front end keeps and
a comm the kernel keeps. So does dropping a part from a composite: a removed variant or metadata row must be closed
whole (`close_tree`), not by its box's `close()` alone.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import ipywidgets as w


def _widgets_in(value: Any) -> Iterator[w.Widget]:
    if isinstance(value, w.Widget):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _widgets_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _widgets_in(item)


def owned_widgets(root: w.Widget, also: Iterable[w.Widget] = ()) -> list[w.Widget]:
    """The widgets `root` is made of, parents before their children.

    Those its synced traits reach (children, layout, style, …), from `root` and from `also` (widgets it made but
    does not show). Shared widgets (a class attribute `shared = True`, such as the Join front end's runtime) are
    left out: other widgets still use them.

    Args:
        root: The composite widget (not itself in the list).
        also: Widgets `root` made without showing them.

    Returns:
        The widgets, each once.
    """
    seen = {id(root)}
    found: list[w.Widget] = []
    queue = deque([root, *also])
    while queue:
        widget = queue.popleft()
        if widget is not root:
            if id(widget) in seen:
                continue
            seen.add(id(widget))
            found.append(widget)
        for key in widget.keys:
            queue.extend(
                child for child in _widgets_in(getattr(widget, key, None)) if not getattr(child, "shared", False)
            )
    return found


def close_children(root: w.Widget, also: Iterable[w.Widget] = ()) -> None:
    """Close every widget `root` is made of (see `owned_widgets`), each through its own `close()`.

    Parents close first, so a card stops its poller before its labels close.

    Args:
        root: The composite widget; its own `close()` calls this, then closes itself.
        also: Widgets `root` made without showing them.
    """
    for widget in owned_widgets(root, also):
        widget.close()


def close_tree(root: w.Widget, also: Iterable[w.Widget] = ()) -> None:
    """Close `root` itself and every widget it is made of: for a part a composite removes or replaces.

    Detach the part (take it out of its parent's children) first, so the front end never shows a closed model.

    Args:
        root: The part, often a plain Box whose own `close()` would leave its children open.
        also: Widgets the part made without showing them.
    """
    parts = owned_widgets(root, also)
    root.close()  # first: a composite's own close() stops what it runs (a card's poller) before its parts go
    for widget in parts:
        widget.close()  # closing a closed widget does nothing
