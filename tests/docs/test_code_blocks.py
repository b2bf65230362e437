"""Every code block in the docs runs, or says why not (DOCS_CONVENTIONS, "Code blocks").

One test per page (docs/**/*.md and README.md, found when the tests are collected, so a new page is covered): its
fences follow the convention, and its python blocks run in order in one namespace, in a fresh empty folder, on the
embedded sandbox (no key, no URL, an in-memory database), the way a reader would paste them. README.md's python
blocks run here too (tests/test_readme.py runs its twenty lines again and checks what they print), so no block is
left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.code_blocks import blocks, run_blocks

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_code_blocks_run_or_say_why_not(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = page.relative_to(ROOT).as_posix()
    found = blocks(page.read_text(encoding="utf-8"))
    problems = [problem for block in found if (problem := block.problem())]
    if problems:
        pytest.fail(f"{name}:\n" + "\n".join(problems), pytrace=False)
    runnable = [block for block in found if block.runs]
    if runnable:
        run_blocks(name, runnable, tmp_path, monkeypatch)


# -- the parser --------------------------------------------------------------------------------------------------

PAGE = """# A page

<!-- not run: installs packages -->
```bash
pip install -e ".[docs]"
```

```python
x = 1
```

Text.

~~~~python title="tildes"
y = x + 1
~~~~

!!! note "In an admonition"
    Some text.

    ```python
    z = y + 1
    ```

- a list item

  <!-- not run: output shown as text -->
  ```text
  3
  ```
"""


def test_the_parser_reads_fences_markers_lines_and_admonitions() -> None:
    found = blocks(PAGE)
    assert [(b.line, b.language, b.runs) for b in found] == [
        (4, "bash", False),
        (8, "python", True),
        (14, "python", True),
        (21, "python", True),
        (28, "text", False),
    ]
    assert [b.code for b in found if b.runs] == ["x = 1\n", "y = x + 1\n", "z = y + 1\n"]
    assert [b.reason for b in found] == ["installs packages", "", "", "", "output shown as text"]
    assert [b.problem() for b in found] == [None] * 5


def test_an_unmarked_block_that_is_not_python_fails() -> None:
    (bash,) = blocks("Run this:\n\n```bash\nls\n```\n")
    assert not bash.runs
    assert bash.problem() == (
        "line 3: a ```bash block runs only if it is python; mark it `<!-- not run: <reason> -->` on the line before"
    )
    (bare,) = blocks("```\nplain\n```\n")
    assert (bare.problem() or "").startswith("line 1: a block without a language runs only if it is python")


@pytest.mark.parametrize("marker", ["<!-- not run -->", "<!-- not run: -->", "<!-- not run:    -->"])
def test_a_marker_without_a_reason_fails(marker: str) -> None:
    (block,) = blocks(f"{marker}\n```bash\nls\n```\n")
    assert not block.runs
    assert block.problem() == f"line 2: `{marker}` gives no reason (write `<!-- not run: <reason> -->`)"


def test_a_marked_block_is_skipped_even_when_python() -> None:
    (block,) = blocks("<!-- not run: needs the real service -->\n\n```python\nraise SystemExit\n```\n")
    assert block.marker and block.reason == "needs the real service"
    assert not block.runs and block.problem() is None


def test_a_marker_counts_only_right_before_its_block() -> None:
    found = blocks(
        "<!-- not run: far away -->\n\nA paragraph.\n\n```bash\nls\n```\n\n<!-- another comment -->\n```sh\nx\n```\n"
    )
    assert [b.marker for b in found] == [None, None]
    assert all(b.problem() for b in found)


def test_a_page_runs_in_order_in_one_namespace_in_a_fresh_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = """```python
import os
from pathlib import Path

Path("made-here.txt").write_text("x")
total = 1
```

```python
import asyncio

await asyncio.sleep(0)
total += 1
```
"""
    monkeypatch.setenv("CONVOI_API_KEY", "not-for-the-docs")
    namespace = run_blocks("page.md", [b for b in blocks(page) if b.runs], tmp_path, monkeypatch)
    assert namespace["total"] == 2
    assert (tmp_path / "made-here.txt").exists()
    assert "CONVOI_API_KEY" not in namespace["os"].environ


def test_a_failing_block_names_its_page_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = "Intro.\n\n```python\nx = 1\n\nraise ValueError('broken example')\n```\n"
    with pytest.raises(AssertionError) as failure:
        run_blocks("docs/broken.md", [b for b in blocks(page) if b.runs], tmp_path, monkeypatch)
    message = str(failure.value)
    assert "docs/broken.md: the block at line 3 failed" in message
    assert 'File "docs/broken.md", line 6' in message and "broken example" in message
