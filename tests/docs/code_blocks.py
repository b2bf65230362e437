"""The code blocks of a Markdown page, and the convention they follow (DOCS_CONVENTIONS, "Code blocks").

Every fenced block either runs (it is python) or is immediately preceded by `<!-- not run: <reason> -->`.
The page is parsed with markdown-it-py (CommonMark), the parser behind MkDocs' own link checks in many sites, so
fences inside lists, fences of tildes and longer backtick runs are read as a renderer reads them. Blocks indented
under a Python-Markdown admonition, details or tab (`!!! note`, `??? tip`, `=== "Tab"`) are indented code to
CommonMark: their text is parsed again, so the fences inside them count too.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

MARKER = re.compile(r"<!--\s*not run\s*(?::(?P<reason>.*?))?\s*-->", re.S)
RUNNABLE = "python"


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page.

    Args:
        line: Its opening fence's line number (1-based) in the page.
        language: The first word of its info string ("" for none).
        code: Its text.
        marker: The `<!-- not run ... -->` comment right before it, if any (its whole text).
        reason: The reason that comment gives (stripped; "" when empty or missing).
    """

    line: int
    language: str
    code: str
    marker: str | None
    reason: str

    def problem(self) -> str | None:
        """What is wrong with this block under the convention, if anything.

        Returns:
            None for a python block without a marker (it runs) or a block with a reason not to run; otherwise
            a message naming the line and the rule.
        """
        if self.marker is not None:
            if not self.reason:
                return f"line {self.line}: `{self.marker}` gives no reason (write `<!-- not run: <reason> -->`)"
            return None
        if self.language != RUNNABLE:
            shown = f"a ```{self.language} block" if self.language else "a block without a language"
            return (
                f"line {self.line}: {shown} runs only if it is python; "
                "mark it `<!-- not run: <reason> -->` on the line before"
            )
        return None

    @property
    def runs(self) -> bool:
        """Whether the page's test executes this block (python and not marked)."""
        return self.marker is None and self.language == RUNNABLE


def _marker(previous: Token | None) -> tuple[str | None, str]:
    if previous is None or previous.type != "html_block":
        return None, ""
    found = MARKER.fullmatch(previous.content.strip())
    if found is None:
        return None, ""
    return found.group(0), (found.group("reason") or "").strip()


def blocks(text: str, first_line: int = 1) -> list[Block]:
    """The fenced code blocks of Markdown `text`, in order.

    Args:
        text: The page's Markdown.
        first_line: The line number of the text's first line in the page (for text parsed again).

    Returns:
        Each fence with the marker before it, if any.
    """
    found: list[Block] = []
    previous: Token | None = None
    for token in MarkdownIt("commonmark").parse(text):
        start = first_line + (token.map[0] if token.map else 0)
        if token.type == "fence":
            marker, reason = _marker(previous)
            language = token.info.split()[0] if token.info.strip() else ""
            found.append(Block(start, language, token.content, marker, reason))
        elif token.type == "code_block":  # indented: an admonition's, a tab's or a details' body
            found.extend(blocks(token.content, start))
        previous = token
    return found


# What a reader's fresh session has not: a key, a URL, a working folder or a seed of their own.
READER_UNSET = ("CONVOI_API_KEY", "CONVOI_BASE_URL", "CONVOI_NB_DIR", "CONVOI_SANDBOX_SEED")


def as_a_reader(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Run the docs' code as a reader would: in `folder`, with no key or URL (so `connect()` gives the embedded
    sandbox), an in-memory sandbox database and no seed or working folder of their own. Undone after the test."""
    monkeypatch.chdir(folder)  # the working folder .convoi_nb/ (results store, exports) lands here
    for variable in READER_UNSET:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CONVOI_SANDBOX_DB", ":memory:")


def run_blocks(name: str, runnable: list[Block], folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run `runnable` in order in one namespace, as a reader (`as_a_reader`) on a fresh embedded sandbox.

    Top-level `await` works as in a notebook: the page's awaits share one event loop. Returns the namespace."""
    from convoi_nb import _connect

    as_a_reader(monkeypatch, folder)
    monkeypatch.setattr(_connect, "_sandbox", None)  # a sandbox of the page's own, stopped below
    namespace: dict[str, Any] = {"__name__": "docs_page"}
    loop = asyncio.new_event_loop()
    try:
        for block in runnable:
            # Blank lines first, so that a traceback's line numbers are the page's.
            source = "\n" * block.line + block.code
            code = compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            try:
                result = eval(code, namespace)
                if code.co_flags & inspect.CO_COROUTINE:
                    loop.run_until_complete(result)
            except Exception as exc:
                shown = "".join(traceback.format_exception(exc)[-12:])
                raise AssertionError(f"{name}: the block at line {block.line} failed:\n{shown}") from exc
    finally:
        loop.close()
        if _connect._sandbox is not None:
            _connect._sandbox.stop()
    return namespace
