"""The docstring gate CI runs (`ruff check .` with the D rules, `pydoclint --quiet convoi_nb`) fails when a public
parameter is undocumented or a documented one does not exist, with the repo's own configuration, for functions,
async functions, methods, a class's constructor (documented in the class docstring) and properties; a correct
module passes. Beyond the linters: every object of the public API has a docstring (ruff's D1 rules skip modules
named `_x.py`, where ConvoiClient and connect live), and griffe, which renders the reference, reads every
docstring of the package without a warning.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import griffe
import pytest

from tests.docs.public_api import ROOT, api_objects, package

CONFIG = ROOT / "pyproject.toml"
BIN = Path(sys.executable).parent

# One module per kind of callable; `{sig}` is replaced by the signature's parameters after self, `{doc}` by the
# documented ones.
KINDS = {
    "function": '''
        def area(width: int{sig}) -> int:
            """The area.

            Args:
                width: The width.{doc}

            Returns:
                The area.
            """
            return width
        ''',
    "async function": '''
        async def area(width: int{sig}) -> int:
            """The area.

            Args:
                width: The width.{doc}

            Returns:
                The area.
            """
            return width
        ''',
    "method": '''
        class Shape:
            """A shape."""

            def area(self, width: int{sig}) -> int:
                """The area.

                Args:
                    width: The width.{doc}

                Returns:
                    The area.
                """
                return width
        ''',
    "constructor": '''
        class Shape:
            """A shape.

            Args:
                width: The width.{doc}
            """

            def __init__(self, width: int{sig}) -> None:
                self.width = width
        ''',
}
PROPERTY = '''
    class Shape:
        """A shape."""

        @property
        def area(self) -> int:
            """The area.

            Args:
                height: The height.
            """
            return 1
    '''
HEIGHT_SIG = ", height: int"
HEIGHT_DOC = "\n                height: The height."


def write_module(folder: Path, body: str) -> Path:
    path = folder / "shapes.py"
    path.write_text('"""Shapes."""\n\n' + textwrap.dedent(body).strip() + "\n", "utf-8")
    return path


def fill(kind: str, sig: str, doc: str) -> str:
    template = KINDS[kind]
    indent = " " * (4 if kind in ("method",) else 0)
    return template.replace("{sig}", sig).replace("{doc}", doc.replace("\n", "\n" + indent))


def ruff(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(BIN / "ruff"), "check", "--no-cache", "--config", str(CONFIG), "--output-format", "concise"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True, cwd=path.parent)


def pydoclint(path: Path) -> subprocess.CompletedProcess[str]:
    """pydoclint on one file; its findings (on stderr) are put in `stdout`."""
    command = [str(BIN / "pydoclint"), "--quiet", f"--config={CONFIG}", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=path.parent)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout + done.stderr, "")


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_correct_module_passes(tmp_path: Path, kind: str) -> None:
    path = write_module(tmp_path, fill(kind, HEIGHT_SIG, HEIGHT_DOC))
    assert ruff(path).returncode == 0, ruff(path).stdout
    assert pydoclint(path).returncode == 0, pydoclint(path).stdout


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_undocumented_parameter_fails(tmp_path: Path, kind: str) -> None:
    path = write_module(tmp_path, fill(kind, HEIGHT_SIG, ""))
    linted = pydoclint(path)
    assert linted.returncode != 0
    assert "DOC101" in linted.stdout and "height" in linted.stdout
    if kind != "constructor":  # ruff's D417 reads a function's own docstring only; pydoclint covers the class's
        checked = ruff(path)
        assert checked.returncode != 0 and "D417" in checked.stdout and "height" in checked.stdout


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_documented_parameter_that_does_not_exist_fails(tmp_path: Path, kind: str) -> None:
    path = write_module(tmp_path, fill(kind, "", HEIGHT_DOC))
    linted = pydoclint(path)
    assert linted.returncode != 0
    assert "DOC102" in linted.stdout and "height" in linted.stdout


def test_a_property_documenting_a_parameter_fails(tmp_path: Path) -> None:
    path = write_module(tmp_path, PROPERTY)
    linted = pydoclint(path)
    assert linted.returncode != 0 and "DOC102" in linted.stdout


def test_a_one_line_docstring_does_not_escape_the_check(tmp_path: Path) -> None:
    """`skip-checking-short-docstrings = false`: a summary-only docstring must still document parameters."""
    path = write_module(tmp_path, 'def area(width: int) -> int:\n    """The area."""\n    return width\n')
    linted = pydoclint(path)
    assert linted.returncode != 0 and "DOC101" in linted.stdout


def test_every_public_object_has_a_docstring() -> None:
    """What the linters cannot see: ruff's D1 rules treat everything in `_client.py` as private."""
    objects = [obj for obj in api_objects() if obj.is_class or obj.is_function or obj.is_module]
    assert any(obj.path == "convoi_nb._client.ConvoiClient.create_web_call" for obj in objects)
    assert [obj.path for obj in objects if not obj.docstring] == []


def test_griffe_reads_every_docstring_without_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """The reference's parser, on every docstring of the package, private modules included: a documented
    parameter missing from a signature (dataclass fields too, which pydoclint does not check) is a warning."""
    seen = 0

    def parse_all(obj: griffe.Object | griffe.Alias) -> None:
        nonlocal seen
        if obj.is_alias:
            return
        if obj.docstring:
            seen += 1
            obj.docstring.parse("google", warn_unknown_params=True)
        for member in obj.members.values():
            parse_all(member)

    with caplog.at_level(logging.WARNING, logger="griffe"):
        parse_all(package())
    assert seen > 900
    assert [record.getMessage() for record in caplog.records] == []
