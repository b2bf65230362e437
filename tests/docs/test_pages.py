"""The topics users looked for in the old long README each have a page in the docs site's navigation, and the pages
that restate the package's own text say what the package says (the exception tree)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# Each section the README had before issue 24, and the page (under docs/) that holds its content now. The README
# keeps "Two commands", "In twenty lines" and "Notebooks" on its first screen (tests/test_readme.py).
TOPICS = {
    "Notebooks": "tutorials/index.md",
    "DataFrames for cost review": "explanation/frames-and-exports.md",
    "Spend guard and budget": "explanation/money-and-budget.md",
    "Cost review at account scale": "how-to/cost-review.md",
    "Experiments: compare override variants": "how-to/run-an-experiment-until-decided.md",
    "Run until decided": "how-to/run-an-experiment-until-decided.md",
    "Which interval is which (calibration)": "explanation/intervals.md",
    "Listening sessions": "how-to/blind-listening-sessions.md",
    "Widgets": "how-to/create-and-join-a-call.md",
    "Join a call from the notebook": "how-to/create-and-join-a-call.md",
    "Benchmarks": "explanation/performance.md",
    "Configuration": "how-to/configuration.md",
    "The working folder": "how-to/configuration.md",
    "The API it speaks": "explanation/the-api.md",
    "Errors": "explanation/errors.md",
    "Retries and idempotency": "explanation/idempotency-and-reconciliation.md",
    "Secrets": "explanation/secrets.md",
    "The embedded sandbox": "how-to/sandbox-and-faults.md",
    "From the sandbox to the real service": "how-to/sandbox-to-real-service.md",
    "Binder": "development.md",
    "Development": "development.md",
    "Layout of the package": "explanation/package-layout.md",
}


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may carry `!!python/name:` tags (Material's emoji, superfences' formatters): read them as text."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)
_Loader.add_multi_constructor("!", lambda loader, suffix, node: suffix)


def nav_pages(entries: Any) -> Iterator[str]:
    """Every page path in a MkDocs `nav` (strings, `{title: path}` and `{title: [entries]}`)."""
    if isinstance(entries, str):
        yield entries
    elif isinstance(entries, list):
        for entry in entries:
            yield from nav_pages(entry)
    elif isinstance(entries, dict):
        for value in entries.values():
            yield from nav_pages(value)


NAV = set(nav_pages(yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_Loader)["nav"]))


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_each_topic_has_a_page_in_the_nav(topic: str) -> None:
    page = TOPICS[topic]
    assert page in NAV, f"{topic!r}: {page} is not in mkdocs.yml's nav"
    assert (DOCS / page).is_file(), f"{topic!r}: docs/{page} does not exist"


def test_every_markdown_page_in_the_nav_exists() -> None:
    # Only Markdown pages: the tutorials' notebook pages are made from notebooks/ when the site is built.
    missing = sorted(page for page in NAV if page.endswith(".md") and not (DOCS / page).is_file())
    assert not missing, missing


def test_the_explanation_pages_are_in_the_nav_and_listed_on_its_index() -> None:
    index = (DOCS / "explanation" / "index.md").read_text(encoding="utf-8")
    for page in sorted((DOCS / "explanation").glob("*.md")):
        if page.name == "index.md":
            continue
        assert f"explanation/{page.name}" in NAV, page.name
        assert f"]({page.name})" in index, f"explanation/index.md does not link {page.name}"
    assert "development.md" in NAV


def test_the_error_tree_is_the_one_the_package_draws() -> None:
    from convoi_nb import errors

    def tree(text: str) -> str:
        start = text.index("```\nConvoiError") + 4
        return text[start : text.index("```", start)]

    page = (DOCS / "explanation" / "errors.md").read_text(encoding="utf-8")
    assert tree(page) == tree(errors.__doc__ or "")


def test_the_idempotency_page_names_the_header_the_client_sends() -> None:
    from convoi_nb.models.wire import IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_WINDOW_SECONDS

    page = (DOCS / "explanation" / "idempotency-and-reconciliation.md").read_text(encoding="utf-8")
    assert IDEMPOTENCY_KEY_HEADER == "Idempotency-Key" and IDEMPOTENCY_KEY_HEADER in page  # the site's search test
    assert f"{IDEMPOTENCY_WINDOW_SECONDS // 3600} hours" in page


def test_the_intervals_page_carries_every_bench_command_it_cites() -> None:
    page = (DOCS / "explanation" / "intervals.md").read_text(encoding="utf-8")
    for script in ("calibration.py", "estimate_coverage.py", "sequential.py"):
        assert (ROOT / "bench" / script).is_file(), script
        assert re.search(rf"python bench/{re.escape(script)}", page), script
    assert "--plan" in page
