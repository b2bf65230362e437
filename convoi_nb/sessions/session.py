"""`ListeningSession`: one rater's blinded pass over an experiment's variants, resumable step by step.

Each rater gets calls of their own: the session reserves a block of the experiment's *listening* cells (kind
"listening", numbered 0, 1, … apart from the design's replicates), so that no `run()` ever creates or adopts them, and
the cost statistics of the design leave them out (a listener changes what a call costs). Each is still a cell of the
experiment (its idempotency key, its store), so a crashed kernel resumes at the first step without a rating,
creating nothing twice.

The order is shuffled from a secret random seed (`secrets`), drawn when the rater's session is first opened and kept
with the session in the experiment's store, so `reveal()` and a reopened session see the same order, and nothing the
rater sees or knows (the experiment's design, their own name) predicts it.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ExperimentError, ValidationError
from ..models import Call
from ..stats.columns import LISTENING

if TYPE_CHECKING:
    import pandas as pd

    from .._client import ConvoiClient
    from ..experiments import Experiment

SCALE = range(1, 6)  # ratings are 1–5
SEED_BITS = 63  # a secret seed SQLite keeps as a (signed 64-bit) INTEGER


@dataclass(frozen=True)
class Step:
    """One blinded step: what the rater may see of it (never the variant, until the session is over).

    Attributes:
        index: The step's position, from 0.
        total: How many steps the session has.

    Examples:
        >>> from convoi_nb.sessions import Step
        >>> Step(index=2, total=12).label
        'Call 3 of 12'
    """

    index: int
    total: int

    @property
    def label(self) -> str:
        """The step as the rater sees it, e.g. "Call 3 of 12"."""
        return f"Call {self.index + 1} of {self.total}"


def _order_seed(seed: int, rater: str) -> int:
    """The shuffle's seed: the session's secret, with the rater's name mixed in (the same on every machine and run)."""
    return int.from_bytes(hashlib.sha256(f"{seed}\x1f{rater}".encode()).digest()[:8], "big")


class ListeningSession:
    """`calls_per_variant` calls of each variant of `experiment`, for `rater`, in a secret random order.

    Args:
        experiment: The experiment whose variants are rated; the session and its ratings live in its store.
        rater: The rater's name; reopening a session with the same name resumes it.
        calls_per_variant: How many calls of each variant the rater hears.
        criteria: The names of what the rater scores 1–5 (e.g. "helpful").

    Raises:
        ExperimentError: A rater name, count or criteria that is not valid, or a session of this rater already
            recorded with another count or other criteria.
        ValidationError: `criteria` is not a list of names.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> from convoi_nb.sessions import ListeningSession
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
        >>> experiment = Experiment("voices", agent.id, voices, replicates=1, store=":memory:")
        >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
        >>> session
        ListeningSession('voices', rater='ana', Call 1 of 2)
        >>> call = session.start(client)  # a call of one variant, which the rater is not told: join it, listen, then
        >>> session.rate({"helpful": 4}, note="clear answers")
        >>> second = session.start(client)
        >>> session.skip("no audio")  # or session.broken(...) when the call itself failed
        >>> session.done
        True
        >>> sorted(session.reveal()["variant"])  # the variants, once every call was rated or skipped
        ['voice_id=adam', 'voice_id=rachel']
    """

    def __init__(
        self,
        experiment: Experiment,
        rater: str,
        calls_per_variant: int = 2,
        *,
        criteria: Sequence[str] = ("helpful", "natural voice"),
    ) -> None:
        if not isinstance(rater, str) or not rater.strip():
            raise ExperimentError("a listening session needs the rater's name (rater=...)")
        if not isinstance(calls_per_variant, int) or isinstance(calls_per_variant, bool) or calls_per_variant < 1:
            raise ExperimentError(f"calls_per_variant must be a positive integer, got {calls_per_variant!r}")
        if not isinstance(criteria, (str, Sequence)) or not all(isinstance(c, str) for c in criteria):
            raise ValidationError.of_field(
                "listening session", "criteria", f"must be a list of names such as ['helpful'], got {criteria!r}"
            )
        names = [c.strip() for c in criteria] if not isinstance(criteria, str) else []
        if not names or any(not n for n in names) or len(set(names)) != len(names):
            raise ExperimentError(f"criteria must be one or more distinct names such as ['helpful'], got {criteria!r}")
        self.experiment, self.rater = experiment, rater.strip()
        self._store = experiment._open_store()
        experiment.register(self._store)
        # A fresh secret for a new session; a session already recorded keeps its own (the store returns the first).
        row = self._store.register_session(
            experiment.name, self.rater, secrets.randbits(SEED_BITS), calls_per_variant, names
        )
        if (row["calls_per_variant"], row["criteria"]) != (calls_per_variant, _json_list(names)):
            raise ExperimentError(
                f"{self.rater!r} already has a session of {experiment.name!r} with "
                f"{row['calls_per_variant']} calls per variant and criteria {row['criteria']}: reopen it with those, "
                "or use another rater name"
            )
        seed, self.calls_per_variant, self.criteria = row["seed"], calls_per_variant, names
        first = row["first_replicate"]
        plan = [(v.name, first + slot) for v in experiment.variants for slot in range(calls_per_variant)]
        random.Random(_order_seed(seed, self.rater)).shuffle(plan)
        self._plan = plan  # private: the blinded order's answer key
        self._client: ConvoiClient | None = None  # the one start() used: ratings record the call's last state

    def __repr__(self) -> str:
        return f"ListeningSession({self.experiment.name!r}, rater={self.rater!r}, {self.progress})"

    # -- where the session is ---------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """How many calls the rater hears in all."""
        return len(self._plan)

    def _mine(self) -> list[dict[str, Any]]:
        return [r for r in self._store.ratings(self.experiment.name) if r["rater"] == self.rater]

    @property
    def step(self) -> Step | None:
        """The step to do next (the first without a rating), or None when the session is over."""
        done = len(self._mine())
        return Step(done, self.total) if done < self.total else None

    @property
    def done(self) -> bool:
        """Whether every step has its rating (then `reveal()` may show which call was which)."""
        return self.step is None

    @property
    def progress(self) -> str:
        """The current step's label ("Call 3 of 12"), or "done: 12 calls"."""
        step = self.step
        return f"done: {self.total} calls" if step is None else f"{step.label}"

    def _current(self) -> tuple[Step, str, int]:
        """The current step and its (variant, replicate); an error once the session is over."""
        step = self.step
        if step is None:
            raise ExperimentError(f"the session of {self.rater!r} is over ({self.total} calls); reveal() shows them")
        return (step, *self._plan[step.index])

    # -- doing it ---------------------------------------------------------------------------------------

    def start(self, client: ConvoiClient) -> Call:
        """The current step's call, created now (or the one already created for it, read again).

        Keep the returned Call away from the rater's eyes: its `metadata` names the variant (the experiment's tags
        find it again). The blind card shows none of it; code that prints the call, its metadata or
        `client.get_call(call.id)` unblinds the rater.

        Args:
            client: The client that creates (or reads) the call; ratings read the call's last state with it.

        Returns:
            The call to join and listen to.

        Raises:
            ExperimentError: The session is over, or a run of the experiment is under way (wait for it to end).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> from convoi_nb.sessions import ListeningSession
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
            >>> experiment = Experiment("voices", agent.id, voices, replicates=1, store=":memory:")
            >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
            >>> call = session.start(client)
            >>> call.status, session.progress
            ('initiated', 'Call 1 of 2')
        """
        _, variant, replicate = self._current()
        self._client = client
        return self.experiment.create_cell(client, variant, replicate, LISTENING)

    def _call_id(self, variant: str, replicate: int) -> str | None:
        call = self._store.call_of(self.experiment.name, variant, replicate, LISTENING)
        return call["id"] if call is not None else None

    def rate(self, scores: Mapping[str, int], note: str = "") -> None:
        """Rate the current call 1–5 on every criterion, and move on.

        Args:
            scores: One whole number from 1 to 5 for each of the session's criteria.
            note: What stood out (optional).

        Raises:
            ExperimentError: The current step's call was not started (`start(client)` first), a criterion missing
                or unknown, or a score that is not a whole number from 1 to 5.
            ValidationError: `scores` is not a dict.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> from convoi_nb.sessions import ListeningSession
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
            >>> experiment = Experiment("voices", agent.id, voices, replicates=1, store=":memory:")
            >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
            >>> _ = session.start(client)
            >>> session.rate({"helpful": 5})
            >>> session.progress
            'Call 2 of 2'
            >>> _ = session.start(client)
            >>> session.rate({"helpful": 9})
            Traceback (most recent call last):
            ...
            convoi_nb.errors.ExperimentError: ...
        """
        if not isinstance(scores, Mapping):
            raise ValidationError.of_field(
                "rating", "scores", f"must be a dict of criterion → 1–5, got {type(scores).__name__}"
            )
        unknown = sorted(set(scores) - set(self.criteria))
        missing = [c for c in self.criteria if c not in scores]
        if unknown or missing:
            raise ExperimentError(
                f"rate every criterion of this session ({', '.join(self.criteria)}): "
                + "; ".join(
                    filter(None, [f"unknown {unknown}" if unknown else "", f"missing {missing}" if missing else ""])
                )
            )
        for name, value in scores.items():
            if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
                raise ExperimentError(f"rating {name!r} must be a whole number from 1 to 5, got {value!r}")
        self._record("rated", dict(scores), note)

    def skip(self, note: str = "") -> None:
        """Move on without a rating (recorded as skipped).

        Args:
            note: Why (optional).

        Raises:
            ExperimentError: The current step's call was not started (`start(client)` first).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> from convoi_nb.sessions import ListeningSession
            >>> client = convoi_nb.connect()
            >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
            >>> experiment = Experiment("skipped", client.list_agents()[0].id, voices, replicates=1, store=":memory:")
            >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
            >>> _ = session.start(client)
            >>> session.skip("no audio on my side")
            >>> session.progress
            'Call 2 of 2'
        """
        self._record("skipped", {}, note)

    def broken(self, note: str = "") -> None:
        """The call was broken (no audio, cut off…): recorded as such, never averaged in.

        Args:
            note: What was wrong (optional).

        Raises:
            ExperimentError: The current step's call was not started (`start(client)` first).
        """
        self._record("broken", {}, note)

    def _started(self) -> str:
        """The current step's call id; an error while it has no call (a rating must be of a call heard)."""
        step, variant, replicate = self._current()
        call_id = self._call_id(variant, replicate)
        if call_id is None:
            raise ExperimentError(
                f"{step.label} of {self.rater!r} has no call yet: session.start(client) creates it; listen, then "
                "rate(), skip() or broken()"
            )
        return call_id

    def _record(self, outcome: str, scores: dict[str, int], note: str) -> None:
        if not isinstance(note, str):
            raise ExperimentError(f"note must be text, got {type(note).__name__}")
        call_id = self._started()
        step, variant, replicate = self._current()
        if self._client is not None:
            # The call's final state goes with its rating: a rating of a call that failed is kept out of the means.
            self._store.update_calls(self.experiment.name, [self._client.get_call(call_id).model_dump(mode="json")])
        self._store.record_rating(
            self.experiment.name, self.rater, step.index, variant, replicate, call_id, outcome, scores, note
        )

    # -- after the last rating ----------------------------------------------------------------------------

    def reveal(self) -> pd.DataFrame:
        """Which call was which: one row per step with its variant, call and rating.

        Returns:
            One row per step ("Call 1 of 6", …) with its variant, call id, outcome, scores and note.

        Raises:
            ExperimentError: The session is not over: before the last rating this would unblind the rater.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> from convoi_nb.sessions import ListeningSession
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> voices = Variant.grid(axes={"tts.voice_id": ["rachel", "adam"]})
            >>> experiment = Experiment("voices", agent.id, voices, replicates=1, store=":memory:")
            >>> session = ListeningSession(experiment, rater="ana", calls_per_variant=1, criteria=["helpful"])
            >>> for _ in range(2):
            ...     _ = session.start(client)
            ...     session.rate({"helpful": 3})
            >>> session.reveal()[["outcome", "helpful"]]
                        outcome  helpful
            step
            Call 1 of 2   rated      3...
            Call 2 of 2   rated      3...
        """
        import pandas as pd

        if not self.done:
            raise ExperimentError(f"{self.progress}: the variants are revealed after the last rating")
        rows = []
        for rating in self._mine():
            rows.append(
                {
                    "step": Step(rating["step"], self.total).label,
                    "variant": rating["variant"],
                    "call_id": rating["call_id"],
                    "outcome": rating["outcome"],
                    **{c: rating["scores"].get(c) for c in self.criteria},
                    "note": rating["note"],
                }
            )
        return pd.DataFrame(rows).set_index("step")


def _json_list(names: list[str]) -> str:
    return json.dumps(names)  # as the store keeps them
