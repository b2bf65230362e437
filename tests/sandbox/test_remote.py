"""The standalone sandbox stays on loopback unless asked, and then only with a key of the user's own."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from convoi_nb.errors import ConfigurationError
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY, OTHER_API_KEY
from convoi_nb.sandbox.server import remote_problem

OWN_KEY = "sk_mine_7d1c9e4b2a3f5e6d"


@pytest.mark.parametrize(
    "argv",
    [
        ["--host", "0.0.0.0"],
        ["--host", "192.0.2.10", "--allow-remote"],
        ["--host", "0.0.0.0", "--allow-remote", "--api-key", DEFAULT_API_KEY],
        ["--host", "0.0.0.0", "--allow-remote", "--api-key", "short"],
    ],
)
def test_a_non_loopback_host_is_refused_without_allow_remote_and_an_own_key(argv: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "convoi_nb.sandbox", "--port", "0", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": ""},
    )
    assert done.returncode == 2, done.stderr  # argparse's usage error: nothing was served
    assert "--allow-remote" in done.stderr or "your own" in done.stderr


@pytest.mark.parametrize(
    ("host", "allowed", "key", "ok"),
    [
        ("127.0.0.1", False, None, True),
        ("localhost", False, None, True),
        ("LOCALHOST", False, None, True),  # the client's rule too: host names are case-insensitive
        ("[::1]", False, None, True),
        ("::1", False, None, True),
        ("127.0.0.2", False, None, True),
        ("0.0.0.0", False, None, False),
        ("0.0.0.0", True, None, False),
        ("0.0.0.0", True, OWN_KEY, True),
        ("sandbox.example", True, OWN_KEY, True),
    ],
)
def test_remote_rule(host: str, allowed: bool, key: str | None, ok: bool) -> None:
    assert (remote_problem(host, allowed, key) == "") is ok


def test_an_own_key_replaces_the_demo_keys(tmp_path: object) -> None:
    with Sandbox(SandboxSettings(api_key=OWN_KEY)) as sandbox:

        def status(key: str) -> int:
            return httpx.get(
                f"{sandbox.url}/api/v1/public/agents", headers={"Authorization": f"Bearer {key}"}
            ).status_code

        assert sandbox.api_key == OWN_KEY
        assert (status(OWN_KEY), status(DEFAULT_API_KEY), status(OTHER_API_KEY)) == (200, 401, 401)


def test_healthz_tells_call_counts_only_to_their_account(fresh_sandbox: Sandbox) -> None:
    from convoi_nb import ConvoiClient

    with ConvoiClient(api_key=OTHER_API_KEY, base_url=fresh_sandbox.url) as other:
        other.create_web_call(other.list_agents()[0].id)
    anonymous = httpx.get(f"{fresh_sandbox.url}/healthz").json()
    mine = httpx.get(f"{fresh_sandbox.url}/healthz", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}).json()
    theirs = httpx.get(f"{fresh_sandbox.url}/healthz", headers={"Authorization": f"Bearer {OTHER_API_KEY}"}).json()
    assert anonymous["status"] == "ok" and "calls" not in anonymous
    assert (mine["calls"], theirs["calls"]) == (0, 1)


def test_the_python_api_refuses_a_remote_host_too() -> None:
    with pytest.raises(ConfigurationError, match="allow_remote=True"):
        Sandbox(host="0.0.0.0")
    with pytest.raises(ConfigurationError, match="a key of your own"):
        Sandbox(host="0.0.0.0", allow_remote=True)
    Sandbox(SandboxSettings(api_key=OWN_KEY), host="0.0.0.0", allow_remote=True)  # allowed (not started)
