"""Checks shared by the sandbox's settings: a setting's value is refused with a message naming the setting."""

from __future__ import annotations

from ..errors import ConfigurationError


def require(name: str, value: object, ok: bool, rule: str) -> None:
    """Refuse a setting whose value breaks its rule.

    Args:
        name: The setting's name.
        value: Its value, shown in the message.
        ok: Whether the value obeys the rule.
        rule: The rule, worded to follow the name ("must be > 0").

    Raises:
        ConfigurationError: `ok` is false.
    """
    if not ok:
        raise ConfigurationError(f"{name} {rule}, got {value!r}")


def is_number(value: object) -> bool:
    """Whether `value` is a real number (an int or a float, not a bool).

    Args:
        value: Anything.

    Returns:
        True for ints and floats other than bools.
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool)
