"""Override variants × replicates, run concurrently and resumably, compared with honest statistics.

The flow: `experiment` (the design: `Experiment`, with `variants`) → `runner` (running it: `reconcile` with the
server, `convoi_nb.budget` for the spend policy, `store` to record, `polling` to wait; `sequential` runs waves
until decided, under the settings `sequential_settings` records) → `results` (the `frame`, and one
`convoi_nb.stats` analysis of it that every view reads, the sequential `decision`; `convoi_nb.report` draws the
tables and the plot). Knows nothing of widgets; widgets show what it produces.
"""

from ..budget import BudgetReport
from ..errors import ExperimentError
from ..stats.analysis import Analysis
from ..stats.estimate import Estimate
from ..stats.sequential import Decision
from ..stats.verdict import Finding, Verdict
from .experiment import Experiment
from .results import ExperimentResults
from .store import ResultsStore
from .variants import Variant

__all__ = [
    "Analysis",
    "BudgetReport",
    "Decision",
    "Estimate",
    "Experiment",
    "ExperimentError",
    "ExperimentResults",
    "Finding",
    "ResultsStore",
    "Variant",
    "Verdict",
]
