"""Override variants × replicates, run concurrently and resumably, compared with honest statistics.

Knows nothing of widgets; widgets show what it produces.
"""

from ..errors import ExperimentError
from .analysis import Finding, Verdict
from .budget import BudgetReport
from .estimate import Estimate
from .experiment import Experiment
from .results import ExperimentResults
from .store import ResultsStore
from .variants import Variant

__all__ = [
    "BudgetReport",
    "Estimate",
    "Experiment",
    "ExperimentError",
    "ExperimentResults",
    "Finding",
    "ResultsStore",
    "Variant",
    "Verdict",
]
