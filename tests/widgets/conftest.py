"""Helpers for headless widget tests."""

from __future__ import annotations

import json
from typing import Any, Iterator

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import Sandbox


def front_end_state() -> str:
    """Everything the live widgets would sync to a browser, as one string."""
    return json.dumps([widget.get_state() for widget in list(_instances.values())], default=repr)


def widget_tree(root: w.Widget) -> Iterator[w.Widget]:
    yield root
    for child in getattr(root, "children", ()):
        yield from widget_tree(child)


@pytest.fixture()
def client(sandbox: Sandbox) -> Iterator[ConvoiClient]:
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as made:
        yield made


def last_request(sandbox: Sandbox, call_id: str) -> dict[str, Any]:
    """The body exactly as it reached the sandbox."""
    row = sandbox.service.store.get("acct_sandbox_demo", call_id)
    assert row is not None
    return row.request
