"""How a call looks in a notebook: status badge, detail rows and the HTML card. Credentials appear masked.

The models know nothing of this. `register_call_card()` (run by `import convoi_nb`) tells IPython's HTML
formatter how to show a `Call`, so `call` on the last line of a cell shows the card: the formatter registry is
IPython's documented way to give a type a rich display without touching the type.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from html import escape
from typing import Any

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
    """The call's id and a coloured status badge.

    Args:
        call: the call.

    Returns:
        HTML.
    """
    colour = STATUS_COLOURS.get(call.status, _UNKNOWN_STATUS_COLOUR)
    return (
        f"<b>{escape(call.id)}</b> <span class='convoi-status' style='color:#fff;background:{colour};"
        f"border-radius:4px;padding:0 6px'>{escape(call.status)}</span>"
    )


def call_rows(call: Call) -> list[tuple[str, str]]:
    """(label, value) for each detail a reader wants, the token masked.

    Args:
        call: the call.

    Returns:
        The rows, in display order.
    """
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
    """A two-column table; each value's cell has the class `convoi-<label>`.

    Args:
        rows: (label, value) pairs.

    Returns:
        HTML.
    """
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
    """The call's card: badge and details, the token masked.

    Args:
        call: the call.

    Returns:
        HTML.
    """
    return (
        "<div class='convoi-call' style='border:1px solid #d1d5db;border-radius:6px;padding:8px;"
        f"display:inline-block'><div>{status_badge_html(call)}</div>{rows_table_html(call_rows(call))}</div>"
    )


def register_call_card(shell: Any = None) -> bool:
    """Show each `Call` as its card in IPython / Jupyter (the `text/html` formatter of the running shell).

    Args:
        shell: the IPython shell; None for the running one, if any.

    Returns:
        Whether a shell was there to register with (outside IPython nothing renders HTML).
    """
    if shell is None:
        ipython = sys.modules.get("IPython")  # loaded by every kernel before user code; never imported here
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(Call, call_card_html)
    return True
