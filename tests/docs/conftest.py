"""The built site (CI's, or one built here once per session), served on loopback for chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.docs.site import SITE_ENV, BuildResult, build_checked, serving


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
