"""binder/ agrees with pyproject.toml, and its install steps work in a fresh virtual environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .background import Step

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def requirement_lines() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_requirements_install_the_package_with_the_notebook_extra() -> None:
    assert requirement_lines() == [".[notebook]"]
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert any(dep.startswith("jupyterlab") for dep in extras["notebook"])
    assert "convoi_nb[notebook]" in extras["test"]  # tests run the same notebook stack Binder gets


def test_dependencies_include_the_widget_stack() -> None:
    names = {re.split(r"[<>=!~; \[]", dep, maxsplit=1)[0].lower() for dep in PYPROJECT["project"]["dependencies"]}
    assert {"ipywidgets", "httpx", "pydantic", "pandas", "livekit-api"} <= names


def supports(version: str, requires: str = PYPROJECT["project"]["requires-python"]) -> bool:
    """Whether Python `version` ("3.11" or "3.11.4") satisfies a `requires-python` specifier."""
    try:
        from packaging.specifiers import SpecifierSet
    except ModuleNotFoundError:  # packaging comes with the test tools; this covers a plain ">=X.Y" without it
        match = re.fullmatch(r">=\s*(\d+)\.(\d+)", requires.strip())
        assert match, f"cannot read requires-python {requires!r} without packaging"
        return tuple(map(int, version.split(".")[:2])) >= tuple(map(int, match.groups()))
    return SpecifierSet(requires).contains(version)


def binder_python() -> str:
    """The Python version binder/runtime.txt asks Binder for."""
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+(?:\.\d+)?)", runtime)
    assert match, f"binder/runtime.txt must read python-X.Y, not {runtime!r}"
    return match.group(1)


def test_supports_reads_the_specifier() -> None:
    assert supports("3.11", ">=3.10") and supports("3.10.2", ">=3.10") and not supports("3.9", ">=3.10")


def test_post_build_fails_fast_and_runtime_fits() -> None:
    post_build = (BINDER / "postBuild").read_text().splitlines()
    assert post_build[0].startswith("#!") and post_build[1] == "set -e"
    assert (BINDER / "postBuild").stat().st_mode & 0o111
    requires = PYPROJECT["project"]["requires-python"]
    assert supports(binder_python()), (
        f"binder/runtime.txt asks for Python {binder_python()}, pyproject needs {requires}"
    )


def test_readme_links_binder_to_the_quickstart() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "mybinder.org/badge_logo.svg" in readme
    assert "urlpath=lab/tree/notebooks/01_quickstart.ipynb" in readme


@pytest.mark.slow
@pytest.mark.timeout(6000)  # waits for a fresh install of the notebook stack (tests/background.py bounds it)
def test_binder_install_steps_work_in_a_fresh_venv(binder_install: dict[str, Step]) -> None:
    """What repo2docker does with binder/requirements.txt, minus the image: a clean venv, pip from the root. The
    steps start in the background with the session (tests/binder_install.py); the fixture waits for them."""
    for name in ("venv", "install", "probe"):
        assert name in binder_install and binder_install[name].returncode == 0, binder_install[name].stderr[-3000:]
    probe = binder_install["probe"]
    package, widgets, lab, lab_widgets, python_version, installed_requires = probe.stdout.splitlines()
    assert package == __import__("convoi_nb").__version__
    assert widgets.startswith("8.") and lab.startswith("4.") and lab_widgets.startswith("3.")
    requires = PYPROJECT["project"]["requires-python"]
    assert installed_requires == requires  # what pip checked is what pyproject says
    assert supports(python_version), f"the fresh venv runs Python {python_version}; pyproject needs {requires}"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~; \[]", dep, maxsplit=1)[0].lower() for dep in requirements}


def test_the_review_is_an_extra_that_the_notebooks_and_tests_install() -> None:
    project = PYPROJECT["project"]
    extras = project["optional-dependencies"]
    assert {"duckdb", "pyarrow", "ibis-framework", "sqlglot"} == _names(extras["review"])  # issue 27: queries in Ibis
    assert not {"duckdb", "pyarrow"} & _names(project["dependencies"])  # `import convoi_nb` never needs them
    assert "convoi_nb[review]" in extras["notebook"]  # notebook 03 reviews costs; Binder installs .[notebook]
    assert {"convoi_nb[review]", "convoi_nb[notebook]", "convoi_nb[voila]"} <= set(extras["test"])


def test_the_test_extra_carries_the_lint_gates() -> None:
    tools = {
        dep.split(">")[0].split("<")[0].split("=")[0]: dep
        for dep in PYPROJECT["project"]["optional-dependencies"]["test"]
    }
    assert {"ruff", "mypy", "pandas-stubs", "pydoclint"} <= set(tools)
    assert all("<" in tools[name] for name in ("ruff", "mypy", "pandas-stubs", "pydoclint"))  # pinned to a range
    assert tools["pandas-stubs"] == "pandas-stubs>=2.3,<2.4"
