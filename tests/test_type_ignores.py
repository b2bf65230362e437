"""Every `# type: ignore` in the package names the error it silences and says why, on the same line."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "convoi_nb"
IGNORE = re.compile(r"#\s*type:\s*ignore\b(?P<codes>\[[^\]]*\])?(?P<rest>.*)")
REASON = re.compile(r"\s+#\s*\S")  # a comment of its own after the ignore: `  # why`


def unexplained(source: str) -> list[int]:
    """The lines of `source` whose `type: ignore` comment lacks an error code or a reason."""
    lines = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        found = IGNORE.search(token.string) if token.type == tokenize.COMMENT else None
        if found and not (found["codes"] and REASON.match(found["rest"])):
            lines.append(token.start[0])
    return lines


def test_every_type_ignore_in_the_package_says_why() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40
    found = {str(path.relative_to(PACKAGE)): unexplained(path.read_text()) for path in files}
    assert {name: lines for name, lines in found.items() if lines} == {}


def test_the_check_tells_a_reason_from_none() -> None:
    assert unexplained("x = f()  # type: ignore[misc]  # f is untyped\n") == []
    assert unexplained("x = f()  # type: ignore[misc]\n") == [1]
    assert unexplained("x = f()  # type: ignore  # no code\n") == [1]
    assert unexplained("x = '# type: ignore[misc]'\n") == []  # in a string, not a comment
