"""Executed notebooks: no API key or full LiveKit token anywhere (outputs or saved widget state), and their
numbers come from their calls."""

from __future__ import annotations

import json
import math
import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from convoi_nb.experiments import ResultsStore
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY
from convoi_nb.stats.spending import spending_thresholds

from .notebook_runs import CloneRun

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def execute(name: str, folder: Path, monkeypatch: pytest.MonkeyPatch, seed: int = 0) -> Any:
    """Run a copy of the notebook in `folder` on a fresh in-memory sandbox seeded with `seed`, saving the state of
    its widgets in the notebook's metadata as JupyterLab does on save."""
    monkeypatch.setenv("CONVOI_SANDBOX_DB", ":memory:")
    monkeypatch.setenv("CONVOI_SANDBOX_SEED", str(seed))
    # Notebook 03's generated account, small if a test runs it here (its 100,000 calls run under nbmake).
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


@pytest.mark.timeout(6000)  # its fixture may wait for the notebooks it reads to finish running
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_executed_notebook_leaks_no_secret(path: Path, notebooks_run_in_a_clone: CloneRun) -> None:
    """Each notebook as a user runs it in a fresh clone, its widget state saved (tests/notebook_runs.py)."""
    notebook = notebooks_run_in_a_clone.notebook(path.name)
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


# -- notebook 02: the printed decision follows the calls ---------------------------------------------------------
# Recomputed here from the results store with numpy: the pairing, the means, the spreads and the intervals are
# written out again; only the boundary constants c_t come from the package (convoi_nb/stats/spending.py, whose
# own tests check their Gaussian miss rate).

EXPERIMENT = "compare-override-variants"
LEVEL, MIN_CALLS, MAX_CALLS = 0.95, 5, 120  # the decision's level and first look (defaults), and the notebook's cap
MONEY = r"(-?)\$(\d+(?:\.\d+)?)"
LEAD = re.compile(rf"(?:Winner on cost per call: |leader )(.+?) at {MONEY} \({MONEY} to {MONEY}\)")
PAIR = re.compile(rf"(.+) − (.+): {MONEY} \({MONEY} to {MONEY}\); (?:eliminated at look (\d+)|still in)\.")
SPENT = re.compile(r"(\d+) calls created, \$(\d+(?:\.\d+)?) spent\.")


def outcomes(store: ResultsStore) -> tuple[dict[str, np.ndarray], Decimal]:
    """Per variant, the cost of each call in replicate order (NaN for a call that failed or expired: counted, never
    averaged in), every call finished; and the spend."""
    rows: dict[str, list[tuple[int, float]]] = {v["name"]: [] for v in store.variants(EXPERIMENT)}
    spend = Decimal(0)
    for row in store.results(EXPERIMENT):
        assert row.call is not None and row.call["status"] in ("ended", "failed", "expired"), row
        cost = float(row.call["cost"]["amount"]) if row.call["status"] == "ended" else math.nan
        rows[row.variant].append((row.replicate, cost))
        spend += Decimal(str(row.call["cost"]["amount"]))
    for name, cells in rows.items():
        assert [r for r, _ in sorted(cells)] == list(range(len(cells))), f"{name}: replicates with a gap"
    return {name: np.array([c for _, c in sorted(cells)]) for name, cells in rows.items()}, spend


def bound(values: np.ndarray, alpha: float) -> tuple[float, float]:
    """The repeated confidence interval of a group-sequential design at the look that has seen `values`:
    mean ± c_t · s / √t, with c_t the boundary the package spends `alpha` with (Pocock-type, over MAX_CALLS)."""
    values = values[~np.isnan(values)]
    t = len(values)
    c = spending_thresholds(alpha, MIN_CALLS, MAX_CALLS)[t - 1] if t <= MAX_CALLS else math.inf
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    if not math.isfinite(c) or sd == 0:
        return -math.inf, math.inf
    radius = c * sd / math.sqrt(t)
    return mean - radius, mean + radius


def amount(sign: str, digits: str) -> str:
    return f"{sign}{digits}"


def same(printed: str, value: float) -> bool:
    """`printed` is `value` to the precision it was printed with."""
    decimals = len(printed.partition(".")[2])
    return abs(float(printed) - value) <= 0.5 * 10**-decimals + 1e-9


def test_the_decision_follows_the_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    notebook = execute("02_compare_override_variants.ipynb", tmp_path, monkeypatch, seed=1)

    def printed_by(source: str) -> list[str]:
        cell = next(c for c in notebook.cells if c.source.startswith(source))
        return "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream").strip().splitlines()

    lines = printed_by("results = experiment.run(")
    advice = printed_by("still_in = ")
    store = ResultsStore(tmp_path / ".convoi_nb" / "convoi_experiments.sqlite3")  # where the notebook kept its calls
    try:
        costs, spend = outcomes(store)
    finally:
        store.close()
    names = list(costs)
    assert len(names) == 5
    pairs = [PAIR.fullmatch(line) for line in lines[1:-1]]
    assert all(pairs) and len(pairs) == 4, lines  # the leader against each other variant
    eliminated = {m[1]: int(m[9]) for m in pairs if m and m[9]}
    looks = max(len(v) for v in costs.values())
    # Waves: a variant dropped at look L made exactly L calls; the others made one per look.
    assert {n: len(v) for n, v in costs.items()} == {n: eliminated.get(n, looks) for n in names}

    lead = LEAD.search(lines[0])
    assert lead, lines[0]
    leader = lead[1]
    assert leader in names and leader not in eliminated
    low, high = bound(costs[leader], (1 - LEVEL) / len(names))  # each variant's own sequence: α split over K
    assert same(amount(*lead.group(2, 3)), np.nanmean(costs[leader]))
    assert same(amount(*lead.group(4, 5)), low) and same(amount(*lead.group(6, 7)), high)
    alpha = (1 - LEVEL) / math.comb(len(names), 2)  # each pair's: α split over every pair
    for match in pairs:
        assert match is not None
        other, against = match[1], match[2]
        n = int(match[9]) if match[9] else looks
        # Among the first n replicates of each, the j-th ended call of one minus the j-th ended call of the other.
        ended = [costs[name][:n][~np.isnan(costs[name][:n])] for name in (other, against)]
        m = min(len(e) for e in ended)
        differences = ended[0][:m] - ended[1][:m]
        low, high = bound(differences, alpha)
        assert same(amount(*match.group(3, 4)), differences.mean())
        assert same(amount(*match.group(5, 6)), low) and same(amount(*match.group(7, 8)), high), match[0]
        if match[9]:
            assert low > 0, (match[0], low)  # eliminated: clearly dearer at that look
    status_words = {"Winner": "winner", "Stopped by the budget": "budget", "No winner": "max_replicates"}
    status = next((s for w, s in status_words.items() if lines[0].startswith(w)), "equivalent")
    if status == "winner":
        assert len(eliminated) == 4 and advice[0].startswith(f"{leader} is the cheapest per call")
    elif status == "budget":
        assert advice[0].startswith("Stopped by the budget")
    elif status == "max_replicates":
        assert looks == 120 and advice[0].startswith("No winner within 120 calls per variant")
    spent = SPENT.fullmatch(lines[-1])
    assert spent and int(spent[1]) == sum(len(v) for v in costs.values()) and same(spent[2], float(spend))
