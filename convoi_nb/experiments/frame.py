"""An experiment's results frame, read from its store: one row per cell.

Each row holds the call's columns, the cell's bookkeeping, the overrides its variant sent and, with listening
sessions, the ratings.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from ..frames import calls_to_frame, scalar_column
from ..stats.columns import KINDS
from ..stats.ratings import add_rating_columns, criteria_of
from .store import ResultsStore
from .variants import flatten

OVERRIDE_PREFIX = "override."


def results_frame(store: ResultsStore, name: str, *, include_tokens: bool = False) -> pd.DataFrame:
    """The results frame of experiment `name` (see `ExperimentResults.frame()`).

    Args:
        store: The results store.
        name: The experiment.
        include_tokens: Keep the LiveKit token column (stored masked: it is masked anyway).

    Returns:
        One row per cell; `variant` is categorical, its categories the experiment's variants in order.
    """
    rows = store.results(name)
    variants = store.variants(name)
    frame = calls_to_frame([r.call or {} for r in rows], include_tokens=include_tokens)
    index = frame.index
    frame.insert(0, "replicate", pd.Series([r.replicate for r in rows], index=index, dtype="Int64"))
    kinds = pd.Categorical([r.kind for r in rows], categories=list(KINDS))
    frame.insert(0, "kind", pd.Series(kinds, index=index))
    names = pd.Categorical([r.variant for r in rows], categories=[v["name"] for v in variants])
    frame.insert(0, "variant", pd.Series(names, index=index))
    frame.insert(0, "experiment", pd.Series([name] * len(rows), index=index, dtype="string"))
    frame["idempotency_key"] = pd.array([r.idempotency_key for r in rows], dtype="string")
    frame["request_id"] = pd.array([r.request_id for r in rows], dtype="string")
    frame["attempts"] = pd.array([r.attempts for r in rows], dtype="Int64")
    frame["create_latency_seconds"] = pd.array([r.latency_seconds for r in rows], dtype="float64")
    frame["create_error"] = pd.array([r.error if r.state == "error" else None for r in rows], dtype="string")
    settings = {v["name"]: flatten(json.loads(v["overrides"])) for v in variants}
    for path in dict.fromkeys(p for flat in settings.values() for p in flat):
        frame[OVERRIDE_PREFIX + path] = scalar_column([_cell(settings.get(r.variant, {}).get(path)) for r in rows])
    ratings = store.ratings(name)
    if ratings:  # listening sessions (convoi_nb.sessions) rated some of these calls
        frame = add_rating_columns(frame, ratings, criteria_of(store.sessions(name)))
    return frame


def _cell(value: Any) -> Any:
    # A list (knowledge_base_ids) becomes one readable cell.
    return ",".join(map(str, value)) if isinstance(value, list) else value
