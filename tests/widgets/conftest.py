"""Helpers for headless widget tests: widgets and clients closed whatever the outcome, the front-end state of
the widgets a test opened (and of no other test), and sandboxes whose calls always end."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any, TypeVar

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.widgets._closing import owned_widgets

W = TypeVar("W", bound=w.Widget)


def reachable(roots: Iterable[w.Widget]) -> list[w.Widget]:
    """The roots and every widget they reference through a synced trait (children, layout, style, ...), as a
    composite's close() finds them (the Join front end's shared runtime aside)."""
    first, *rest = list(roots) or [None]
    return [] if first is None else [first, *owned_widgets(first, rest)]


class FrontEnd:
    """What a browser would hold of the widgets opened since this object was made.

    ipywidgets sends a widget's whole state to the front end when the widget is created, whether or not it is
    displayed, so "opened since the test started" (not "reachable from the launcher") is what can leak. Widgets
    other tests left open are not looked at, so one failing test cannot fail the next one's secret check.
    """

    def __init__(self) -> None:
        self._before = set(_instances)

    def widgets(self) -> list[w.Widget]:
        return [widget for key, widget in list(_instances.items()) if key not in self._before]

    def state(self) -> str:
        """Every synced value of those widgets, as one string."""
        return json.dumps([widget.get_state() for widget in self.widgets()], default=repr, ensure_ascii=False)


@pytest.fixture()
def front_end() -> FrontEnd:
    return FrontEnd()


class Opened:
    """Sandboxes, clients and widgets a test opens, closed when it ends, pass or fail, last opened first (each
    close runs even if another raised): a widget, with every widget it references, before the client it polls
    with, and a client before its sandbox, so no poller or worker thread outlives what it uses."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self._stack.callback(self._close_stragglers, FrontEnd())

    def sandbox(self, **settings: Any) -> Sandbox:
        """A started sandbox of the test's own (in memory), with these `SandboxSettings`."""
        made = Sandbox(SandboxSettings(**{"db_path": ":memory:", **settings}))
        self._stack.callback(made.stop)  # before start(): a half-started server is stopped too
        return made.start()

    def client(self, sandbox: Sandbox, **options: Any) -> ConvoiClient:
        made = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, **options)
        self._stack.callback(made.close)
        return made

    def widget(self, factory: Callable[..., W], *args: Any, **kwargs: Any) -> W:
        made = factory(*args, **kwargs)
        self._stack.callback(_close_tree, made)
        return made

    def close(self) -> None:
        self._stack.close()

    @staticmethod
    def _close_stragglers(opened_since: FrontEnd) -> None:
        # Widgets the test opened that no root references any more (a removed metadata row or variant entry)
        # are still open; close them too, so that nothing a test made lives on into the next test.
        for widget in opened_since.widgets():
            widget.close()


def _close_tree(root: w.Widget) -> None:
    tree = reachable([root])
    root.close()  # the widget's own close first: it stops pollers and worker threads
    for widget in tree:
        widget.close()  # a Box does not close its children; a closed widget's close() does nothing


@pytest.fixture()
def opened() -> Iterator[Opened]:
    made = Opened()
    try:
        yield made
    finally:
        made.close()


@pytest.fixture()
def client(opened: Opened, sandbox: Sandbox) -> ConvoiClient:
    """A client on the shared session sandbox: for tests that do not depend on how their calls turn out."""
    return opened.client(sandbox)


@pytest.fixture()
def fresh_sandbox(opened: Opened) -> Sandbox:
    """A sandbox of its own, for tests that inject faults or count calls (stopped after the test's widgets)."""
    return opened.sandbox()


@pytest.fixture()
def calm_sandbox(opened: Opened) -> Sandbox:
    """A sandbox of its own in which every call ends (none expires or fails): for tests that check outcomes."""
    return opened.sandbox(expire_rate=0, fail_rate=0)


@pytest.fixture()
def calm_client(opened: Opened, calm_sandbox: Sandbox) -> ConvoiClient:
    return opened.client(calm_sandbox)


def last_request(sandbox: Sandbox, call_id: str) -> dict[str, Any]:
    """The body exactly as it reached the sandbox."""
    row = sandbox.service.store.get("acct_sandbox_demo", call_id)
    assert row is not None
    return row.request
