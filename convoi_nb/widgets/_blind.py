"""What a blinded widget may say of an error: its kind, never its text.

An API error can echo a call id, the overrides or a model name, and unblind the rater.
"""

from __future__ import annotations

from .._logging import get_logger
from ..errors import ConvoiError

log = get_logger("convoi_nb.widgets")


def blind_error(exc: ConvoiError) -> str:
    """The kind of `exc` (and its HTTP status), to show a rater; its text goes to the convoi_nb log.

    Args:
        exc: The error.

    Returns:
        A line naming the error's class and status only.
    """
    status = getattr(exc, "status_code", None)
    log.info("blinded widget: %s", exc)
    return (
        f"that did not work ({type(exc).__name__}{f', HTTP {status}' if status else ''}); try again. "
        "The details are kept for after the session (the convoi_nb log)."
    )
