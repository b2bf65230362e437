"""Override variants × replicates, run concurrently and resumably, compared with bootstrap CIs.

Knows nothing of widgets; widgets show what it produces.
"""

from ..errors import ExperimentError
from .experiment import Experiment
from .results import ExperimentResults
from .stats import bootstrap_ci, bootstrap_diff_ci
from .store import ResultsStore
from .variants import Variant

__all__ = ["Experiment", "ExperimentError", "ExperimentResults", "ResultsStore", "Variant", "bootstrap_ci",
           "bootstrap_diff_ci"]
