"""One loopback rule, in one place, for the client, the sandbox and the Join button alike."""

from __future__ import annotations

import pytest

from convoi_nb import _config, _hosts
from convoi_nb.sandbox import server
from convoi_nb.widgets import join_button


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LOCALHOST", True),  # host names are case-insensitive
        ("LocalHost", True),
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127.0.0.0/8
        ("::1", True),
        ("[::1]", True),  # as a URL writes it
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("::", False),
        ("localhost.example", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert _hosts.is_loopback(host) is loopback


def test_the_client_the_sandbox_and_the_join_button_use_the_one_rule() -> None:
    assert _config.is_loopback is _hosts.is_loopback
    assert server.is_loopback is _hosts.is_loopback
    assert join_button.is_loopback is _hosts.is_loopback
