"""The browser fixtures, without a browser: the server's port is the one it bound itself, a server that lost its port
is started again (a stand-in, Python's http.server, plays JupyterLab), and a missing browser fails in CI."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import httpx
import pytest

from . import conftest
from .conftest import CHROMIUM, ROOT, listening_ports, serve

# Exits like Jupyter Server that lost its port while `starts` (a file) holds fewer than `lose` lines; then serves
# on port 0, as the fixtures ask the real servers to.
STAND_IN = """
import http.server, pathlib, sys
starts = pathlib.Path(sys.argv[1])
starts.write_text(starts.read_text() + "start\\n" if starts.exists() else "start\\n")
if len(starts.read_text().splitlines()) <= int(sys.argv[2]):
    print("[C ServerApp] ERROR: the Jupyter server could not be started because no available port could be found.")
    sys.exit(1)
print("serving", flush=True)
http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


ENV = dict(os.environ)


def stand_in(tmp_path: Path, lose: int) -> list[str]:
    return [sys.executable, "-c", STAND_IN, str(tmp_path / "starts"), str(lose)]


def test_the_url_is_the_port_the_server_bound(tmp_path: Path) -> None:
    with socket.socket() as decoy:  # another listener on this machine is never mistaken for the server
        decoy.bind(("127.0.0.1", 0))
        decoy.listen()
        process, url = serve("stand-in", stand_in(tmp_path, lose=0), "/", ENV, tmp_path / "server.log")
        try:
            assert listening_ports(process.pid) == {int(url.rsplit(":", 1)[1])}
            assert decoy.getsockname()[1] not in listening_ports(process.pid)
            assert httpx.get(url + "/").status_code == 200
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_a_server_that_lost_its_port_is_started_again(tmp_path: Path) -> None:
    process, url = serve("stand-in", stand_in(tmp_path, lose=2), "/", ENV, tmp_path / "server.log")
    try:
        assert (tmp_path / "starts").read_text().count("start") == 3
        assert httpx.get(url + "/").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_server_that_keeps_losing_its_port_fails_after_three_starts(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="could not bind a port in 3 starts"):
        serve("stand-in", stand_in(tmp_path, lose=5), "/", ENV, tmp_path / "server.log")
    assert (tmp_path / "starts").read_text().count("start") == 3


def test_a_server_that_fails_otherwise_is_not_started_again(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('ImportError: no module named jupyterlab'); sys.exit(1)"]
    with pytest.raises(RuntimeError, match="no module named jupyterlab"):
        serve("stand-in", command, "/", ENV, tmp_path / "server.log")
    assert (tmp_path / "server.log").read_text().count("ImportError") == 1


def test_listening_ports_of_a_process_that_is_gone() -> None:
    assert listening_ports(2**22 + 1) == set()  # above Linux's largest pid


def _require_chromium_outcome() -> BaseException:
    try:
        conftest._require_chromium()
    except BaseException as outcome:  # pytest's skip and fail are BaseExceptions: caught here, not taken
        return outcome
    raise AssertionError("a missing browser neither failed nor skipped the test")


def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conftest, "CHROMIUM", tmp_path / "chromium")
    monkeypatch.setenv("CI", "true")
    in_ci = _require_chromium_outcome()
    assert isinstance(in_ci, pytest.fail.Exception) and "chromium is not installed" in str(in_ci), repr(in_ci)
    monkeypatch.delenv("CI")
    assert isinstance(_require_chromium_outcome(), pytest.skip.Exception)


def test_ci_installs_the_browser_the_tests_drive() -> None:
    """.ci/run checks for (and installs) chromium at the path the fixtures use, not anywhere on PATH, and runs the
    tests with CI set, so that a missing browser fails the run."""
    script = (ROOT / ".ci" / "run").read_text()
    assert f"CHROMIUM={CHROMIUM}\n" in script and '[ ! -x "$CHROMIUM" ]' in script
    assert "command -v chromium" not in script
    assert -1 < script.index("export CI=true\n") < script.index("python -m pytest")
