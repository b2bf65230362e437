"""The summary table of a rated experiment: the ratings, and what they rest on, before the cost columns (a wide
table in a narrow output area scrolls its last columns out of sight)."""

from __future__ import annotations

from pathlib import Path

from convoi_nb.experiments import Experiment
from convoi_nb.sandbox import Sandbox
from convoi_nb.sessions import ListeningSession

from ..sessions.test_listening_session import AGENT, VARIANTS, calm, client_of, rate_all  # noqa: F401


def test_ratings_come_right_after_the_calls_with_their_counts(calm: Sandbox, tmp_path: Path) -> None:
    client = client_of(calm)
    experiment = Experiment("ordered", AGENT, VARIANTS[:2], 1, store=tmp_path / "r.sqlite3")
    experiment.run(client, progress=False).wait(timeout=30, progress=False)
    session = ListeningSession(experiment, "ana", 2, criteria=["helpful", "natural voice"])
    outcomes = iter(["skip", "broken", {"helpful": 4, "natural voice": 3}, {"helpful": 5, "natural voice": 4}])
    rate_all(session, client, lambda _variant: next(outcomes))
    table = experiment.results(client).summary_table()
    columns = list(table.data.columns)
    assert columns[:4] == ["calls", "helpful [95% CI]", "natural voice [95% CI]", "ratings"]
    assert columns.index("ratings") < columns.index("cost per call [95% CI]")
    counts = " | ".join(table.data["ratings"])
    assert "skipped" in counts and "not counted" in counts and "rated" in counts
    assert "Ratings (1-5)" in table.caption


def test_a_table_without_ratings_keeps_its_columns(calm: Sandbox, tmp_path: Path) -> None:
    client = client_of(calm)
    experiment = Experiment("plain", AGENT, VARIANTS[:2], 1, store=tmp_path / "r.sqlite3")
    experiment.run(client, progress=False).wait(timeout=30, progress=False)
    columns = list(experiment.results(client).summary_table().data.columns)
    assert columns[:2] == ["calls", "not ended"] and "ratings" not in columns
