"""The store against the server: the server's calls are checked, and adopted where the store lacks them.

Before a run creates anything, the experiment's calls on the server are listed and checked against what the run
would send, and those the store has no record of are adopted into it.

Past the 24 h idempotency window only this check prevents duplicates, so a server that cannot be listed gets no
creates at all.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .._logging import get_logger
from ..errors import APIError, ExperimentError
from ..models import Call
from ..stats.columns import REPLICATE

if TYPE_CHECKING:
    from .._client import AsyncConvoiClient
    from .design import Design
    from .store import ResultsStore

log = get_logger("convoi_nb.experiments")
Cell = tuple[str, int]  # (variant, replicate) of the design


async def server_calls(experiment: Design, api: AsyncConvoiClient, replicates: int | None = None) -> dict[Cell, Call]:
    """The experiment's design cells on the server, each checked against what a run would send.

    Args:
        experiment: The experiment.
        api: An async client on the server.
        replicates: Replicates per variant the run may reach (default: the experiment's; a sequential run's
            `max_replicates`).

    Returns:
        (variant, replicate) → call, for the design's cells (listening-session calls are left out).

    Raises:
        ExperimentError: A call was made with other overrides or metadata, or the server cannot be listed (then
            nothing is created).
    """
    by_name = {v.name: v for v in experiment.variants}
    try:
        calls = [
            c async for c in api.list_calls(agent_id=experiment.agent_id, metadata={"experiment": experiment.name})
        ]
    except APIError as exc:
        raise ExperimentError(
            f"could not list the server's calls of {experiment.name!r} to check them before "
            f"creating ({exc}); nothing was created: run() again"
        ) from None
    found: dict[Cell, Call] = {}
    for call in calls:
        tags = call.metadata
        name, replicate = tags.get("variant"), tags.get("replicate")
        variant = by_name.get(name) if isinstance(name, str) else None
        if variant is None or type(replicate) is not int:
            continue  # a variant no longer in this experiment
        kind = tags.get("kind", REPLICATE)
        expected = experiment.call_metadata(variant, replicate, kind if isinstance(kind, str) else REPLICATE)
        if "variant_fingerprint" not in tags:  # made by a version before fingerprints: the tags it has must match
            expected.pop("variant_fingerprint")
        changed = sorted(k for k in {*tags, *expected} if canonical(tags.get(k)) != canonical(expected.get(k)))
        if changed:
            what = (
                "overrides or metadata of variant " + repr(variant.name)
                if "variant_fingerprint" in changed
                else "metadata (" + ", ".join(changed) + ")"
            )
            raise ExperimentError(
                f"the server holds call {call.id} of experiment {experiment.name!r} made with other {what}; "
                "rename the changed variant or the experiment (nothing was created)"
            )
        if kind == REPLICATE and 0 <= replicate < (experiment.replicates if replicates is None else replicates):
            found.setdefault((variant.name, replicate), call)
    return found


def adopt(experiment: Design, store: ResultsStore, calls: dict[Cell, Call]) -> set[Cell]:
    """Record the server's calls for cells the store has no call for.

    Args:
        experiment: The experiment.
        store: Its results store.
        calls: The server's calls, from `server_calls`.

    Returns:
        The cells adopted.
    """
    done = store.done(experiment.name)
    adopted = {cell for cell in calls if cell not in done}
    for name, replicate in sorted(adopted):
        store.record_call(
            experiment.name,
            name,
            replicate,
            experiment.idempotency_key(experiment.variant(name), replicate),
            calls[name, replicate].model_dump(mode="json"),
            None,
            0,
            0.0,
        )
    if adopted:
        log.info("adopted %d calls of %r found on the server but not in the store", len(adopted), experiment.name)
    return adopted


def canonical(value: Any) -> str:
    """Canonical JSON text of a tag: 1, 1.0 and true are three different tags.

    Args:
        value: A metadata value.

    Returns:
        Its canonical JSON.
    """
    return json.dumps(value, sort_keys=True)
