"""llm/tts/stt settings: what convoi_nb knows is checked; the rest only when the caller opts in (`allow_extra`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import pydantic_core
from pydantic import ConfigDict, PrivateAttr, ValidationInfo, model_validator
from typing_extensions import Self

from ._base import RequestModel
from .exceptions import ValidationError
from .json_values import JsonSetting
from .suggestions import did_you_mean

ALLOW_EXTRA = "allow_extra"
"""The validation-context key that lets llm/tts/stt settings hold what convoi_nb does not know (see SettingsModel)."""
LENIENT_CONTEXT: Mapping[str, bool] = MappingProxyType({ALLOW_EXTRA: True})
"""The context to validate with as a server does: any provider setting, any model or voice name."""
_EXTRA_HINT = "pass allow_extra=True to send it anyway"


def allows_extra(context: Any) -> bool:
    """Whether a validation context opts in to settings and names convoi_nb does not know.

    Args:
        context: The `context=` given to pydantic's validation (None when none was).

    Returns:
        True only for a mapping whose `allow_extra` is True.
    """
    return isinstance(context, Mapping) and context.get(ALLOW_EXTRA) is True


def extra_context(allow_extra: object, what: str) -> Mapping[str, bool] | None:
    """The validation context for a caller's `allow_extra=` argument, checked.

    Args:
        allow_extra: The argument.
        what: What was being validated, as a refusal names it.

    Returns:
        `LENIENT_CONTEXT` for True, None (check everything) for False.

    Raises:
        ValidationError: `allow_extra` is not a bool (a string such as "no" would read as true).
    """
    if not isinstance(allow_extra, bool):
        raise ValidationError.of_field(what, "allow_extra", f"must be True or False, got {allow_extra!r}")
    return LENIENT_CONTEXT if allow_extra else None


class SettingsModel(RequestModel):
    """llm/tts/stt settings: the keys convoi_nb knows are typed and checked; others only on request.

    A key that is not a field, or a name outside the field's catalog (`catalog`), is refused with the closest
    known one suggested, unless validation runs with the context `{"allow_extra": True}` (`LENIENT_CONTEXT`):
    the client's `allow_extra=True` and the sandbox (lenient as the real service is) pass it. Extra settings are
    then sent as given, and an instance so built stays lenient when a field is assigned later.
    """

    model_config = ConfigDict(extra="allow", strict=True, validate_assignment=True, allow_inf_nan=False)
    __pydantic_extra__: dict[str, JsonSetting]  # checked, so a NaN or a set never turns into something else
    section: ClassVar[str] = "settings"
    """The section's name in `agent_overrides` (`llm`), as messages name it."""
    catalog: ClassVar[Mapping[str, tuple[str, tuple[str, ...]]]] = {}
    """Field → (what its values are, the names convoi_nb knows), for the fields checked against a catalog."""
    _allow_extra: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _check_known(self, info: ValidationInfo) -> Self:
        unknown = self._unknown()
        if allows_extra(info.context) or self._allow_extra:
            # Remembered only when used, so an instance equals a checked one with the same settings.
            self._allow_extra = bool(unknown)
            return self
        if unknown:
            raise pydantic_core.ValidationError.from_exception_data(type(self).__name__, unknown)
        return self

    def _unknown(self) -> list[pydantic_core.InitErrorDetails]:
        """One error per setting convoi_nb does not know: a key that is not a field, a name not in a catalog."""
        fields = list(type(self).model_fields)
        out = [
            pydantic_core.InitErrorDetails(
                type=_custom("unknown_setting", unknown_setting_message(self.section, key, fields)),
                loc=(key,),
                input=value,
            )
            for key, value in (self.model_extra or {}).items()
        ]
        for name, (what, known) in self.catalog.items():
            value = getattr(self, name)
            if value is not None and value not in known:
                message = f"{value!r} is not a known {what}{did_you_mean(value, known)} (known: {', '.join(known)}"
                out.append(
                    pydantic_core.InitErrorDetails(
                        type=_custom("not_in_catalog", f"{message}; {_EXTRA_HINT})"), loc=(name,), input=value
                    )
                )
        return out


def unknown_setting_message(section: str, key: str, known: list[str]) -> str:
    """The message for a key a settings section does not know, the same in a request and a grid's path.

    Args:
        section: The section (`llm`).
        key: The key given.
        known: The section's fields.

    Returns:
        E.g. `unknown llm setting 'modle'; did you mean 'model'? (known: model, temperature, …; pass …)`.
    """
    return f"unknown {section} setting {key!r}{did_you_mean(key, known)} (known: {', '.join(known)}; {_EXTRA_HINT})"


def _custom(kind: str, message: str) -> pydantic_core.PydanticCustomError:
    # The message is the template's one value, so braces in a user's key are never read as placeholders.
    return pydantic_core.PydanticCustomError(kind, "{message}", {"message": message})
