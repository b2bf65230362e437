"""Long subprocess steps that start in the background when collection ends, while the other tests run.

Two checks need minutes of work that keeps at most one core busy: Binder's install in a fresh venv
(tests/binder_install.py) and every notebook run in a fresh clone (tests/notebook_runs.py). tests/conftest.py starts
a job when a collected test asks for its fixture; the fixture waits for the job to end (a condition, never a time)
and the test checks what it left. The steps run in a process group of their own (at normal priority: a lower one
starves them on a machine other work keeps busy, and the test waits for them anyway), with the environment given
when the job started, so a test that changes `os.environ` or the working folder meanwhile cannot
reach them; a job still running when the session ends is killed with its whole group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

STEP_TIMEOUT = 900  # seconds: the longest step (pip's install of the notebook stack) stays well within it


@dataclass
class Step:
    """One finished command: how it ended and what it printed."""

    returncode: int
    stdout: str
    stderr: str


@dataclass
class BackgroundJob:
    """Commands run one after another in a thread of their own, stopping at the first that fails."""

    commands: dict[str, tuple[list[str], Path]]  # name -> (argv, working folder)
    env: dict[str, str]
    after: BackgroundJob | None = None  # the job this one waits for: one extra core busy at a time, never two
    steps: dict[str, Step] = field(default_factory=dict)
    error: BaseException | None = None
    _process: subprocess.Popen[str] | None = None
    _stopped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> BackgroundJob:
        self._thread = threading.Thread(target=self._run, name="background-job", daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float) -> dict[str, Step]:
        """The steps once the job has ended; raises what stopped its thread, if anything did."""
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), f"the background job did not end within {timeout} s"
        if self.error is not None:
            raise self.error
        return self.steps

    def stop(self) -> None:
        """End the job if it still runs (the session ends before its test was reached)."""
        with self._lock:
            self._stopped = True
            if self._process is not None and self._process.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                    os.killpg(self._process.pid, signal.SIGKILL)  # the command and whatever it started
        if self._thread is not None:
            self._thread.join(60)

    def _run(self) -> None:
        if self.after is not None and self.after._thread is not None:
            self.after._thread.join()
        try:
            for name, (command, cwd) in self.commands.items():
                step = self._step(command, cwd)
                if step is None:
                    return
                self.steps[name] = step
                if step.returncode != 0:
                    return
        except BaseException as error:  # handed to the test
            self.error = error

    def _step(self, command: list[str], cwd: Path) -> Step | None:
        with self._lock:
            if self._stopped:
                return None
            self._process = process = subprocess.Popen(
                command,
                cwd=cwd,
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                start_new_session=True,  # a group of its own, ended whole by stop()
            )
        try:
            stdout, stderr = process.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            stdout, stderr = process.communicate()
            stderr += f"\n(killed after {STEP_TIMEOUT} s)"
        return Step(process.returncode, stdout, stderr)
