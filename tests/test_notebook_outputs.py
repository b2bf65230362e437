"""Executed notebooks: no API key or full LiveKit token anywhere (outputs or saved widget state), and their
numbers come from their calls."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from scipy import stats
from statsmodels.stats.multitest import multipletests

from convoi_nb.experiments import ResultsStore
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def execute(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch, seed: int = 0) -> Any:
    """Run a copy of the notebook in `folder` on a fresh in-memory sandbox seeded with `seed`, saving the state of
    its widgets in the notebook's metadata as JupyterLab does on save."""
    monkeypatch.setenv("CONVOI_SANDBOX_DB", ":memory:")
    monkeypatch.setenv("CONVOI_SANDBOX_SEED", str(seed))
    # Notebook 03's generated account: its 100,000 calls run under nbmake; the secrets check needs only a few.
    monkeypatch.setenv("CONVOI_REVIEW_CALLS", "3000")
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "notebooks" / name, folder / name)
    notebook = nbformat.read(folder / name, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return notebook


def leaks(text: str) -> list[str]:
    """The API key and every three-segment JWT (a LiveKit token) in `text`."""
    return [name for name in ("API key",) if DEFAULT_API_KEY in text] + JWT.findall(text)


def widget_models(notebook: Any) -> dict[str, Any]:
    """The saved widget state: model id -> {model_name, state, ...}."""
    return notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_executed_notebook_leaks_no_secret(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = execute(path.name, tmp_path, monkeypatch)
    outputs = json.dumps([cell.get("outputs", []) for cell in notebook.cells], ensure_ascii=False)
    assert leaks(outputs) == [], "in the cell outputs"
    models = widget_models(notebook)
    assert leaks(json.dumps(models, ensure_ascii=False)) == [], "in the saved widget state"
    assert leaks(json.dumps(notebook.metadata, ensure_ascii=False)) == [], "in the notebook metadata"
    if path.name.startswith("01_"):
        assert "(masked)" in outputs  # the token was shown, masked
    if path.name.startswith("04_"):  # the widget check above looked at the real thing
        buttons = {m["state"].get("description") for m in models.values() if m["model_name"] == "ButtonModel"}
        assert {"Create call", "Run", "Resume"} <= buttons, sorted(filter(None, buttons))
        assert len(models) > 500


def test_leaks_finds_the_key_and_tokens() -> None:
    from .models.test_responses import TOKEN as token  # minted at run time: no token-shaped literal committed

    assert leaks(json.dumps({"value": f"Bearer {DEFAULT_API_KEY}", "t": token})) == ["API key", token]
    assert leaks(json.dumps({"value": "eyJhbG…xYK8 (masked)"})) == []


# -- notebook 02: the printed verdict follows the calls ---------------------------------------------------------
# Recomputed here straight from scipy and statsmodels, not through convoi_nb's own statistics.

EXPERIMENT = "compare-override-variants"
NUMBER = r"(\d+(?:\.\d+)?)"
NAMED = re.compile(
    rf"Cheapest per call: (.+) at {NUMBER} USD per call \[{NUMBER}, {NUMBER}\], separated from every "
    rf"other variant \(Holm-adjusted p ≤ (\S+)\)\."
)
UNCLEAR = re.compile(
    rf"No clear cheapest variant: (.+) \({NUMBER} USD per call \[{NUMBER}, {NUMBER}\]\) and (.+) "
    rf"\({NUMBER} USD per call \[{NUMBER}, {NUMBER}\]\) are not separated at this sample size "
    r"\(Holm-adjusted p = (\S+)\)(?:; about (\d+) calls per variant would name the cheapest with 80% "
    r"probability at the means and spread seen \((\d+) to (?:\d+|more than 10,000) for how uncertain the gap "
    r"between them still is; see plan\(\)\))?\."
)
# the intervals beside the words are at Bonferroni's level over the 4 comparisons: 98.75 % each
SIGNIFICANT = re.compile(r"(.+) costs (\d+(?:\.\d)?)% (more|less) per call than (.+) \(98\.75% CI .+\)\.")
NOT_SIGNIFICANT = re.compile(
    r"(.+) vs (.+): no cost difference this sample can tell apart \((0|[+-]\d+(?:\.\d)?)%, 98\.75% CI .+\)\."
)
LEVEL = (
    "(Each interval against {} is at 98.75%: Bonferroni over the 4 variants compared, so together they hold with "
    "95%; a difference is called only when its interval excludes 0.)"
)
FAILING = re.compile(r"Calls that did not end \(excluded from the averages\): (.+)\.")


def recompute(store: ResultsStore) -> dict[str, dict[str, Any]]:
    """Per variant, from the calls as the results store last read them back from the API: the ended calls'
    costs and durations, and the share of calls that did not end."""
    variants: dict[str, dict[str, Any]] = {
        v["name"]: {"cost": [], "duration": [], "n": 0, "unsuccessful": 0} for v in store.variants(EXPERIMENT)
    }
    for row in store.results(EXPERIMENT):
        stats = variants[row.variant]
        stats["n"] += 1
        status = row.call["status"] if row.call else "create error"
        if status == "ended":
            stats["cost"].append(row.call["cost"]["amount"])
            stats["duration"].append(row.call["duration_seconds"])
        elif status in ("failed", "expired", "create error"):
            stats["unsuccessful"] += 1
        else:
            raise AssertionError(f"{row.variant}#{row.replicate} is still {status}: the notebook did not wait")
    for stats in variants.values():
        stats["cost"], stats["duration"] = np.array(stats["cost"]), np.array(stats["duration"])
        stats["cost_mean"], stats["duration_mean"] = stats["cost"].mean(), stats["duration"].mean()
    return variants


def same(printed: str, value: float) -> bool:
    """`printed` is `value` to the precision it was printed with."""
    decimals = len(printed.partition(".")[2])
    return abs(float(printed) - value) <= 0.5 * 10**-decimals + 1e-9


def t_interval(values: np.ndarray) -> tuple[float, float]:
    return stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))


def test_the_verdict_follows_the_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = execute("02_compare_override_variants.ipynb", tmp_path, monkeypatch, seed=1)

    def printed_by(source: str) -> list[str]:
        cell = next(c for c in notebook.cells if c.source.startswith(source))
        return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream").strip().splitlines()

    # The verdict's lines, then the line of the "what to do next" cell that lists the calls that did not end.
    advice = printed_by('cost = verdict.finding("cost")')
    lines = printed_by("verdict = results.verdict(") + [a for a in advice if a.startswith("Calls that did not end")]
    store = ResultsStore(tmp_path / "convoi_experiments.sqlite3")  # where the notebook kept its calls
    try:
        calls = recompute(store)
    finally:
        store.close()
    names = list(calls)
    assert len(names) == 5 and sum(v["n"] for v in calls.values()) == 40  # 4 grid arms + 1 prompt variant, 8 each
    ranked = sorted(names, key=lambda v: calls[v]["cost_mean"])
    baseline = names[0]

    # Cost: the leader against every other variant, Welch and Holm.
    p_values = [stats.ttest_ind(calls[ranked[0]]["cost"], calls[v]["cost"], equal_var=False).pvalue for v in ranked[1:]]
    worst = max(multipletests(p_values, method="holm")[1])
    named, unclear = NAMED.fullmatch(lines[0]), UNCLEAR.fullmatch(lines[0])
    assert (named is not None) == (worst < 0.05) and (unclear is not None) == (worst >= 0.05), (lines[0], worst)
    match = named or unclear
    assert match[1] == ranked[0] and same(match[2], calls[ranked[0]]["cost_mean"])
    low, high = t_interval(calls[ranked[0]]["cost"])
    assert same(match[3], low) and same(match[4], high)
    if unclear:
        assert unclear[5] == ranked[1] and same(unclear[6], calls[ranked[1]]["cost_mean"])
    assert lines[1].startswith(("Shortest calls: ", "No clear shortest-call variant: "))
    # What to do next follows the cost finding: adopt the separated winner, or how many calls would settle it.
    assert advice[0].startswith(
        f"{ranked[0]} is the cheapest" if named else f"Not settled: {ranked[0]} and {ranked[1]}"
    )

    # Each variant against the baseline: significant exactly when Bonferroni says so.
    others = names[1:]
    base = calls[baseline]["cost"]
    adjusted = multipletests(
        [stats.ttest_ind(calls[v]["cost"], base, equal_var=False).pvalue for v in others], method="bonferroni"
    )[1]
    against = lines[2 : 2 + len(others)]
    for variant, p_adjusted, line in zip(others, adjusted, against, strict=False):
        yes, no = SIGNIFICANT.fullmatch(line), NOT_SIGNIFICANT.fullmatch(line)
        assert (yes is not None) == (p_adjusted < 0.05) and (no is not None) == (p_adjusted >= 0.05), (line, p_adjusted)
        assert (yes or no)[1] == variant
        delta_pct = 100 * (calls[variant]["cost_mean"] / calls[baseline]["cost_mean"] - 1)
        if yes:
            assert same(yes[2], abs(delta_pct)) and yes[3] == ("more" if delta_pct > 0 else "less")
        else:
            assert same(no[3].lstrip("+"), delta_pct)

    failing = {v: s["unsuccessful"] / s["n"] for v, s in calls.items() if s["unsuccessful"]}
    assert lines[2 + len(others)] == LEVEL.format(baseline)
    rest = lines[3 + len(others) :]
    if failing:
        assert len(rest) == 1, f"one line should list the calls that did not end: {failing}; printed {rest}"
        listed = FAILING.fullmatch(rest[0])
        assert listed, rest[0]
        assert _rates(listed[1], names) == {v: f"{rate:.0%}" for v, rate in failing.items()}
    else:
        assert rest == []


def _rates(listing: str, names: list[str]) -> dict[str, str]:
    """ "a: 12%, b, c: 25%" -> {"a": "12%", "b, c": "25%"}: variant names may hold ", " themselves."""
    found = {}
    for name in sorted(names, key=len, reverse=True):
        match = re.search(rf"(?:^|, ){re.escape(name)}: (\d+%)", listing)
        if match:
            found[name] = match[1]
            listing = listing.replace(match[0], "", 1)
    assert listing.strip(", ") == "", f"unexplained: {listing!r}"
    return found
