"""CallLauncher and CallCard driven headlessly against the sandbox over real HTTP."""

from __future__ import annotations

import json
import threading
from html import escape
from typing import Any

import ipywidgets as w
import pytest
from ipywidgets.embed import embed_data

from convoi_nb import ConvoiClient, ConvoiError, RetryPolicy
from convoi_nb.sandbox import FaultConfig, Sandbox
from convoi_nb.widgets import CallCard, CallLauncher, MetadataEditor
from convoi_nb.widgets.secret_field import SecretField

from .conftest import FrontEnd, Opened, last_request


def test_button_creates_exactly_the_request_shown(
    opened: Opened, calm_client: ConvoiClient, calm_sandbox: Sandbox
) -> None:
    launcher = opened.widget(CallLauncher, calm_client)
    agents = list(launcher.agents)
    launcher.agent.value = agents[1]
    launcher.participant_name.value = "Ada"
    launcher.metadata.add_row("source", "widget-test")
    launcher.metadata.add_row("attempt", "3")
    launcher.overrides.rows["llm.model"].control.value = "gpt-4o-mini"
    launcher.overrides.rows["tts.speed"].set(1.2)
    assert not launcher.create_button.disabled
    launcher.create_button.click()
    call = launcher.last.result(timeout=10)
    assert last_request(calm_sandbox, call.id) == {
        "type": "web",
        "agent_id": agents[1],
        "participant_name": "Ada",
        "agent_overrides": {"llm": {"model": "gpt-4o-mini"}, "tts": {"speed": 1.2}},
        "metadata": {"source": "widget-test", "attempt": 3},
    }
    final = launcher.card.wait(timeout=30)
    assert final.status == "ended" and not launcher.card.polling  # every call ends here; the poller stopped itself
    assert launcher.card.status == "ended" and launcher.card.duration_seconds == final.duration_seconds > 0
    assert launcher.card.cost_amount == float(final.cost.amount) > 0  # the card shows the Decimal as a float
    assert f"{final.cost.amount:.4f} {final.cost.currency}" in launcher.card.details.value
    assert [c.id for c in launcher.calls] == [call.id]
    assert launcher.frame()["status"].tolist() == ["ended"]


def test_reason_line_follows_every_change_and_names_fields_as_labelled(opened: Opened, client: ConvoiClient) -> None:
    launcher = opened.widget(CallLauncher, client)
    rows = launcher.overrides.rows
    rows["llm.extra"].control.value = '{"temperature": 3}'
    assert "llm: other: temperature: " in launcher.problems_html.value
    rows["tts.extra"].control.value = "[1]"
    assert "llm: other" in launcher.problems_html.value and "tts: other" in launcher.problems_html.value
    rows["llm.extra"].control.value = '{"top_p": 0.9}'  # fixed: only tts is left, and the line says so
    assert (
        "llm" not in launcher.problems_html.value
        and "tts: other: must be a JSON object" in launcher.problems_html.value
    )
    assert launcher.create_button.tooltip == launcher.problems()
    rows["tts.extra"].clear()
    assert launcher.problems_html.value == "" and not launcher.create_button.disabled
    for path, row in rows.items():  # every label a reason can name is the one the form shows
        assert f">{row.label_text}<" in row.label.value, path


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("2.5", "llm.temperature: Input should be less than or equal to 2 (got 2.5)"),
        ("abc", "llm.temperature: not a number: 'abc'"),
    ],
)
def test_typed_temperature_is_kept_as_typed_never_clamped(
    typed: str, reason: str, opened: Opened, client: ConvoiClient
) -> None:
    launcher = opened.widget(CallLauncher, client)
    row = launcher.overrides.rows["llm.temperature"]
    row.enabled.value = True
    row.number.value = "1.5"
    assert launcher.overrides.value.to_body() == {"llm": {"temperature": 1.5}} and row.slider.value == 1.5
    row.number.value = typed
    assert launcher.create_button.disabled and reason in launcher.create_button.tooltip
    assert escape(reason) in launcher.problems_html.value and escape(reason.split(": ", 1)[1]) in row.error.value
    assert launcher.overrides.value.to_body() == {"llm": {"temperature": 1.5}}  # nothing clamped is offered
    row.slider.value = 0.75  # dragging the slider writes the number box
    assert row.number.value == "0.75" and launcher.overrides.value.to_body() == {"llm": {"temperature": 0.75}}


def test_table_and_frame_follow_the_calls_current_state(opened: Opened, calm_client: ConvoiClient) -> None:
    launcher = opened.widget(CallLauncher, calm_client)
    first = launcher.create().result(timeout=10)
    assert first.status == "initiated" and first.id in launcher.table.value
    launcher.card.wait(timeout=30)
    # Nobody re-ran anything: the table updated by itself as the card's poller saw the call end (Voilà).
    assert "ended" in launcher.table.value and launcher.calls[0].status == "ended"
    second = launcher.create().result(timeout=10)
    assert [c.id for c in launcher.calls] == [first.id, second.id]
    frame = launcher.frame()  # fetched afresh by default: never the state at creation
    assert frame.loc[frame["id"] == second.id, "status"].item() == launcher.calls[1].status
    launcher.card.wait(timeout=30)
    assert launcher.frame(refresh=False)["status"].tolist() == ["ended", "ended"]


def test_invalid_input_disables_the_button_and_names_the_field(
    opened: Opened, client: ConvoiClient, sandbox: Sandbox
) -> None:
    launcher = opened.widget(CallLauncher, client)
    before = sandbox.service.store.count()
    launcher.overrides.rows["knowledge_base_ids"].control.value = ["kb_nope"]
    assert launcher.create_button.disabled and "knowledge bases: " in launcher.create_button.tooltip  # as labelled
    assert "knowledge bases: " in launcher.problems_html.value
    launcher.overrides.rows["knowledge_base_ids"].clear()
    launcher.participant_name.value = "x" * 200
    assert launcher.create_button.disabled and "Participant: String should have at most" in launcher.problems_html.value
    launcher.participant_name.value = ""
    launcher.metadata.add_row("", "orphan value")
    assert launcher.create_button.disabled and "metadata" in launcher.problems_html.value
    with pytest.raises(ConvoiError) as refused:
        launcher.create().result(timeout=10)
    assert type(refused.value) is ConvoiError and str(refused.value) == "metadata: fix the rows marked in red"
    assert sandbox.service.store.count() == before


def test_api_errors_are_shown_as_readable_messages(opened: Opened, fresh_sandbox: Sandbox) -> None:
    client = opened.client(fresh_sandbox, retry=RetryPolicy(max_retries=0))
    launcher = opened.widget(CallLauncher, client)
    fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
    assert launcher.create().result(timeout=10) is None
    assert "simulated server error" in launcher.status.value and "request id req_" in launcher.status.value
    assert "Traceback" not in launcher.status.value and not launcher.create_button.disabled


def test_button_is_disabled_while_in_flight(
    opened: Opened, fresh_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = opened.client(fresh_sandbox)
    launcher = opened.widget(CallLauncher, client)
    sending, release = threading.Event(), threading.Event()
    create_web_call = client.create_web_call

    def held(*args: Any, **kwargs: Any) -> Any:  # the request stays in flight until the test lets it go
        sending.set()
        assert release.wait(timeout=30)
        return create_web_call(*args, **kwargs)

    monkeypatch.setattr(client, "create_web_call", held)
    future = launcher.create()
    try:
        assert sending.wait(timeout=10)
        assert launcher.busy and launcher.create_button.disabled
        second = launcher.create().exception(timeout=0)  # a second press while busy sends nothing
        assert type(second) is ConvoiError and str(second) == "a call is already being created"
    finally:
        release.set()
    assert future.result(timeout=10) is not None
    assert not launcher.busy and not launcher.create_button.disabled
    assert fresh_sandbox.service.store.count() == 1


def test_secrets_never_reach_the_front_end_unless_revealed(
    opened: Opened, front_end: FrontEnd, client: ConvoiClient, sandbox: Sandbox
) -> None:
    launcher = opened.widget(CallLauncher, client)
    call = launcher.create().result(timeout=10)
    launcher.card.show_code.value = True
    assert {launcher, launcher.card.token_field, launcher.card.code} <= set(front_end.widgets())  # not vacuous
    state = front_end.state()
    assert sandbox.api_key not in state and call.livekit.token not in state
    assert call.livekit.masked_token in state
    assert "$CONVOI_API_KEY" in launcher.card.code.value and "create_web_call(" in launcher.card.code.value


def test_a_revealed_token_is_shown_but_never_saved(
    opened: Opened, front_end: FrontEnd, client: ConvoiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reveal sends the token to the browser in a message; the widget state a notebook saves (ipywidgets' manager
    state, as JupyterLab and nbclient save it, and the embed state) never holds it."""
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(SecretField, "send", lambda self, content, buffers=None: sent.append(content))
    launcher = opened.widget(CallLauncher, client)
    call = launcher.create().result(timeout=10)
    token = call.livekit.token
    launcher.card.reveal.value = True  # the user asks to see (and copy) the token
    assert sent == [{"type": "show", "text": token}] and launcher.card.token_field.shown
    saved = json.dumps(w.Widget.get_manager_state(drop_defaults=False))
    embedded = json.dumps(embed_data(views=[launcher], drop_defaults=False)["manager_state"])
    assert launcher.card.token_field.model_id in saved  # the field is there…
    assert token not in saved and token not in embedded and token not in front_end.state()  # …without the token
    launcher.card.token_field._handle_msg(
        {"content": {"data": {"method": "custom", "content": {"type": "rendered"}}}, "buffers": []}
    )
    assert sent[-1] == {"type": "show", "text": token}  # a reloaded page asks again while it is shown
    launcher.card.reveal.value = False
    assert sent[-1] == {"type": "hide"} and not launcher.card.token_field.shown


def test_card_poller_stops_on_close(opened: Opened) -> None:
    slow = opened.sandbox(time_scale=0.01)  # a call takes minutes: it is still running when the card closes
    client = opened.client(slow)
    call = client.create_web_call(client.list_agents()[0].id)
    card = opened.widget(CallCard, client, call, poll_interval=0.05)
    assert not call.is_terminal and card.polling
    pollers = [t for t in threading.enumerate() if t.name == f"convoi-card-{call.id}"]
    assert len(pollers) == 1 and pollers[0].is_alive()
    card.close()
    assert not card.polling and not pollers[0].is_alive()


def test_metadata_editor_parses_values_and_flags_duplicates(opened: Opened) -> None:
    editor = opened.widget(MetadataEditor, {"source": "web"})
    editor.add_row("n", "42")
    editor.add_row("vip", "true")
    editor.add_row("note", "null")
    editor.add_row("quoted", '"42"')
    editor.add_row("list", "[1, 2]")
    assert editor.value == {"source": "web", "n": 42, "vip": True, "note": None, "quoted": "42", "list": "[1, 2]"}
    editor.add_row("n", "again")
    assert not editor.valid and "appears twice" in editor.error.value
    editor._remove(editor._rows[-1])
    assert editor.valid


def test_code_snippets_match_the_request() -> None:
    from convoi_nb.snippets import curl_snippet, python_snippet

    body: dict[str, Any] = {
        "type": "web",
        "agent_id": "agt_x",
        "agent_overrides": {"llm": {"temperature": 0.5}},
        "metadata": {"a": True},
    }
    code = python_snippet(body)
    namespace: dict[str, Any] = {}
    exec(
        code.split("call = ", 1)[1]
        .replace("client.create_web_call", "dict", 1)
        .replace("'agt_x',", "agent_id='agt_x',"),
        namespace,
    )  # the arguments are valid Python literals
    assert "'temperature': 0.5" in code and "{'a': True}" in code
    curl = curl_snippet(body, "http://127.0.0.1:1")
    assert '"http://127.0.0.1:1/api/v1/public/calls"' in curl and "$CONVOI_API_KEY" in curl
    assert '{"type":"web","agent_id":"agt_x"' in curl


def shown(widget: w.Widget) -> bool:
    """Whether the widget is laid out (its own layout and every ancestor's are not display:none)."""
    return widget.layout.display != "none"


def test_launcher_shows_call_controls_only_once_a_call_exists(opened: Opened, calm_client: ConvoiClient) -> None:
    launcher = opened.widget(CallLauncher, calm_client)
    card = launcher.card
    # Before any call: no Join, Reveal token or Show code to press, no empty "Calls created here" heading.
    assert not shown(card) and not shown(launcher.calls_heading)
    assert not shown(card._join_row) and not shown(card._tool_row)
    assert launcher.table.value == ""
    launcher.create_button.click()
    call = launcher.last.result(timeout=10)
    assert call is not None
    assert shown(card) and shown(launcher.calls_heading) and call.id in launcher.table.value
    assert shown(card._join_row) and shown(card._tool_row) and shown(card.show_code)  # the request is known
    assert card.join.available  # a running (or just ended) call: Join can act, or says why not
    card.wait(timeout=30)
    assert not card.join.available and "nothing left to join" in card.join.unavailable_reason


def test_a_card_without_a_call_or_a_request_offers_nothing_it_cannot_do(
    opened: Opened, calm_client: ConvoiClient
) -> None:
    empty = opened.widget(CallCard, calm_client)
    assert not shown(empty._join_row) and not shown(empty._tool_row)
    call = calm_client.create_web_call(calm_client.list_agents()[0].id)
    existing = opened.widget(CallCard, calm_client, call)  # a picked call: no request to turn into code
    assert shown(existing._join_row) and shown(existing._tool_row) and shown(existing.reveal)
    assert not shown(existing.show_code)
