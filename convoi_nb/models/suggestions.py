"""The closest known name to a mistyped one, as the error messages offer it ("did you mean 'model'?")."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, known: Iterable[str]) -> str | None:
    """The known name nearest to `word`, ignoring case, if one is near enough to be a likely typo.

    Args:
        word: What the user wrote.
        known: The names accepted.

    Returns:
        The nearest known name (difflib's ratio at least 0.6), or None.
    """
    by_lower = {name.lower(): name for name in known}
    found = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return by_lower[found[0]] if found else None


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """The suggestion to append to an error message.

    Args:
        word: What the user wrote.
        known: The names accepted.

    Returns:
        `"; did you mean 'x'?"`, or "" when no known name is close.
    """
    match = closest(word, known)
    return f"; did you mean {match!r}?" if match else ""


def unknown_key_message(key: str, allowed: list[str]) -> str:
    """The message for a key a model refuses whatever the caller opts in to (a top-level override key, say).

    Args:
        key: The key given.
        allowed: The keys the model accepts.

    Returns:
        E.g. `unknown key 'frist_message' is not allowed; did you mean 'first_message'? (allowed: …)`.
    """
    return f"unknown key {key!r} is not allowed{did_you_mean(key, allowed)} (allowed: {', '.join(allowed)})"
