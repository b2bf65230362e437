"""The Python and curl equivalents of a create request; the API key appears only as `$CONVOI_API_KEY`."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any

from ._constants import API_KEY_ENV, BASE_URL_ENV
from .errors import ValidationError
from .models import AgentOverrides
from .models.wire import API_PREFIX, CALLS_PATH, IDEMPOTENCY_KEY_HEADER


def _check_body(body: object) -> None:
    if not isinstance(body, Mapping) or not isinstance(body.get("agent_id"), str):
        raise ValidationError.of_field(
            "snippet", "body", "must be a create-call body (a mapping with an agent_id string, as build_web_call makes)"
        )


def _sends_extra(overrides: object) -> bool:
    """Whether overrides hold settings or names convoi_nb checks only with `allow_extra=True`."""
    if not isinstance(overrides, Mapping):
        return False
    try:
        AgentOverrides.from_dict(overrides)
    except ValidationError:
        try:
            AgentOverrides.from_dict(overrides, allow_extra=True)
        except ValidationError:
            return False  # invalid either way: the snippet shows it as given
        return True
    return False


def python_snippet(body: Mapping[str, Any]) -> str:
    """The Python code that creates this call, reading the key from the environment.

    Args:
        body: the create request's JSON body.

    Returns:
        The code.

    Raises:
        ValidationError: `body` is not a create-call body.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.snippets import python_snippet
        >>> request = convoi_nb.build_web_call("agt_123", metadata={"ticket": 1})
        >>> body = request.model_dump(mode="json", exclude_none=True)
        >>> print(python_snippet(body))
        import convoi_nb
        <BLANKLINE>
        client = convoi_nb.ConvoiClient()  # reads CONVOI_API_KEY and CONVOI_BASE_URL
        call = client.create_web_call(
            'agt_123',
            metadata={'ticket': 1},
        )
    """
    _check_body(body)
    lines = [
        "import convoi_nb",
        "",
        f"client = convoi_nb.ConvoiClient()  # reads {API_KEY_ENV} and {BASE_URL_ENV}",
        "call = client.create_web_call(",
        f"    {body['agent_id']!r},",
    ]
    for key in ("participant_name", "agent_overrides", "metadata"):
        if key in body:
            lines.append(f"    {key}={body[key]!r},")
    if _sends_extra(body.get("agent_overrides")):
        lines.append("    allow_extra=True,")
    lines.append(")")
    return "\n".join(lines)


def curl_snippet(body: Mapping[str, Any], base_url: str = f"${BASE_URL_ENV}") -> str:
    r"""The curl command that creates this call, with `$CONVOI_API_KEY` where the key goes.

    Args:
        body: the create request's JSON body.
        base_url: the service's URL, or the shell variable that holds it.

    Returns:
        The command.

    Raises:
        ValidationError: `body` is not a create-call body.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.snippets import curl_snippet
        >>> body = convoi_nb.build_web_call("agt_123").model_dump(mode="json", exclude_none=True)
        >>> print(curl_snippet(body))
        curl -sS -X POST "$CONVOI_BASE_URL/api/v1/public/calls" \
          -H "Authorization: Bearer $CONVOI_API_KEY" \
          ...
          -d '{"type":"web","agent_id":"agt_123"}'
    """
    _check_body(body)
    url = f"{base_url}{API_PREFIX}{CALLS_PATH}"
    return "\n".join(
        [
            f'curl -sS -X POST "{url}" \\',
            f'  -H "Authorization: Bearer ${API_KEY_ENV}" \\',
            '  -H "Content-Type: application/json" \\',
            f"  -H \"{IDEMPOTENCY_KEY_HEADER}: $(python3 -c 'import uuid; print(uuid.uuid4())')\" \\",
            f"  -d {shlex.quote(json.dumps(dict(body), separators=(',', ':')))}",
        ]
    )
