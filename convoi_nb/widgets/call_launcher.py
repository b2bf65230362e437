"""`CallLauncher`: pick an agent, fill in the call, press *Create call*, watch the card."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from html import escape
from typing import TYPE_CHECKING, Any, Optional

import ipywidgets as w
import traitlets

from .._base_client import build_web_call
from ..errors import APIStatusError, ConvoiError, ValidationError
from ..frames import calls_to_frame
from ..models import Call, WebCallRequest
from ._fields import agent_dropdown, error_html
from .call_card import CallCard
from .metadata_editor import MetadataEditor
from .overrides_form import OverridesForm

if TYPE_CHECKING:
    import pandas as pd

    from .._client import ConvoiClient


class CallLauncher(w.VBox):
    """Everything `create_web_call` takes, as a form. Created calls collect in `.calls` / `.frame()`."""

    busy = traitlets.Bool(False)
    calls = traitlets.List()

    def __init__(self, client: "ConvoiClient", **kwargs: Any) -> None:
        self._client = client
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="convoi-launcher")
        self.agents = {agent.id: agent for agent in client.list_agents()}
        self.agent = agent_dropdown(self.agents.values())
        self.participant_name = w.Text(description="Participant", placeholder="display name in LiveKit (optional)",
                                       layout=w.Layout(width="40em"))
        self.metadata = MetadataEditor()
        self.overrides = OverridesForm(self.agents.get(self.agent.value))
        self.create_button = w.Button(description="Create call", button_style="primary", icon="phone")
        self.status = w.HTML()  # the outcome of the last create
        self.problems_html = w.HTML()  # why the form cannot be sent as it stands
        self.card = CallCard(client)
        self.create_button.on_click(lambda _: self.create())
        self.agent.observe(lambda change: self.overrides.set_defaults(self.agents.get(change["new"])), names="value")
        for source, name in ((self.overrides, "valid"), (self.overrides, "value"), (self.metadata, "value"),
                             (self.metadata, "valid"), (self.participant_name, "value"), (self, "busy")):
            source.observe(lambda _change: self._refresh_button(), names=name)
        self.last: Optional[Future] = None
        super().__init__([
            self.agent, self.participant_name, w.HTML("<b>Metadata</b>"), self.metadata,
            w.HTML("<b>Overrides</b>"), self.overrides, self.problems_html, w.HBox([self.create_button, self.status]),
            self.card,
        ], **kwargs)
        self._refresh_button()

    def request(self) -> WebCallRequest:
        """The create request as filled in, validated once (`ValidationError` names what is wrong)."""
        overrides = self.overrides.value  # an AgentOverrides the form already validated: taken as is
        return build_web_call(self.agent.value, participant_name=self.participant_name.value.strip() or None,
                              agent_overrides=overrides if overrides.to_body() else None,
                              metadata=dict(self.metadata.value) or None)

    def request_fields(self) -> dict[str, Any]:
        """The JSON body the button would send."""
        return self.request().to_body()

    def problems(self) -> str:
        """Why the call cannot be created as filled in ("" when it can)."""
        if not self.overrides.valid:
            return "overrides: " + "; ".join(f"{k}: {v}" for k, v in self.overrides.errors.items())
        if not self.metadata.valid:
            return "metadata: fix the rows marked in red"
        try:
            self.request()
        except ValidationError as exc:
            return "; ".join(f"{e.loc}: {e.msg}" for e in exc.errors)
        return ""

    def _refresh_button(self) -> None:
        problems = self.problems()
        self.create_button.disabled = bool(problems) or self.busy
        self.create_button.tooltip = problems or ("creating…" if self.busy else "create the call")
        self.problems_html.value = error_html(problems)

    def create(self) -> Future:
        """Create the call in the background (the button does this); the Future gives the `Call`."""
        if self.busy or self.problems():
            future: Future = Future()
            future.set_exception(ConvoiError(self.problems() or "a call is already being created"))
            return future
        request = self.request()
        self.busy = True
        self.status.value = "creating…"
        self.last = self._executor.submit(self._create, request)
        return self.last

    def _create(self, request: WebCallRequest) -> Optional[Call]:
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
        self.calls = [*self.calls, call]
        self.status.value = f"created <code>{escape(call.id)}</code>"
        self.card.show(call, request=request.to_body())
        return call

    def frame(self, *, refresh: bool = False) -> "pd.DataFrame":
        """The created calls as a DataFrame; `refresh=True` fetches their current state first."""
        calls = [self._client.get_call(c.id) for c in self.calls] if refresh else self.calls
        return calls_to_frame(calls)

    def close(self) -> None:
        self.card.close()
        self._executor.shutdown(wait=True)
        super().close()
