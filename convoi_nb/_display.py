"""HTML cards for notebooks. Credentials appear masked, never in full."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Call

_STATUS_COLOURS = {"initiated": "#6b7280", "in_progress": "#2563eb", "ended": "#16a34a",
                   "failed": "#dc2626", "expired": "#d97706"}


def call_card_html(call: "Call") -> str:
    colour = _STATUS_COLOURS.get(call.status, "#6b7280")
    rows = [
        ("Agent", call.agent_id),
        ("Room", call.room_id),
        ("Duration", f"{call.duration_seconds:.1f} s"),
        ("Cost", f"{call.cost.amount:.4f} {call.cost.currency}"),
        ("Created", call.created_at.isoformat(timespec="seconds")),
        ("Participant", call.livekit.participant_identity),
        ("Token", call.livekit.masked_token),
    ]
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{escape(k)}</th><td><code>{escape(str(v))}</code></td></tr>"
        for k, v in rows
    )
    return (
        "<div class='convoi-call' style='border:1px solid #d1d5db;border-radius:6px;padding:8px;display:inline-block'>"
        f"<div><b>{escape(call.id)}</b> <span style='color:#fff;background:{colour};border-radius:4px;"
        f"padding:0 6px'>{escape(call.status)}</span></div><table>{body}</table></div>"
    )
