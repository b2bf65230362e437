"""What a reader sees: the formatted summary and comparison tables and the forest plot, read back from their
HTML and from the figure's artists (one seeded experiment on a manual-clock sandbox, shared by the module)."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, ExperimentResults, Variant
from convoi_nb.report import formatting as fmt
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

from ..experiments.test_experiment import AGENT

LONG = "gpt-4o with a very long descriptive variant name that has to wrap somewhere"
VARIANTS = [
    Variant("baseline"),
    Variant("gpt-4o", {"llm": {"model": "gpt-4o"}}),
    Variant(LONG, {"llm": {"model": "gpt-4o"}, "tts": {"speed": 1.2}}),
    Variant("fast", {"tts": {"speed": 1.3}}),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExperimentResults]:
    clock = ManualClock()
    store: Path = tmp_path_factory.mktemp("presentation") / "r.sqlite3"
    with (
        Sandbox(SandboxSettings(clock=clock, seed=21, expire_rate=0.1, fail_rate=0.1)) as sandbox,
        ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client,
    ):
        # one create at a time: the simulated outcomes (and the significance asserted) are then the same on every run
        results = Experiment("report", AGENT, VARIANTS, 8, store=store).run(client, progress=False, concurrency=1)
        clock.advance(3600)
        yield results.wait(timeout=60, progress=False)


def test_formatting_of_money_time_and_change() -> None:
    assert fmt.money_with_interval(0.19763, 0.1811, 0.2149, "USD") == "$0.198 [0.181, 0.215]"
    assert fmt.money_with_interval(12.5, 11.0, 14.0, "EUR") == "€12.50 [11.00, 14.00]"
    assert fmt.money(0.00123, "CHF") == "0.0012 CHF" and fmt.money(float("nan"), "USD") == fmt.NA
    assert fmt.seconds(147.4) == "147 s" and fmt.seconds(740) == "12.3 min"
    assert fmt.seconds_with_interval(147, 130.2, 164.8) == "147 s [130, 165]"
    assert fmt.seconds_with_interval(740, 660, 816) == "12.3 min [11.0, 13.6]"
    assert fmt.percent_with_interval(12.3, 4.6, 19.4) == "+12% [+5%, +19%]"
    assert fmt.percent_with_interval(-0.3, -5.2, 0.4) == "-0.3% [-5%, +0.4%]"  # below 1 %: one decimal
    assert fmt.percent_with_interval(-0.04, -5.2, 0.04) == "0% [-5%, 0%]"  # rounds to zero: never "-0%"
    assert fmt.percent_with_interval(-0.4, -0.5, -0.49) == "-0.4% [-0.5%, -0.5%]"
    assert fmt.percent_with_interval(89, -math.inf, math.inf) == "+89% [unbounded]"  # Fieller, unbounded
    assert fmt.money_delta(-0.00001, "USD") == "$0.0000" and fmt.money_delta(0.0279, "USD") == "+$0.028"
    assert fmt.money_delta(-0.0279, "CHF") == "-0.028 CHF"
    assert fmt.p_value(0.0004) == "p\u00a0<\u00a00.001" and fmt.p_value(0.0312) == "p\u00a0=\u00a00.031"


def test_the_summary_table_reads_as_text_with_units_and_intervals(results: ExperimentResults) -> None:
    summary, styler = results.summary(), results.summary_table()
    html = styler.to_html()
    cells = styler.data
    assert list(cells.index) == list(summary.index)
    assert not re.search(r"\d\.\d{5,}", html)  # no cell with more than 4 decimals
    for variant, row in summary.iterrows():
        cost = cells.loc[variant, "cost per call [95% CI]"]
        assert re.fullmatch(r"\$\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]", cost), cost  # the estimate with its interval
        assert cost.startswith(f"${row['cost_mean']:.3f}")
        assert re.fullmatch(r"\d+ s \[\d+, \d+\]", cells.loc[variant, "call length [95% CI]"])
        assert cells.loc[variant, "calls"].startswith(f"{row['ended']} ended of {row['n']}")
        assert cells.loc[variant, "spend"] == f"${row['spend_total']:.2f}"
    not_ended = " ".join(cells["not ended"])
    assert int(summary["failed"].sum()) and "failed" in not_ended  # the seeded mix has failures to show
    assert int(summary["expired"].sum()) and "expired" in not_ended
    assert "white-space: normal" in html and "max-width: 100%" in html  # wraps rather than overflows


def test_the_comparison_table_marks_what_holds_after_adjustment(results: ExperimentResults) -> None:
    comparison, styler = results.compare(), results.compare_table()
    cells = styler.data
    assert list(cells.index) == [v.name for v in VARIANTS[1:]]
    assert comparison.loc["gpt-4o", "cost_significant"]  # gpt-4o's price is what the sandbox charges more for
    for variant, row in comparison.iterrows():
        change = cells.loc[variant, "cost per call vs baseline"]
        assert change == fmt.percent_with_interval(
            row["cost_delta_pct"], row["cost_delta_pct_ci_low"], row["cost_delta_pct_ci_high"]
        )
        assert cells.loc[variant, "cost, Bonferroni"].startswith(
            "significant" if row["cost_significant"] else "not separated"
        )
    html = styler.to_html()
    assert "font-weight: bold" in html and "(baseline)" in html and not re.search(r"\d\.\d{5,}", html)


def test_the_forest_plot_draws_compare_s_intervals(results: ExperimentResults) -> None:
    comparison = results.compare()
    figure = results.plot()
    cost_axis, duration_axis = figure.axes[0], figure.axes[1]
    for axis, label in ((cost_axis, "cost"), (duration_axis, "duration")):
        intervals = {
            a.get_gid().split(":", 1)[1]: a
            for a in axis.collections
            if (a.get_gid() or "").startswith(f"{label}-interval:")
        }
        assert sorted(intervals) == sorted(v.name for v in VARIANTS[1:])  # one row per non-baseline variant
        for name, artist in intervals.items():
            (low, _), (high, _) = artist.get_segments()[0]
            assert low == pytest.approx(comparison.loc[name, f"{label}_delta_pct_ci_low"])
            assert high == pytest.approx(comparison.loc[name, f"{label}_delta_pct_ci_high"])
        assert any(line.get_gid() == "zero" and list(line.get_xdata()) == [0, 0] for line in axis.lines)
        assert axis.get_legend() is None
    assert "USD" in figure.axes[2].get_xlabel() and "(s)" in figure.axes[3].get_xlabel()
    assert any(LONG[:20] in t.get_text() and "\n" in t.get_text() for t in cost_axis.get_yticklabels())


def test_no_text_in_the_figure_overlaps(results: ExperimentResults) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = results.plot()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    texts = [figure._suptitle, *(t for axis in figure.axes for t in (axis.title, axis.xaxis.label, axis.yaxis.label))]
    for axis in figure.axes:  # tick labels that are drawn: inside the view
        for ticks, (low, high) in (
            (axis.xaxis.get_major_ticks(), sorted(axis.get_xlim())),
            (axis.yaxis.get_major_ticks(), sorted(axis.get_ylim())),
        ):
            texts += [t.label1 for t in ticks if low <= t.get_loc() <= high and t.label1.get_visible()]
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts if t is not None and t.get_text().strip()]
    assert len(boxes) > 20  # titles, labels and ticks of four axes
    overlapping = [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
    assert not overlapping, overlapping
