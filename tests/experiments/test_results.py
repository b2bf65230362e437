"""ExperimentResults: every view reads one analysis of one frame read, made again only when the store changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from convoi_nb.experiments import Experiment
from convoi_nb.sandbox import Sandbox

from .test_experiment import AGENT, VARIANTS, client_for, reliable  # noqa: F401 (a fixture)


def test_the_views_share_one_analysis_until_the_data_change(
    reliable: Sandbox, tmp_path: Path, count_reads: Callable[[], dict[str, int]]
) -> None:
    experiment = Experiment("views", AGENT, VARIANTS, 3, store=tmp_path / "r.sqlite3")
    client = client_for(reliable)
    results = experiment.run(client, progress=False).wait(timeout=30, progress=False)
    counts = count_reads()
    summary, comparison, verdict = results.summary(), results.compare(), results.verdict()
    results.summary_table(), results.compare_table(), results.plot()
    assert counts == {"frame": 1, "analysis": 1}  # six views, one read, one analysis
    assert str(verdict) == str(results.analysis().verdict) and len(summary) == 3 and len(comparison) == 2
    results.compare(baseline="gpt-4o")  # another question: another analysis of the same data
    assert counts == {"frame": 2, "analysis": 2}
    Experiment("views", AGENT, VARIANTS, 4, store=tmp_path / "r.sqlite3").run(client, progress=False)
    assert len(results.summary()) == 3 and counts["analysis"] == 3  # new calls recorded: analysed again
    assert results.frame()["replicate"].max() == 3
