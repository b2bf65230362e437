"""The documentation site for the tests: built strictly (or the one CI built), and served on loopback."""

from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# .ci/run builds the site once, strictly, and names it here, so the tests look at exactly what CI built.
SITE_ENV = "CONVOI_NB_DOCS_SITE"


class BuildFailed(RuntimeError):
    pass


def git_status() -> str:
    """What `git status` says of the checkout (untracked files included)."""
    command = ["git", "status", "--porcelain", "--untracked-files=all"]
    return subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout


def build(destination: Path) -> None:
    """Build the site strictly into `destination` (the command .ci/run runs)."""
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(destination)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner about MkDocs 2.0, printed on every build
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise BuildFailed(f"mkdocs build --strict failed ({done.returncode}):\n{done.stderr[-6000:]}")


@dataclass(frozen=True)
class BuildResult:
    """A built site, and what `git status` said of the checkout before and after the build (None: not built here).

    Args:
        folder: The site's folder.
        git_before: `git status` before the build.
        git_after: `git status` after it.
    """

    folder: Path
    git_before: str | None
    git_after: str | None


def build_checked(destination: Path) -> BuildResult:
    """Build the site into `destination`, noting `git status` around the build."""
    before = git_status()
    build(destination)
    return BuildResult(destination, before, git_status())


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # the tests' output stays theirs
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on a free loopback port while the block runs; yield its URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            thread.join()
