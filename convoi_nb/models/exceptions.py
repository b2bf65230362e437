"""The two exceptions the contract raises itself: `ConvoiError` (base of them all) and `ValidationError`.

They live here, below everything else, so that constructing a model with bad input (`LLMSettings(temperature=3)`)
raises the package's own error rather than pydantic's, while this package still imports pydantic only.
`convoi_nb.errors` re-exports both and draws the whole tree; their public home is `convoi_nb.errors`, which is also
the module they report (in tracebacks, reprs and pickles).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .field_error import FieldError
from .validation import field_errors, summarize

if TYPE_CHECKING:
    import pydantic

PUBLIC_MODULE = "convoi_nb.errors"


def _rebuild(cls: type[ConvoiError], args: tuple[Any, ...], state: dict[str, Any]) -> ConvoiError:
    """Recreate a pickled error without calling its `__init__` (whose parameters differ from `args`).

    Args:
        cls: The error's class.
        args: Its `args`, as the original had them.
        state: Its attributes (`__dict__`), notes included.

    Returns:
        An error of class `cls` with those args and attributes.
    """
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConvoiError(Exception):
    """Base of every convoi_nb exception.

    Every one pickles to an error of the same class with the same `args` and attributes (notes included), so
    one raised in a worker process reaches the parent intact. Like every built-in exception, the copy has no
    `__cause__`, `__context__` or traceback: a cause is often a library exception holding a socket, a request
    or a database handle, which cannot be pickled, and the message already says what went wrong. Process pools
    (`concurrent.futures`, `multiprocessing`) attach the worker's formatted traceback as the cause themselves.

    Examples:
        >>> import convoi_nb
        >>> try:
        ...     convoi_nb.build_web_call("agt_123", metadata={"nested": {"no": "dicts"}})
        ... except convoi_nb.ConvoiError as error:  # every error convoi_nb raises
        ...     print(type(error).__name__)
        ValidationError
    """

    __module__ = PUBLIC_MODULE

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default pickling calls cls(*self.args), which fails for the keyword-only constructors of
        # the subclasses.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ValidationError(ConvoiError, ValueError):
    """Input refused before anything was sent; also a built-in `ValueError`. `errors` names each field and rule.

    Args:
        what: What was being validated, as the message starts: `"invalid <what>: …"`.
        errors: One `FieldError` per rejected field (its dotted path, the rule it broke).

    Examples:
        >>> import convoi_nb
        >>> try:
        ...     convoi_nb.build_web_call("agt_123", agent_overrides={"llm": {"temperature": 5}})
        ... except convoi_nb.ValidationError as error:  # also a ValueError
        ...     print(error)
        ...     print([(problem.loc, problem.msg) for problem in error.errors])
        invalid web call request: agent_overrides.llm.temperature: ...
        [('agent_overrides.llm.temperature', '...')]
    """

    __module__ = PUBLIC_MODULE

    def __init__(self, what: str, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(f"invalid {what}: {summarize(self.errors)}")

    @classmethod
    def from_pydantic(
        cls, what: str, exc: pydantic.ValidationError, model: type[pydantic.BaseModel] | None = None
    ) -> ValidationError:
        """The one way a pydantic error becomes ours: each field by its dotted path, with the rule it broke.

        Args:
            what: What was being validated (see the class).
            exc: The pydantic error.
            model: The model validated, if any, to list the keys it accepts when an unknown one is refused.

        Returns:
            The error to raise.
        """
        return cls(what, field_errors(exc.errors(), model))

    @classmethod
    def of_field(cls, what: str, loc: str, msg: str) -> ValidationError:
        """An error about one field, for checks made outside pydantic.

        Args:
            what: What was being validated (see the class).
            loc: The field's dotted path, as the user wrote it (`"idempotency_key"`, `"axes.llm.model"`).
            msg: The rule it broke and the value given.

        Returns:
            The error to raise.
        """
        return cls(what, [FieldError(loc=loc, msg=msg, type="value_error")])
