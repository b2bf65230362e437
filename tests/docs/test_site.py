"""The built documentation site, in chromium and as files (issue 24, item 5).

Every HTML page of the build is opened at 1280 px: none scrolls sideways (wide tables and notebook outputs scroll
inside their own box instead, never cut off), none asks another host for anything, none logs a console error.
The search box finds "Idempotency-Key"; the reference lists every parameter of `Experiment.run`; no LiveKit token
or API key is anywhere in the site.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Request, Response

from convoi_nb.sandbox.accounts import DEFAULT_API_KEY, OTHER_API_KEY
from tests.browser.conftest import launched_chromium
from tests.docs.site import ROOT, BuildResult

WIDTH = 1280
# How long a page may take to load, or the search to answer, on a loaded 2-core machine (a wait on a condition,
# which returns as soon as it holds).
PATIENCE_MS = 120_000
SEARCHED = "Idempotency-Key"
RUN = "convoi_nb.experiments.Experiment.run"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0*.ipynb"))

# Content wider than the box that clips it, where that box does not scroll: text cut off at the page's edge. (An
# element inside a scrolling box may be wider than the box: that is the point of the box.)
CLIPPED_JS = """() => {
  const clipped = [], reported = new Set();
  for (const element of document.querySelectorAll(".md-main *")) {
    if (reported.has(element.parentElement)) {  // inside one already reported: one line per cut-off box
      reported.add(element);
      continue;
    }
    const box = element.getBoundingClientRect();
    if (box.width === 0) continue;
    for (let box_ = element.parentElement; box_ && box_ !== document.documentElement; box_ = box_.parentElement) {
      const overflow = getComputedStyle(box_).overflowX;
      if (overflow === "visible") continue;
      if (box.right > box_.getBoundingClientRect().right + 1 && !["auto", "scroll"].includes(overflow)) {
        reported.add(element);
        clipped.push(`<${element.tagName.toLowerCase()} class="${element.className}"> cut off by ` +
                     `<${box_.tagName.toLowerCase()} class="${box_.className}"> (overflow-x: ${overflow})`);
      }
      break;
    }
  }
  return clipped;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium for the module (Playwright's sync API holds an event loop only while this module runs)."""
    with launched_chromium() as launched:
        yield launched


def new_context(browser: Browser, height: int = 900) -> BrowserContext:
    """A fresh context at 1280 px, patient with a loaded machine."""
    context = browser.new_context(viewport={"width": WIDTH, "height": height})
    context.set_default_timeout(PATIENCE_MS)
    context.set_default_navigation_timeout(PATIENCE_MS)
    return context


@dataclass
class Visit:
    """What one page did in chromium.

    Args:
        page: The page's path in the site.
        scroll_width: `document.scrollingElement.scrollWidth` once loaded.
        client_width: `document.scrollingElement.clientWidth`.
        clipped: Elements cut off by a box that does not scroll.
        foreign: Requests to any host but the site's.
        errors: Console errors, uncaught exceptions and failed or refused requests.
    """

    page: str
    scroll_width: int = 0
    client_width: int = 0
    clipped: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def html_pages(site: Path) -> list[str]:
    return sorted(path.relative_to(site).as_posix() for path in site.rglob("*.html"))


@pytest.fixture(scope="module")
def visits(browser: Browser, site_dir: Path, site_url: str) -> list[Visit]:
    """Every HTML page of the build, opened once at 1280 px until the network is idle."""
    origin = urlsplit(site_url).netloc
    context = new_context(browser)
    page = context.new_page()
    current: list[Visit] = []

    def on_request(request: Request) -> None:
        url = request.url
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != origin:
            current[-1].foreign.append(url)

    def on_response(response: Response) -> None:
        if response.status >= 400:
            current[-1].errors.append(f"HTTP {response.status} for {response.url}")

    page.on("request", on_request)
    page.on("response", on_response)

    def on_request_failed(request: Request) -> None:
        if request.failure != "net::ERR_ABORTED":  # not a failure: the next page's navigation cancelled it
            current[-1].errors.append(f"request failed ({request.failure}): {request.url}")

    page.on("requestfailed", on_request_failed)
    page.on("pageerror", lambda error: current[-1].errors.append(f"uncaught: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            current[-1].errors.append(message.text)

    page.on("console", on_console)
    for name in html_pages(site_dir):
        current.append(Visit(name))
        page.goto(f"{site_url}/{name}", wait_until="networkidle")
        current[-1].scroll_width, current[-1].client_width = page.evaluate(
            "[document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
        )
        current[-1].clipped = page.evaluate(CLIPPED_JS)
    context.close()
    return current


def test_every_page_was_opened(visits: list[Visit]) -> None:
    names = [visit.page for visit in visits]
    assert "index.html" in names and "tutorials/index.html" in names
    assert [name for name in names if re.fullmatch(r"tutorials/0\d_\w+/index.html", name)] == [
        f"tutorials/{notebook.stem}/index.html" for notebook in NOTEBOOKS
    ]


def test_no_page_scrolls_sideways_at_1280_px(visits: list[Visit]) -> None:
    wide = [
        f"{v.page}: {v.scroll_width} px wide in {v.client_width}" for v in visits if v.scroll_width > v.client_width
    ]
    assert wide == []
    cut = [f"{v.page}: {v.clipped[0]} (+{len(v.clipped) - 1} more)" for v in visits if v.clipped]
    assert cut == []


def test_no_page_loads_anything_from_another_host_or_logs_an_error(visits: list[Visit]) -> None:
    assert {v.page: v.foreign for v in visits if v.foreign} == {}
    assert {v.page: v.errors for v in visits if v.errors} == {}


def test_the_clipping_check_tells_a_scrolling_box_from_a_cut_off_one(browser: Browser) -> None:
    """The check above, on a page made for it: a wide table in a scrolling box passes, one in a clipping box not."""
    context = new_context(browser, height=600)
    page = context.new_page()
    wide = '<table style="width: 3000px"><tr><td>wide</td></tr></table>'
    page.set_content(
        f'<div class="md-main"><div id="scrolls" style="overflow-x: auto">{wide}</div>'
        f'<div id="clips" style="overflow: hidden">{wide}</div></div>'
    )
    clipped = page.evaluate(CLIPPED_JS)
    context.close()
    assert clipped == ['<table class=""> cut off by <div class=""> (overflow-x: hidden)']


def page_text(site: Path, url: str) -> str:
    """The text of the built page at `url` (a link of the site), read from its file."""
    path = unquote(urlsplit(url).path).lstrip("/")
    file = site / path / "index.html" if not path or path.endswith("/") else site / path
    parser = _Text()
    parser.feed(file.read_text(encoding="utf-8"))
    return "".join(parser.parts)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_the_search_box_finds_idempotency_key(browser: Browser, site_dir: Path, site_url: str) -> None:
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{site_url}/index.html", wait_until="networkidle")
    page.locator("input.md-search__input").click()
    page.locator("input.md-search__input").press_sequentially(SEARCHED)  # Material searches on key presses
    results = page.locator(".md-search-result__item a.md-search-result__link")
    results.first.wait_for(state="visible")
    hrefs = results.evaluate_all("links => links.map(a => a.href)")
    context.close()
    holding = [href for href in hrefs if SEARCHED in page_text(site_dir, href)]
    assert holding, f"no result of the search for {SEARCHED!r} links to a page holding it: {hrefs}"


def _inventory_uri(site: Path, name: str) -> str:
    from mkdocstrings import Inventory

    with (site / "objects.inv").open("rb") as handle:
        inventory = Inventory.parse_sphinx(handle)
    assert name in inventory, f"the reference documents no {name} (not in objects.inv)"
    return str(inventory[name].uri)


# The names in the parameters section of one documented object: any `docstring_section_style` (a table, a list, or
# spaCy's table), and only the object's own section, not a nested object's.
PARAMETERS_JS = """(anchor) => {
  const object = document.getElementById(anchor).closest(".doc-object");
  const contents = object.querySelector(":scope > .doc-contents");
  const titles = [...contents.querySelectorAll(".doc-section-title")]
    .filter(title => title.closest(".doc-object") === object && /^param/i.test(title.textContent.trim()));
  if (titles.length !== 1) return null;
  const section = titles[0].closest("table") || titles[0].closest("p").nextElementSibling;
  return [...section.querySelectorAll(".doc-section-item")].map(item => item.querySelector("code").textContent.trim());
}"""


def test_the_reference_of_experiment_run_lists_every_parameter(browser: Browser, site_dir: Path, site_url: str) -> None:
    from convoi_nb.experiments import Experiment

    expected = [name for name in inspect.signature(Experiment.run).parameters if name != "self"]
    uri = _inventory_uri(site_dir, RUN)
    context = new_context(browser)
    page = context.new_page()
    page.goto(f"{site_url}/{uri}", wait_until="load")
    shown = page.evaluate(PARAMETERS_JS, RUN)
    signature = page.locator(f'[id="{RUN}"]').locator("xpath=..").locator(".doc-signature").first.inner_text()
    context.close()
    assert shown is not None, f"{uri}: no Parameters section under {RUN}"
    assert sorted(shown) == sorted(expected), (
        f"{uri}: missing {set(expected) - set(shown)}, extra {set(shown) - set(expected)}"
    )
    assert all(name in signature for name in expected), signature


# -- the files ---------------------------------------------------------------------------------------------------

# A LiveKit token is a JWT: a JSON header and a JSON payload in base64url (each starts `eyJ`), then a signature. A
# masked token keeps its first six characters only; a lone header (`eyJhbGciOiJIUzI1NiJ9` is {"alg":"HS256"}) holds
# no secret, and a docstring may show one (mask_token's example).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
TEXT_SUFFIXES = {".html", ".js", ".json", ".css", ".xml", ".txt", ".svg", ".map"}


def secrets_in(text: str) -> list[str]:
    """The LiveKit tokens and sandbox API keys in `text`, each shown by its first characters."""
    found = [f"token {m.group(0)[:12]}…" for m in JWT.finditer(text)]
    return found + [f"the sandbox's API key {key[:14]}…" for key in (DEFAULT_API_KEY, OTHER_API_KEY) if key in text]


def test_the_secret_check_finds_a_token_but_not_its_masked_form_or_a_lone_header() -> None:
    import jwt

    from convoi_nb.models import mask_token

    token = jwt.encode({"sub": "Ada", "video": {"room": "r", "roomJoin": True}}, "a" * 32, algorithm="HS256")
    assert secrets_in(f"<td>{token}</td>") == [f"token {token[:12]}…"]
    assert secrets_in(f"<td>{mask_token(token)}</td>") == []
    assert secrets_in('mask_token("eyJhbGciOiJIUzI1NiJ9.payload.signature")') == []
    assert secrets_in(f"key = {DEFAULT_API_KEY!r}") == ["the sandbox's API key sk_sandbox_con…"]


def test_no_token_or_api_key_anywhere_in_the_site(site_dir: Path) -> None:
    files = [path for path in site_dir.rglob("*") if path.suffix in TEXT_SUFFIXES]
    assert any(path.name == "search_index.json" for path in files)
    found = {}
    for path in files:
        if hits := secrets_in(path.read_text(encoding="utf-8", errors="replace")):
            found[path.relative_to(site_dir).as_posix()] = hits
    assert found == {}


def test_the_tutorials_are_the_notebooks_with_their_outputs(site_dir: Path) -> None:
    for notebook in NOTEBOOKS:
        html = (site_dir / "tutorials" / notebook.stem / "index.html").read_text(encoding="utf-8")
        assert html.count("jp-OutputArea-output") >= 3, f"{notebook.name}: rendered without its outputs"
    quickstart = (site_dir / "tutorials" / "01_quickstart" / "index.html").read_text(encoding="utf-8")
    assert "(masked)" in quickstart  # the call card's token, as the package shows it


def test_building_leaves_the_checkout_as_it_was(site_build: BuildResult) -> None:
    if site_build.git_before is None:
        pytest.skip(".ci/run built the site and compared git status around the build itself")
    assert site_build.git_after == site_build.git_before
