"""The built site (CI's, or one built here once per session), served on loopback for chromium."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.site import SITE_ENV, BuildResult, build_checked, serving
from tests.widgets.conftest import FrontEnd

# Whichever test first asks for the site may build it (two minutes or more on a loaded machine, the notebooks
# included), within its own timeout: every test that uses the site gets this one.
SITE_TIMEOUT = 1200


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "site_build" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.timeout(SITE_TIMEOUT))


@pytest.fixture(scope="session")
def site_build(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The site .ci/run built (its folder in CONVOI_NB_DOCS_SITE), else one built strictly now."""
    named = os.environ.get(SITE_ENV)
    if named:
        folder = Path(named)
        if not (folder / "index.html").is_file():
            pytest.fail(f"{SITE_ENV}={named} holds no built site (no index.html)")
        return BuildResult(folder, git_before=None, git_after=None)
    return build_checked(tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def site_dir(site_build: BuildResult) -> Path:
    return site_build.folder


@pytest.fixture(scope="session")
def site_url(site_dir: Path) -> Iterator[str]:
    with serving(site_dir) as url:
        yield url


@dataclass(frozen=True)
class _LoggerState:
    level: int
    handlers: list[logging.Handler]
    propagate: bool
    disabled: bool


def _loggers() -> list[logging.Logger]:
    named = [logger for logger in logging.Logger.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    return [logging.getLogger(), *named]


@pytest.fixture(autouse=True)
def user_code_leaves_no_trace() -> Iterator[None]:
    """The docs' code (pages, docstring examples) runs in this process as a reader's would in a notebook: what it
    changes for the rest of the process is undone afterwards, so later tests see the process as before. Its
    loggers' levels and handlers (a page shows `logging.basicConfig`) and the widgets it leaves open (a page shows
    a form without closing it; a later test reads every open widget's state)."""
    before = {
        logger.name: _LoggerState(logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for logger in _loggers()
    }
    opened = FrontEnd()  # the widgets opened from here on
    try:
        yield
    finally:
        for widget in opened.widgets():
            widget.close()
        for logger in _loggers():
            state = before.get(logger.name)
            if state is None:  # made by the user code: quiet again
                logger.setLevel(logging.NOTSET)
                logger.handlers.clear()
                continue
            logger.setLevel(state.level)
            logger.handlers[:] = state.handlers
            logger.propagate, logger.disabled = state.propagate, state.disabled
