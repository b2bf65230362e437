"""One rejected field, as the client's `ValidationError` and the API's error body both list them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FieldError(BaseModel):
    """One rejected field: `loc` is a dotted path such as `agent_overrides.llm.temperature`.

    A plain pydantic model, not a `ContractModel`: the exceptions are built from it, so it cannot depend on them.

    Examples:
        >>> import convoi_nb
        >>> try:
        ...     convoi_nb.build_web_call("agt_123", metadata={"ticket": [1, 2]})
        ... except convoi_nb.ValidationError as error:
        ...     problem = error.errors[0]  # a FieldError
        >>> problem.loc
        'metadata'
    """

    model_config = ConfigDict(extra="allow")  # kept for forward compatibility, as in every response object

    loc: str
    msg: str
    type: str = "invalid"
