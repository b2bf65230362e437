"""How a call looks in a notebook: status badge, detail rows and the HTML card. Credentials appear masked.

The models know nothing of this: importing this module gives `Call` its `_repr_html_` (see the bottom),
and `convoi_nb/__init__.py` imports it, so `call` on the last line of a cell shows the card.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .models import Call

STATUS_COLOURS = {
    "initiated": "#6b7280",
    "in_progress": "#2563eb",
    "ended": "#16a34a",
    "failed": "#dc2626",
    "expired": "#d97706",
}
_UNKNOWN_STATUS_COLOUR = "#6b7280"


def status_badge_html(call: Call) -> str:
    colour = STATUS_COLOURS.get(call.status, _UNKNOWN_STATUS_COLOUR)
    return (
        f"<b>{escape(call.id)}</b> <span class='convoi-status' style='color:#fff;background:{colour};"
        f"border-radius:4px;padding:0 6px'>{escape(call.status)}</span>"
    )


def call_rows(call: Call) -> list[tuple[str, str]]:
    """(label, value) for each detail a reader wants, the token masked."""
    return [
        ("Duration", f"{call.duration_seconds:.1f} s"),
        ("Cost", f"{call.cost.amount:.4f} {call.cost.currency}"),
        ("Agent", call.agent_id),
        ("Room", call.room_id),
        ("LiveKit URL", call.livekit.url),
        ("Participant", call.livekit.participant_identity),
        ("Created", call.created_at.isoformat(timespec="seconds")),
        ("Token", call.livekit.masked_token),
    ]


def rows_table_html(rows: Sequence[tuple[str, str]]) -> str:
    return (
        "<table>"
        + "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{escape(label)}</th>"
            f"<td class='convoi-{label.lower().replace(' ', '-')}'><code>{escape(value)}</code></td></tr>"
            for label, value in rows
        )
        + "</table>"
    )


def call_card_html(call: Call) -> str:
    return (
        "<div class='convoi-call' style='border:1px solid #d1d5db;border-radius:6px;padding:8px;"
        f"display:inline-block'><div>{status_badge_html(call)}</div>{rows_table_html(call_rows(call))}</div>"
    )


# Registered from the display side, so the contract (models) never depends on presentation.
Call._repr_html_ = call_card_html  # type: ignore[attr-defined]
