"""The standalone sandbox as a child process, for benchmarks and multi-process tests: it picks a free port
itself (`--port 0`) and reports its URL, so no port is chosen here and raced for.
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


def spawn(args: Sequence[str] = (), *, timeout: float = 30.0, cwd: str | None = None) -> tuple[subprocess.Popen, str]:
    """Start `python -m convoi_nb.sandbox --port 0 *args`; return (process, base URL) once it answers /healthz.

    The caller stops it (`process.terminate()` or kill). Raises RuntimeError if it exits or does not answer.
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
