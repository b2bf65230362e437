"""`ExperimentPanel`: define variants, run them, watch progress, read the comparison or the decision.

Two designs: "Fixed" runs `replicates` calls per variant, then shows the summary and comparison tables, the verdict
and the plot; "Until decided" runs `run(until="decided")` in waves and shows the decision as it stands: its
anytime-valid intervals (valid however often the panel refreshes), eliminated variants greyed with the look at
which they left, the stop reason, calls and spend, and a Stop button (stopping by hand leaves every interval
shown valid). Each refresh reads the results frame once and makes one analysis of it
(`ExperimentResults.analysis()`; the decision reads the same frame), which every part reads. The Budget field
follows the library's spend policy (`convoi_nb.budget`): empty is no cap, 0 a cap of zero, an amount a cap in the
calls' currency. Estimate cost never spends without asking: where calls may cost real money, its pilot waits for
a Yes (`ConfirmBar`) showing how many calls it makes.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import partial
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from ..budget import cap_from_text, needs_confirmation, refusal
from ..errors import ConvoiError
from ..experiments import Analysis, Experiment, ExperimentResults
from ..experiments.pilot import DEFAULT_PILOT
from ..experiments.runner import quote_pilot
from ..experiments.sequential_settings import decision_of
from ..money import format_money
from ..report.plots import plot_experiment
from ..report.tables import comparison_table, summary_table
from ..stats.sequential import BUDGET
from ._cancellable import CancellableRun
from ._closing import close_children
from ._fields import agent_dropdown, error_html
from .call_picker import CallPicker
from .confirm_bar import ConfirmBar
from .decision_view import decision_html, stop_reason
from .sequential_fields import SequentialFields
from .variant_builder import VariantBuilder

if TYPE_CHECKING:
    from .._client import ConvoiClient
    from ..experiments.store import ResultsStore
    from ..stats.sequential import Decision

TABLE_COLUMNS = ["variant", "replicate", "status", "duration_seconds", "cost_amount", "attempts", "create_error"]
FIXED, SEQUENTIAL = "fixed", "decided"  # the Design choices (SEQUENTIAL is run()'s until="decided")
STOPPED = (
    "stopped by hand after look {looks}: no new call is created (calls already running end on their own; Resume "
    "continues from the store). Every interval shown is anytime-valid, so it stays valid although you chose when "
    "to stop"
)


class ExperimentPanel(w.VBox):
    """Run and Resume work in a background thread; `.results` holds the last `ExperimentResults`.

    In the "Until decided" Design, `.decision_shown` is the decision the last refresh showed, and Stop (`stop()`)
    ends the run before its next create.

    Args:
        client: The client the experiment runs with.
        store: The results store's file (default: the experiments' default, next to the notebook).
        wait_timeout: Seconds to wait for a run's calls to end (other keyword arguments go to `ipywidgets.VBox`).

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.widgets import ExperimentPanel
        >>> panel = ExperimentPanel(client, store=":memory:")  # name, agent, variants, replicates, budget, Run
        >>> sorted(panel.agents) == sorted(agent.id for agent in client.list_agents())
        True
        >>> panel.close()
    """

    busy = traitlets.Bool(False)

    def __init__(
        self,
        client: ConvoiClient,
        *,
        store: str | Path | None = None,
        wait_timeout: float = 300.0,
        **kwargs: Any,
    ) -> None:
        self._client, self._store, self._wait_timeout = client, store, wait_timeout
        self.agents = {agent.id: agent for agent in client.list_agents()}
        self.agent = agent_dropdown(self.agents.values())
        self.name = w.Text(
            value=f"experiment-{datetime.now():%Y%m%d-%H%M%S}", description="Name", layout=w.Layout(width="40em")
        )
        self.variants = VariantBuilder(self.agents.get(self.agent.value))
        fits = {"description_width": "initial"}  # the default width cuts "Concurrency" to "Concurre…"
        self.replicates = w.BoundedIntText(value=5, min=1, max=1000, description="Replicates", style=fits)
        self.concurrency = w.BoundedIntText(value=16, min=1, max=128, description="Concurrency", style=fits)
        self.run_button = w.Button(
            description="Run", button_style="primary", icon="play", tooltip="start this experiment (a new name)"
        )
        self.resume_button = w.Button(
            description="Resume",
            icon="redo",
            tooltip="continue an experiment of this name: only missing calls are created",
        )
        self.budget = w.Text(
            value="",
            placeholder="no cap",
            description="Budget",
            style=fits,
            layout=w.Layout(width="16em"),
            tooltip="max_cost: the most this experiment's calls may be billed (empty: no cap; 0: a cap of zero)",
        )
        self.estimate_button = w.Button(
            description="Estimate cost",
            icon="calculator",
            tooltip="predict what this run will cost (a pilot of 2 calls per variant runs first when there are no "
            "finished calls yet; where calls may cost real money it asks first)",
        )
        self.estimate_line = w.HTML()
        self.confirm = ConfirmBar(yes="Run pilot")
        self.design = w.ToggleButtons(
            options=[("Fixed", FIXED), ("Until decided", SEQUENTIAL)],
            value=FIXED,
            tooltips=[
                "Replicates calls per variant, then the comparison",
                "waves of one call per variant, dropping the clearly worse, until decided",
            ],
        )
        self.sequential = SequentialFields(layout=w.Layout(display="none"))
        self.stop_button = w.Button(
            description="Stop",
            icon="stop",
            disabled=True,
            layout=w.Layout(width="7em", display="none"),
            tooltip="create no more calls; every interval shown stays valid (anytime-valid)",
        )
        self.decision = w.HTML()
        self.spend = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="30em"))
        self.status = w.HTML()
        self.table = w.Output()
        self.calls = CallPicker(client)  # a card with Join, to hear any call of the run
        self.summary_heading = w.HTML("<b>Summary</b>")
        self.summary = w.Output()
        self.plot = w.Image(format="png", layout=w.Layout(display="none", max_width="100%"))
        self.results: ExperimentResults | None = None
        self._estimated: str | None = None  # the experiment whose pilot this panel ran
        self._thread: threading.Thread | None = None
        self._sequential_run = CancellableRun()  # Stop cancels it
        self._sequential_store: ResultsStore | None = None  # the store of the run until decided shown
        self.decision_shown: Decision | None = None  # the decision the last refresh showed
        self.estimate_button.on_click(lambda _: self.start_estimate())
        self.run_button.on_click(lambda _: self.start(resume=False))
        self.resume_button.on_click(lambda _: self.start(resume=True))
        self.stop_button.on_click(lambda _: self.stop())
        self.agent.observe(lambda change: self.variants.set_defaults(self.agents.get(change["new"])), names="value")
        self.design.observe(lambda _change: self._show_design(), names="value")
        stale = (self.variants, self.replicates, self.name, self.agent, self.design, self.sequential.max_replicates)
        for source in stale:  # an estimate, or a question, about another run
            source.observe(lambda _change: self._forget_estimate(), names="value")
        for source, trait in ((self.variants, "valid"), (self, "busy")):
            source.observe(lambda _change: self._refresh_buttons(), names=trait)
        super().__init__(
            [
                self.agent,
                self.name,
                w.HTML("<b>Variants</b>"),
                self.variants,
                w.HTML("<b>Design</b>"),
                self.design,
                self.sequential,
                w.HBox([self.replicates, self.concurrency]),
                w.HBox([self.budget, self.estimate_button]),
                self.estimate_line,
                self.confirm,
                w.HBox([self.run_button, self.resume_button, self.stop_button, self.progress]),
                self.status,
                self.spend,
                self.decision,
                w.HTML("<b>Calls</b>"),
                self.table,
                self.calls,
                self.summary_heading,
                self.summary,
                self.plot,
            ],
            **kwargs,
        )
        self._refresh_buttons()

    @property
    def until_decided(self) -> bool:
        """Whether the Design is "Until decided" (`run(until="decided")`)."""
        return bool(self.design.value == SEQUENTIAL)

    def _show_design(self) -> None:
        """Show the fields of the Design chosen (Replicates, or the sequential settings and Stop)."""
        sequential = self.until_decided
        self.sequential.layout.display = None if sequential else "none"
        self.stop_button.layout.display = None if sequential else "none"
        self.replicates.layout.display = "none" if sequential else None
        self.summary_heading.layout.display = "none" if sequential else None

    def _forget_estimate(self) -> None:
        self.estimate_line.value = ""
        self.confirm.dismiss()

    def experiment(self) -> Experiment:
        """The experiment the panel's fields describe.

        Returns:
            The experiment.
        """
        # Until decided, the design's cells are the most the run can create: its estimate is the worst case.
        replicates = self.sequential.max_replicates.value if self.until_decided else self.replicates.value
        return Experiment(self.name.value.strip(), self.agent.value, self.variants.value, replicates, store=self._store)

    def _refresh_buttons(self) -> None:
        blocked = self.busy or not self.variants.valid
        self.run_button.disabled = self.resume_button.disabled = self.estimate_button.disabled = blocked

    def start(self, *, resume: bool, pilot_confirmed: bool = False) -> threading.Thread | None:
        """Run the experiment in the background (what Run and Resume do), in the Design chosen.

        A Budget needs a cost per call to project from: without an estimate yet, a pilot runs first, and where
        calls may cost real money the panel asks before it (the thread starts on Yes).

        Args:
            resume: Continue an experiment of this name (else a name with calls already is refused).
            pilot_confirmed: The user said Yes to the pilot a Budget needs.

        Returns:
            The background thread, or None when nothing was started (the status line, or a question, says why).
        """
        if self.busy or not self.variants.valid:
            return None
        try:
            experiment = self.experiment()
            max_cost = self._max_cost()
            if self.until_decided:
                self.sequential.settings()  # a bad Tolerance is refused here, before anything runs
            known = experiment.results(self._client).frame()
        except ConvoiError as exc:
            self.status.value = error_html(str(exc))
            return None
        if not resume and len(known) and experiment.name != self._estimated:  # the pilot of our Estimate is fine
            self.status.value = error_html(
                f"experiment {experiment.name!r} already has calls: press Resume to continue it, or choose a new name"
            )
            return None
        creates = experiment.cells_to_create()  # the runner's own count, so the two never disagree
        threshold = self._client.confirm_runs_over
        if threshold is not None and needs_confirmation(creates, threshold) and max_cost is None:
            self.status.value = error_html(refusal(creates, threshold, panel=True))
            return None
        if max_cost is not None and not self.estimate_line.value and not pilot_confirmed:
            if self._ask_for_pilot(experiment, "Run with a Budget", partial(self.start, resume=resume)):
                return None
        target = self._run_until_decided if self.until_decided else self._run
        return self._start(partial(target, pilot_confirmed=pilot_confirmed), experiment)

    def start_estimate(self, *, pilot_confirmed: bool = False) -> threading.Thread | None:
        """Predict the run's cost in the background (see `Experiment.estimate`), shown above Run.

        Where calls may cost real money and a pilot would create calls, it asks first (Yes starts it).

        Args:
            pilot_confirmed: The user said Yes to the pilot.

        Returns:
            The background thread, or None when nothing was started (the status line, or a question, says why).
        """
        if self.busy or not self.variants.valid:
            return None
        try:
            experiment = self.experiment()
        except ConvoiError as exc:
            self.status.value = error_html(str(exc))
            return None
        if not pilot_confirmed and self._ask_for_pilot(experiment, "Estimate", self.start_estimate):
            return None
        return self._start(partial(self._estimate, confirmed=pilot_confirmed), experiment)

    def _ask_for_pilot(self, experiment: Experiment, before: str, again: Callable[..., Any]) -> bool:
        """Ask before a pilot that may cost money; Yes calls `again(pilot_confirmed=True)`. Whether it asked."""
        try:
            quote = quote_pilot(experiment, self._client, DEFAULT_PILOT)
        except ConvoiError as exc:
            self.status.value = error_html(str(exc))
            return True
        if not quote.needs_asking:
            return False
        self.status.value = ""
        self.confirm.ask(
            quote.question(before),
            on_yes=lambda: again(pilot_confirmed=True),
            on_cancel=lambda: setattr(self.status, "value", "pilot cancelled: nothing was created"),
        )
        return True

    def _start(self, target: Any, experiment: Experiment) -> threading.Thread:
        self.confirm.dismiss()
        self.busy = True
        self._thread = threading.Thread(
            target=self._guarded, args=(target, experiment), daemon=True, name="convoi-experiment"
        )
        self._thread.start()
        return self._thread

    def _guarded(self, target: Any, experiment: Experiment) -> None:
        try:
            target(experiment)
        except ConvoiError as exc:  # WaitTimeoutError included
            self.status.value = error_html(str(exc))
            if self.results is not None:
                with contextlib.suppress(ConvoiError):  # show what was recorded, if anything was
                    self.refresh()
        finally:
            self.busy = False

    def _estimate(self, experiment: Experiment, *, confirmed: bool = False) -> None:
        self.status.value = "estimating: a pilot of 2 calls per variant runs if none has finished yet…"
        self._estimated = experiment.name
        estimate = experiment.estimate(self._client, confirm=confirmed, wait_timeout=self._wait_timeout)
        line = str(estimate)
        if self.until_decided:
            line = f"if it runs to {experiment.replicates} calls per variant, dropping none: {line}"
        self.estimate_line.value = escape(line)
        self.status.value = ""

    def wait(self, timeout: float | None = None) -> ExperimentResults | None:
        """Block until the running experiment is done (for scripts and tests).

        Args:
            timeout: Seconds to wait at most (None: as long as it takes).

        Returns:
            The last results, if any.
        """
        if self._thread is not None:
            self._thread.join(timeout)
        return self.results

    def _progress(self, label: str, say: str, *, live: bool = False) -> Any:
        """An on_progress callback: the bar, and a status line saying what is happening (`say` takes done, total).

        It refreshes what is shown while waiting, or after every create when `live` (a run until decided).
        """

        def update(done: int, total: int) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done
            self.progress.description = label
            self.status.value = escape(say.format(done=done, total=total))
            if self.results is not None and (live or label == "waiting"):
                self.refresh()

        return update

    def _max_cost(self) -> Decimal | None:
        """The Budget field read by the spend policy's rule (empty: no cap; 0: a cap of zero)."""
        return cap_from_text(self.budget.value)

    def _cap_with_estimate(self, experiment: Experiment, pilot_confirmed: bool) -> Decimal | None:
        """The Budget, after an estimate (its pilot) if there is none yet: a cap projects from a cost per call."""
        max_cost = self._max_cost()
        if max_cost is not None and not self.estimate_line.value:
            self._estimate(experiment, confirmed=pilot_confirmed)
        return max_cost

    def _run(self, experiment: Experiment, *, pilot_confirmed: bool = False) -> None:
        started = time.monotonic()
        max_cost = self._cap_with_estimate(experiment, pilot_confirmed)
        self._sequential_store = None
        self.status.value = "checking the server for this experiment's calls…"
        self.results = experiment.run(
            self._client,
            concurrency=self.concurrency.value,
            progress=False,
            on_progress=self._progress("creating", "creating calls: {done}/{total}"),
            max_cost=max_cost,
        )
        self.refresh()
        self.results.wait(
            timeout=self._wait_timeout,
            progress=False,
            on_progress=self._progress("waiting", "waiting for calls to end: {done}/{total} finished"),
        )
        analysis = self.refresh(final=True)
        self.progress.description = "done"
        self.status.value = escape(self._outcome(experiment, analysis, time.monotonic() - started))

    def _run_until_decided(self, experiment: Experiment, *, pilot_confirmed: bool = False) -> None:
        """`arun(until="decided")` on a loop of this thread's own (`CancellableRun`), so that Stop can cancel it."""
        started = time.monotonic()
        max_cost = self._cap_with_estimate(experiment, pilot_confirmed)
        self._show_sequential(experiment)
        self.status.value = "checking the server for this experiment's calls…"
        self._sequential_run.arm()
        self.stop_button.disabled = False
        try:
            finished = self._sequential_run.run(
                experiment.arun(
                    self._client,
                    until=SEQUENTIAL,
                    **self.sequential.settings(),
                    concurrency=self.concurrency.value,
                    progress=False,
                    on_progress=self._progress("creating", "waves: {done} calls created (at most {total})", live=True),
                    max_cost=max_cost,
                    wait_timeout=self._wait_timeout,
                )
            )
        finally:
            self.stop_button.disabled = True
        self.results = finished or self.results  # stopped: the store holds every call created; Resume goes on
        stopped = self._sequential_run.stopped
        self.progress.description = "stopped" if stopped else "done"
        with contextlib.suppress(ConvoiError):  # stopped before any call was recorded: nothing to show
            self.refresh(final=True)
        decision = self.decision_shown
        if stopped and (decision is None or not decision.done):
            self.status.value = escape(STOPPED.format(looks=decision.looks if decision is not None else 0))
        elif decision is not None:
            self.status.value = escape(f"done in {time.monotonic() - started:.0f} s: {stop_reason(decision)}")

    def _show_sequential(self, experiment: Experiment) -> None:
        """Show `experiment`'s results and decision from now on (nothing shown of it yet)."""
        self._sequential_store, self.decision_shown = experiment._open_store(), None
        self.results = experiment.results(self._client)

    def stop(self) -> bool:
        """Stop a run until decided: no new call is created (what the Stop button does).

        Every interval the panel shows is anytime-valid, so it stays valid when the run is stopped by hand.

        Returns:
            Whether a run was under way to stop.
        """
        if not self._sequential_run.stop():
            return False
        self.stop_button.disabled = True
        self.status.value = "stopping: no new call is created…"
        return True

    def _outcome(self, experiment: Experiment, analysis: Analysis, elapsed: float) -> str:
        assert self.results is not None
        frame = analysis.frame
        failed = int(frame["create_error"].notna().sum())
        created = int(frame["id"].notna().sum())
        parts = [f"done in {elapsed:.0f} s: {created} calls of {experiment.name}"]
        if failed:
            parts.append(f"{failed} failed creates (Resume retries them)")
        budget = self.results.budget
        if budget is not None and budget.stopped:
            parts.append(str(budget))
        return "; ".join(parts)

    def refresh(self, *, final: bool = False) -> Analysis:
        """Show the results as they stand: one read of the frame, one analysis, read by every part shown.

        Args:
            final: Also show the summary and comparison tables, the verdict and the plot (once the calls ended) of a
                fixed design; a run until decided shows its decision at every refresh instead.

        Returns:
            The analysis shown.
        """
        assert self.results is not None
        analysis = self.results.analysis()
        self._show_table(analysis)
        self._show_spend(analysis)
        decision = self.decision_shown = self._decision(analysis)
        if decision is not None:
            self.decision.value = decision_html(decision, stopped_by_hand=self._sequential_run.stopped)
        elif final:
            self._show_summary(analysis)
        return analysis

    def _decision(self, analysis: Analysis) -> Decision | None:
        """The decision of a run until decided, replayed from the analysis's own frame.

        What `results.decision` says, from the frame this refresh read once: the calls table, the spend and the
        decision shown side by side come from one snapshot of the store. None for a fixed design.
        """
        store, results = self._sequential_store, self.results
        recorded = store.sequential(results.name) if store is not None and results is not None else None
        if store is None or results is None or recorded is None:
            return None
        settings, stop = recorded
        return decision_of(
            results.name,
            analysis.frame,
            settings,
            calls=len(store.done(results.name)),
            spend=analysis.spend,
            out_of_budget=stop == BUDGET,
        )

    def _show_spend(self, analysis: Analysis) -> None:
        assert self.results is not None
        spent = analysis.spend
        text = f"spent {format_money(spent.amount, spent.currency)}"
        if self.results.budget is not None:
            text += f" of a {format_money(self.results.budget.cap.amount, spent.currency)} budget"
        self.spend.value = escape(text)

    @staticmethod
    def _replace(output: w.Output, *objects: Any) -> None:
        # Runs on the worker thread: `with output:` only captures on the kernel's main thread,
        # appending display data works from anywhere.
        output.outputs = ()
        for obj in objects:
            output.append_display_data(obj)

    def _show_table(self, analysis: Analysis) -> None:
        frame = analysis.frame
        self._replace(self.table, frame[TABLE_COLUMNS])
        created = frame[frame["id"].notna()]
        self.calls.set_calls(
            [(f"{row.variant} #{row.replicate} ({row.status})", str(row.id)) for row in created.itertuples()]
        )

    def close(self) -> None:
        """Close the panel and every widget it is made of (its call picker and any card it opened included).

        A run until decided under way is stopped first (no new call is created; Resume continues it).
        """
        if hasattr(self, "_sequential_run"):  # ipywidgets' __del__ also closes a panel whose constructor raised
            self.stop()
        close_children(self)
        super().close()

    def _show_summary(self, analysis: Analysis) -> None:
        assert self.results is not None
        tables: list[Any] = [summary_table(analysis)]
        if len(analysis.variants) > 1:
            tables += [comparison_table(analysis), analysis.verdict]
        self._replace(self.summary, *tables)
        buffer = io.BytesIO()
        # A PNG renders in any front end, from any thread.
        plot_experiment(analysis, self.results.name).savefig(buffer, format="png", dpi=80)
        self.plot.value = buffer.getvalue()
        self.plot.layout.display = None
