"""Shared bases for request and response models."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Annotated, Any, ClassVar

import pydantic
import pydantic_core
from pydantic import AfterValidator, BaseModel, ConfigDict, PrivateAttr, ValidationInfo, model_validator
from typing_extensions import Self

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


def _is_none(value: Any) -> bool:
    return value is None


def _ours(model: type[BaseModel], exc: pydantic.ValidationError) -> ValidationError:
    return ValidationError.from_pydantic(model.__name__, exc, model)


class ContractModel(BaseModel):
    """A model of the contract: building one with bad input raises `convoi_nb.ValidationError`.

    The error names each field and rule, as the client's do, rather than being pydantic's. `model_validate()` is
    pydantic's own API and raises pydantic's error; the package converts it wherever it calls it.
    """

    def __init__(self, /, **data: Any) -> None:
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            raise _ours(type(self), exc) from None

    # Marks this `__init__` as pydantic's own (as pydantic's RootModel does), so that validating a parent model
    # builds nested ones without calling it: their errors stay pydantic's, with the full path (`llm.temperature`).
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]  # a marker pydantic reads on the function


class RequestModel(ContractModel):
    """A request body: strict types, unknown keys rejected, unset fields never sent as null.

    Assigning a bad value to a field raises `convoi_nb.ValidationError` too.
    """

    # allow_inf_nan=False: JSON has no NaN or infinity, and pydantic would send them as null (a silent change)
    model_config = ConfigDict(extra="forbid", strict=True, validate_assignment=True, allow_inf_nan=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        # Declared optional fields left at None are left out of the body. Only declared ones: None inside
        # metadata or an extra llm/tts/stt key is the user's explicit value and is kept. A field-level
        # `exclude_if` runs inside pydantic-core, several times faster than a Python wrap serializer.
        super().__pydantic_init_subclass__(**kwargs)
        optional = [field for field in cls.model_fields.values() if field.default is None and field.exclude_if is None]
        for field in optional:
            field.exclude_if = _is_none
        if optional:
            cls.model_rebuild(force=True)

    def __setattr__(self, name: str, value: Any) -> None:
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as exc:
            raise _ours(type(self), exc) from None


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


class ResponseModel(ContractModel):
    """A response object: lenient, and unknown fields are kept for forward compatibility."""

    model_config = ConfigDict(extra="allow")


def _assume_utc(value: datetime) -> datetime:
    # A server that forgets the offset means UTC; a naive datetime would break comparisons later.
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


UTCDateTime = Annotated[datetime, AfterValidator(_assume_utc)]
