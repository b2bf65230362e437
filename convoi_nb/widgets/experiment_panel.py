"""`ExperimentPanel`: define variants, run them with replicates, watch progress, read the comparison."""

from __future__ import annotations

import io
import threading
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import ipywidgets as w
import traitlets

from ..errors import ConvoiError
from ..experiments import Experiment, ExperimentResults
from ._fields import agent_dropdown, error_html
from .variant_builder import VariantBuilder

if TYPE_CHECKING:
    from .._client import ConvoiClient

TABLE_COLUMNS = ["variant", "replicate", "status", "duration_seconds", "cost_amount", "attempts", "create_error"]


class ExperimentPanel(w.VBox):
    """Run and Resume work in a background thread; `.results` holds the last `ExperimentResults`."""

    busy = traitlets.Bool(False)

    def __init__(self, client: "ConvoiClient", *, store: Union[str, Path, None] = None, wait_timeout: float = 300.0,
                 **kwargs: Any) -> None:
        self._client, self._store, self._wait_timeout = client, store, wait_timeout
        self.agents = {agent.id: agent for agent in client.list_agents()}
        self.agent = agent_dropdown(self.agents.values())
        self.name = w.Text(value=f"experiment-{datetime.now():%Y%m%d-%H%M%S}", description="Name",
                           layout=w.Layout(width="40em"))
        self.variants = VariantBuilder(self.agents.get(self.agent.value))
        self.replicates = w.BoundedIntText(value=5, min=1, max=1000, description="Replicates")
        self.concurrency = w.BoundedIntText(value=16, min=1, max=128, description="Concurrency")
        self.run_button = w.Button(description="Run", button_style="primary", icon="play",
                                   tooltip="start this experiment (a new name)")
        self.resume_button = w.Button(description="Resume", icon="redo",
                                      tooltip="continue an experiment of this name: only missing calls are created")
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="30em"))
        self.status = w.HTML()
        self.table = w.Output()
        self.summary = w.Output()
        self.plot = w.Image(format="png", layout=w.Layout(display="none", max_width="100%"))
        self.results: Optional[ExperimentResults] = None
        self._thread: Optional[threading.Thread] = None
        self.run_button.on_click(lambda _: self.start(resume=False))
        self.resume_button.on_click(lambda _: self.start(resume=True))
        self.agent.observe(lambda change: self.variants.set_defaults(self.agents.get(change["new"])), names="value")
        for source, trait in ((self.variants, "valid"), (self, "busy")):
            source.observe(lambda _change: self._refresh_buttons(), names=trait)
        super().__init__([
            self.agent, self.name, w.HTML("<b>Variants</b>"), self.variants,
            w.HBox([self.replicates, self.concurrency]), w.HBox([self.run_button, self.resume_button, self.progress]),
            self.status, w.HTML("<b>Calls</b>"), self.table, w.HTML("<b>Summary</b>"), self.summary, self.plot,
        ], **kwargs)
        self._refresh_buttons()

    def experiment(self) -> Experiment:
        return Experiment(self.name.value.strip(), self.agent.value, self.variants.value,
                          replicates=self.replicates.value, store=self._store)

    def _refresh_buttons(self) -> None:
        blocked = self.busy or not self.variants.valid
        self.run_button.disabled = self.resume_button.disabled = blocked

    def start(self, *, resume: bool) -> Optional[threading.Thread]:
        if self.busy or not self.variants.valid:
            return None
        try:
            experiment = self.experiment()
            known = experiment.results(self._client).frame()
        except ConvoiError as exc:
            self.status.value = error_html(str(exc))
            return None
        if not resume and len(known):
            self.status.value = error_html(f"experiment {experiment.name!r} already has calls: press Resume to "
                                           "continue it, or choose a new name")
            return None
        self.busy = True
        self._thread = threading.Thread(target=self._run, args=(experiment,), daemon=True, name="convoi-experiment")
        self._thread.start()
        return self._thread

    def wait(self, timeout: Optional[float] = None) -> Optional[ExperimentResults]:
        """Block until the running experiment is done (for scripts and tests)."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.results

    def _progress(self, label: str) -> Any:
        def update(done: int, total: int) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done
            self.progress.description = label
            if self.results is not None and label == "waiting":
                self._show_table()
        return update

    def _run(self, experiment: Experiment) -> None:
        try:
            self.status.value = f"creating {len(experiment.variants) * experiment.replicates} calls…"
            self.results = experiment.run(self._client, concurrency=self.concurrency.value, progress=False,
                                          on_progress=self._progress("creating"))
            self._show_table()
            self.status.value = "waiting for the calls to end…"
            self.results.wait(timeout=self._wait_timeout, progress=False, on_progress=self._progress("waiting"))
            self._show_table()
            self._show_summary()
            self.status.value = f"done: {escape(experiment.name)}"
        except (ConvoiError, TimeoutError) as exc:
            self.status.value = error_html(str(exc))
            if self.results is not None:
                self._show_table()
        finally:
            self.busy = False

    @staticmethod
    def _replace(output: w.Output, *objects: Any) -> None:
        # Runs on the worker thread: `with output:` only captures on the kernel's main thread,
        # appending display data works from anywhere.
        output.outputs = ()
        for obj in objects:
            output.append_display_data(obj)

    def _show_table(self) -> None:
        assert self.results is not None
        self._replace(self.table, self.results.frame()[TABLE_COLUMNS])

    def _show_summary(self) -> None:
        assert self.results is not None
        summary = self.results.summary()
        columns = ["n", "ended", "failure_rate", "duration_mean", "duration_ci_low", "duration_ci_high",
                   "cost_mean", "cost_ci_low", "cost_ci_high", "cost_per_minute"]
        tables = [summary[columns].round(4)]
        if len(summary) > 1:
            tables.append(self.results.compare().round(4))
        self._replace(self.summary, *tables)
        buffer = io.BytesIO()
        self.results.plot().savefig(buffer, format="png", dpi=80)  # a PNG renders in any front end, from any thread
        self.plot.value = buffer.getvalue()
        self.plot.layout.display = None
