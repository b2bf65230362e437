"""The `convoi_nb` logger, with a filter that scrubs credentials from every record."""

from __future__ import annotations

import logging
import re

_SECRET_PATTERNS = (
    (re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer\s+)?[^\s'\",}]+"), r"\1\2[REDACTED]"),
    (re.compile(r"(?i)(bearer\s+)[^\s'\",}]+"), r"\1[REDACTED]"),
    (re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"), "[REDACTED-JWT]"),
    (re.compile(r"\bsk_[A-Za-z0-9_]{6,}"), "sk_[REDACTED]"),
)


def redact(text: str) -> str:
    """`text` with API keys, bearer headers and JWTs (LiveKit tokens) replaced.

    Args:
        text: any text.

    Returns:
        The text, scrubbed.
    """
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record once and scrubs it, so no handler ever sees a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str = "convoi_nb") -> logging.Logger:
    """A logger under `convoi_nb` carrying the redacting filter (filters do not inherit).

    Args:
        name: the logger's name.

    Returns:
        The logger.
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
