"""The docs build's notebook hook (docs/hooks/notebooks.py) and the mkdocs-jupyter settings in mkdocs.yml."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest
from mkdocs.utils.yaml import yaml_load

from tests.docs.site import ROOT

HOOK = ROOT / "docs" / "hooks" / "notebooks.py"


@pytest.fixture()
def hook() -> Iterator[ModuleType]:
    spec = importlib.util.spec_from_file_location("notebooks_hook_under_test", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    module.on_shutdown()


def jupyter_options() -> dict[str, Any]:
    """mkdocs-jupyter's options as mkdocs.yml sets them."""
    config = yaml_load((ROOT / "mkdocs.yml").read_text())
    (options,) = [p["mkdocs-jupyter"] for p in config["plugins"] if isinstance(p, dict) and "mkdocs-jupyter" in p]
    assert isinstance(options, dict)
    return options


def test_the_build_runs_the_notebooks_without_credentials_in_a_folder_of_its_own(
    hook: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_live_of_the_developer")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://api.example.invalid")
    monkeypatch.setenv("CONVOI_SANDBOX_DB", "/somewhere/shared.sqlite3")
    monkeypatch.delenv("CONVOI_NB_DIR", raising=False)
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "/the/developers/jupyter")
    hook.on_pre_build(config=None)
    try:
        assert not {"CONVOI_API_KEY", "CONVOI_BASE_URL", "CONVOI_SANDBOX_DB"} & set(os.environ)
        workdir = Path(os.environ["CONVOI_NB_DIR"])
        assert ROOT not in workdir.parents
        assert os.environ["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [
            str(HOOK.parent / "jupyter"),
            "/the/developers/jupyter",
        ]
    finally:
        hook.on_post_build(config=None)
    assert os.environ["CONVOI_API_KEY"] == "sk_live_of_the_developer"
    assert os.environ["CONVOI_SANDBOX_DB"] == "/somewhere/shared.sqlite3"
    assert os.environ["JUPYTER_CONFIG_PATH"] == "/the/developers/jupyter"
    assert "CONVOI_NB_DIR" not in os.environ
    assert not workdir.parent.exists()


def test_a_failed_build_puts_the_environment_back_too(hook: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_live_of_the_developer")
    hook.on_pre_build(config=None)
    hook.on_build_error(error=RuntimeError("a page failed"))
    assert os.environ["CONVOI_API_KEY"] == "sk_live_of_the_developer"


def test_serve_reuses_outputs_from_a_cache_of_its_own_and_build_never(hook: ModuleType) -> None:
    def config() -> dict[str, Any]:  # the part of MkDocs' configuration on_config reads
        options = {"cache": False, "cache_dir": ".cache/mkdocs-jupyter"}
        return {"plugins": {"mkdocs-jupyter": SimpleNamespace(config=options)}}

    built = hook.on_config(config())
    assert built["plugins"]["mkdocs-jupyter"].config == {"cache": False, "cache_dir": ".cache/mkdocs-jupyter"}
    hook.on_startup(command="serve", dirty=False)
    served = hook.on_config(config())["plugins"]["mkdocs-jupyter"].config
    cache = Path(served["cache_dir"])
    assert served["cache"] is True and cache.is_dir() and ROOT not in cache.parents
    hook.on_shutdown()
    assert not cache.exists()


def test_mkdocs_yml_executes_the_notebooks_strictly_and_caches_nothing_in_the_checkout() -> None:
    options = jupyter_options()
    assert options["execute"] is True and options["allow_errors"] is False
    assert options["cache"] is False
    assert options["include_requirejs"] is False  # require.js would come from a CDN


def test_a_notebook_that_raises_fails_the_strict_build(tmp_path: Path) -> None:
    """A tiny site with mkdocs.yml's mkdocs-jupyter options and one notebook whose second cell raises."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    cells: list[dict[str, Any]] = [
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": source}
        for source in ("x = 1", "raise ValueError('the example broke')")
    ]
    notebook = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "docs" / "broken.ipynb").write_text(json.dumps(notebook))
    config = {"site_name": "t", "strict": True, "plugins": [{"mkdocs-jupyter": jupyter_options()}]}
    (tmp_path / "mkdocs.yml").write_text(json.dumps(config))  # JSON is YAML
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "the example broke" in done.stderr
    assert not (tmp_path / "site" / "broken").exists()
