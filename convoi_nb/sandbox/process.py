"""The standalone sandbox as a child process, for benchmarks and multi-process tests.

It picks a free port itself (`--port 0`) and reports its URL, so no port is chosen here and raced for.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import httpx

from ..errors import SandboxError

_LISTENING = re.compile(r"Convoi sandbox on (http://\S+)")


def spawn(
    args: Sequence[str] = (), *, timeout: float = 30.0, cwd: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m convoi_nb.sandbox --port 0 *args` and wait until it answers /healthz.

    The caller stops it (`process.terminate()` or kill).

    Args:
        args: More command-line arguments.
        timeout: Seconds to wait for it to answer.
        cwd: The folder to run it in (the current one if None).

    Returns:
        The process and its base URL.

    Raises:
        SandboxError: It exited or did not answer in time.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "convoi_nb.sandbox", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert process.stderr is not None
    url = None
    for line in process.stderr:  # its first log line names the bound URL
        found = _LISTENING.search(line)
        if found:
            url = found.group(1)
            break
    # Keep reading what it logs, so a chatty server never blocks on a full pipe.
    threading.Thread(target=process.stderr.read, name="convoi-sandbox-stderr", daemon=True).start()
    deadline = time.monotonic() + timeout
    while url is not None and process.poll() is None and time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise SandboxError(f"the sandbox process did not start (exit code {process.returncode})")
