"""`CallLauncher`: pick an agent, fill in the call, press *Create call*, watch the card and the table of calls."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from html import escape
from typing import TYPE_CHECKING, Any

import ipywidgets as w
import traitlets

from .._base_client import build_web_call
from ..errors import APIStatusError, ConvoiError, ValidationError
from ..frames import calls_to_frame
from ..models import Call, WebCallRequest
from ._closing import close_children
from ._fields import agent_dropdown, error_html
from .call_card import CallCard
from .metadata_editor import MetadataEditor
from .overrides_form import OverridesForm

if TYPE_CHECKING:
    import pandas as pd

    from .._client import ConvoiClient

TABLE_COLUMNS = ["id", "status", "duration_seconds", "cost_amount", "cost_currency", "created_at"]


class CallLauncher(w.VBox):
    """Everything `create_web_call` takes, as a form.

    Created calls collect in `.calls` (kept current while the card follows them), in `.table` (a live table that
    updates by itself, for Voilà where cells cannot be re-run) and in `.frame()` (fetched afresh by default).

    Args:
        client: The client that lists the agents and creates the calls.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> from convoi_nb.widgets import CallLauncher
        >>> launcher = CallLauncher(client)  # pick an agent, set overrides and metadata, press Create
        >>> call = launcher.create().result(timeout=30)  # what the button does
        >>> call.agent_id in launcher.agents, [c.id for c in launcher.calls] == [call.id]
        (True, True)
        >>> launcher.close()
    """

    busy = traitlets.Bool(False)
    calls: traitlets.List[Call] = traitlets.List()

    def __init__(self, client: ConvoiClient, **kwargs: Any) -> None:
        self._client = client
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convoi-launcher")
        self.agents = {agent.id: agent for agent in client.list_agents()}
        self.agent = agent_dropdown(self.agents.values())
        self.participant_name = w.Text(
            description="Participant", placeholder="display name in LiveKit (optional)", layout=w.Layout(width="40em")
        )
        self.metadata = MetadataEditor()
        self.overrides = OverridesForm(self.agents.get(self.agent.value))
        self.create_button = w.Button(description="Create call", button_style="primary", icon="phone")
        self.status = w.HTML()  # the outcome of the last create
        self.problems_html = w.HTML()  # why the form cannot be sent as it stands
        self.card = CallCard(client)
        self.table = w.HTML()  # the calls created here, kept current as the card sees them change
        self.table.add_class("convoi-launcher-calls")
        # The card and the calls' heading appear with the first call: before it they would have nothing to act on.
        self.calls_heading = w.HTML("<b>Calls created here</b>")
        self.card.layout.display = self.calls_heading.layout.display = "none"
        self._calls_lock = threading.Lock()  # the worker and the card's poller both replace `.calls`
        self.create_button.on_click(lambda _: self.create())
        self.agent.observe(lambda change: self.overrides.set_defaults(self.agents.get(change["new"])), names="value")
        self.card.observe(lambda _change: self._follow_card(), names=["status", "duration_seconds"])
        for source, name in (
            (self.overrides, "errors"),
            (self.overrides, "value"),
            (self.metadata, "value"),
            (self.metadata, "valid"),
            (self.participant_name, "value"),
            (self, "busy"),
        ):
            source.observe(lambda _change: self._refresh_button(), names=name)
        self.last: Future[Call | None] | None = None
        super().__init__(
            [
                self.agent,
                self.participant_name,
                w.HTML("<b>Metadata</b>"),
                self.metadata,
                w.HTML("<b>Overrides</b>"),
                self.overrides,
                self.problems_html,
                w.HBox([self.create_button, self.status]),
                self.card,
                self.calls_heading,
                self.table,
            ],
            **kwargs,
        )
        self.add_class("convoi-launcher")
        self._refresh_button()

    def request(self) -> WebCallRequest:
        """The create request as filled in, validated once.

        Returns:
            The request the button would send.

        Raises:
            ValidationError: Names what is wrong.
        """
        overrides = self.overrides.value  # an AgentOverrides the form already validated: taken as is
        return build_web_call(
            self.agent.value,
            participant_name=self.participant_name.value.strip() or None,
            agent_overrides=overrides if overrides.to_body() else None,
            metadata=dict(self.metadata.value) or None,
        )

    def problems(self) -> str:
        """Why the call cannot be created as filled in.

        Returns:
            The problems on one line, each field named as the form labels it ("" when the call can be created).
        """
        if self.overrides.errors:  # not `.valid`: the form sets it after `.errors`, which this follows
            return "overrides: " + self.overrides.error_text()
        if not self.metadata.valid:
            return "metadata: fix the rows marked in red"
        try:
            self.request()
        except ValidationError as exc:
            return "; ".join(f"{self._label(e.loc)}: {e.msg}" for e in exc.errors)
        return ""

    def _label(self, loc: str) -> str:
        """A request field named as the form labels it (`participant_name` → `Participant`)."""
        field, dot, rest = loc.partition(".")
        labels = {
            "agent_id": self.agent.description,
            "participant_name": self.participant_name.description,
            "metadata": "Metadata",
        }
        return f"{labels.get(field, field)}{dot}{rest}"

    def _refresh_button(self) -> None:
        problems = self.problems()
        self.create_button.disabled = bool(problems) or self.busy
        self.create_button.tooltip = problems or ("creating…" if self.busy else "create the call")
        self.problems_html.value = error_html(problems)

    def create(self) -> Future[Call | None]:
        """Create the call in the background (the button does this).

        Returns:
            A future of the `Call` (None if the API refused it; the launcher says why).
        """
        if self.busy or self.problems():
            future: Future[Call | None] = Future()
            future.set_exception(ConvoiError(self.problems() or "a call is already being created"))
            return future
        request = self.request()
        self.busy = True
        self.status.value = "creating…"
        self.last = self._executor.submit(self._create, request)
        return self.last

    def _create(self, request: WebCallRequest) -> Call | None:
        try:
            call = self._client.create_web_call(request)
        except APIStatusError as exc:
            rid = f" (request id {exc.request_id})" if exc.request_id else ""
            self.status.value = error_html(f"the API refused the call: {exc.message}{rid}")
            return None
        except ConvoiError as exc:
            self.status.value = error_html(f"could not create the call: {exc}")
            return None
        finally:
            self.busy = False
        with self._calls_lock:
            self.calls = [*self.calls, call]
        self._render_table()
        self.status.value = f"created <code>{escape(call.id)}</code>"
        self.card.show(call, request=request.to_body())
        return call

    def frame(self, *, refresh: bool = True) -> pd.DataFrame:
        """The created calls as a DataFrame.

        Args:
            refresh: Fetch each unfinished call afresh (False: the last state seen).

        Returns:
            One row per call created here.
        """
        if refresh:
            self._keep({c.id: self._client.get_call(c.id) for c in self.calls if not c.is_terminal})
        return calls_to_frame(self.calls)

    def _follow_card(self) -> None:
        # Runs on the card's poller thread: swap in the card's fresh copy of its call, fetch any earlier call the
        # card stopped following before it ended, then redraw the table.
        current = self.card.call
        if current is None:
            return
        fresh = {current.id: current}
        for call in self.calls:
            if call.id != current.id and not call.is_terminal:
                try:
                    fresh[call.id] = self._client.get_call(call.id)
                except ConvoiError:
                    pass  # keep what we have; an exception here would stop the card's poller
        self._keep(fresh)

    def _keep(self, fresh: dict[str, Call]) -> None:
        """Swap in fresher copies of calls already listed, and redraw the table."""
        with self._calls_lock:
            self.calls = [fresh.get(c.id, c) for c in self.calls]
        self._render_table()

    def _render_table(self) -> None:
        if self.calls:
            self.card.layout.display = self.calls_heading.layout.display = None
            self.table.value = calls_to_frame(self.calls)[TABLE_COLUMNS].to_html(index=False, border=0)

    def close(self) -> None:
        """Stop the card, wait for a create in progress, and close every widget of the launcher."""
        self.card.close()
        self._executor.shutdown(wait=True)
        close_children(self)
        super().close()
