"""The built reference covers the public API: every public module, every name of every `__all__`, every public
class, function and method, and every parameter of every documented function with its type.

The site is built once per session (`mkdocs build --strict`, so a griffe warning such as a documented parameter
that is not in the signature fails here too), or taken from `CONVOI_NB_DOCS_SITE` when a build exists already.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import griffe
import pytest

from tests.docs.public_api import ROOT, api_objects, exported_names, public_modules

pytestmark = pytest.mark.timeout(900)  # the first test builds the site


@pytest.fixture(scope="session")
def reference_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: the docs tests' shared one (`site_dir` in tests/docs/conftest.py) where it exists, else
    `CONVOI_NB_DOCS_SITE` if set, else a strict build into a temporary folder."""
    try:
        return Path(request.getfixturevalue("site_dir"))
    except pytest.FixtureLookupError:
        pass  # no shared fixture in this checkout: build here
    given = os.environ.get("CONVOI_NB_DOCS_SITE")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("reference-site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-d", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def read_inventory(site: Path) -> dict[str, tuple[str, str]]:
    """objects.inv (Sphinx format v2, written by mkdocstrings): name → (domain:role, url)."""
    raw = (site / "objects.inv").read_bytes()
    header_lines = 4  # "# Sphinx inventory version 2", project, version, "# The remainder ... zlib."
    body = raw.split(b"\n", header_lines)[header_lines]
    entries = {}
    for line in zlib.decompress(body).decode().splitlines():
        name, role, _priority, url, _display = line.split(" ", 4)
        entries[name] = (role, url.replace("$", name))
    return entries


@pytest.fixture(scope="session")
def inventory(reference_site: Path) -> dict[str, tuple[str, str]]:
    return read_inventory(reference_site)


def test_every_package_folder_is_a_package() -> None:
    """A folder of modules without `__init__.py` is left out of the wheel (setuptools, `namespaces = false`), and
    out of the reference (griffe does not see it)."""
    package_dir = ROOT / "convoi_nb"
    folders = {p.parent for p in package_dir.rglob("*.py") if "join_frontend" not in p.parts}
    assert sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").exists()) == []


def test_every_public_module_is_in_the_reference(inventory: dict[str, tuple[str, str]]) -> None:
    modules = [module.path for module in public_modules()]
    assert len(modules) > 50  # the walk found the package
    assert [m for m in modules if inventory.get(m, ("",))[0] != "py:module"] == []


def test_every_name_of_every_all_is_in_the_reference(inventory: dict[str, tuple[str, str]]) -> None:
    names = [f"{module}.{name}" for module, name in exported_names()]
    assert "convoi_nb.experiments.Experiment" in names
    assert [name for name in names if name not in inventory] == []


def test_every_public_class_function_and_method_is_in_the_reference(inventory: dict[str, tuple[str, str]]) -> None:
    objects = [obj.path for obj in api_objects() if obj.is_class or obj.is_function]
    assert "convoi_nb._client.ConvoiClient.create_web_call" in objects  # re-exports' methods are included
    assert [path for path in objects if path not in inventory] == []


def section_of(site: Path, url: str) -> str:
    """The HTML of one object's entry: from its heading to the next heading."""
    page, _, anchor = url.partition("#")
    text = (site / page / "index.html" if not page.endswith(".html") else site / page).read_text("utf-8")
    start = text.index(f'id="{anchor}"')
    end = text.find('class="doc doc-heading"', text.index("</h", start))
    return text[start : end if end != -1 else len(text)]


def documented_parameters(section: str, title: str = "Parameters") -> dict[str, bool]:
    """The entries of a docstring section's list ("Parameters:"): name → whether a type is shown beside it."""
    marker = f'<span class="doc-section-title">{title}:</span>'
    start = section.find(marker)
    if start == -1:
        return {}
    end = section.find('class="doc-section-title"', start + len(marker))
    block = section[start : end if end != -1 else len(section)]
    entries = re.findall(r"<b><code>(.*?)</code></b>\s*(\(?)", block, flags=re.DOTALL)
    return {html.unescape(re.sub(r"<[^>]+>", "", name)): typed == "(" for name, typed in entries}


def signature_parameters(obj: griffe.Object | griffe.Alias) -> list[griffe.Parameter]:
    """The parameters a caller passes (not self/cls, not *args/**kwargs, which are described in the text)."""
    if obj.is_class:
        init = obj.members.get("__init__")
        if init is None or init.is_alias or init.parent is not obj:
            return []  # no constructor of its own (pydantic models, exceptions): fields are described as such
        obj = init
    kinds = (griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword)
    params = list(getattr(obj, "parameters", []))
    return [p for p in params if p.name not in ("self", "cls") and not p.name.startswith("_") and p.kind not in kinds]


def test_every_parameter_is_listed_with_its_type(reference_site: Path, inventory: dict[str, tuple[str, str]]) -> None:
    checked, problems = 0, []
    for obj in api_objects():
        if not (obj.is_class or obj.is_function) or "property" in obj.labels:
            continue
        params = signature_parameters(obj)
        if not params:
            continue
        section = section_of(reference_site, inventory[obj.path][1])
        listed = documented_parameters(section)
        if "dataclass" in obj.labels:  # a dataclass's fields are its parameters, described as its attributes
            listed = {**documented_parameters(section, "Attributes"), **listed}
        for param in params:
            checked += 1
            if param.name not in listed:
                problems.append(f"{obj.path}: {param.name} not listed")
            elif param.annotation is not None and not listed[param.name]:
                problems.append(f"{obj.path}: {param.name} listed without its type")
    assert checked > 500
    assert problems == []


def test_experiment_run_lists_every_parameter_with_its_type(
    reference_site: Path, inventory: dict[str, tuple[str, str]]
) -> None:
    """The entry the site's browser test opens, under its public anchor."""
    role, url = inventory["convoi_nb.experiments.Experiment.run"]
    assert (role, url.partition("#")[2]) == ("py:method", "convoi_nb.experiments.Experiment.run")
    listed = documented_parameters(section_of(reference_site, url))
    import inspect

    from convoi_nb.experiments import Experiment

    expected = [name for name in inspect.signature(Experiment.run).parameters if name != "self"]
    assert list(listed) == expected
    assert all(listed.values())
