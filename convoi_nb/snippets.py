"""The Python and curl equivalents of a create request; the API key appears only as `$CONVOI_API_KEY`."""

from __future__ import annotations

import json
import shlex
from typing import Any, Mapping


def python_snippet(body: Mapping[str, Any]) -> str:
    lines = ["import convoi_nb", "", "client = convoi_nb.ConvoiClient()  # reads CONVOI_API_KEY and CONVOI_BASE_URL",
             "call = client.create_web_call(", f"    {body['agent_id']!r},"]
    for key in ("participant_name", "agent_overrides", "metadata"):
        if key in body:
            lines.append(f"    {key}={body[key]!r},")
    lines.append(")")
    return "\n".join(lines)


def curl_snippet(body: Mapping[str, Any], base_url: str = "$CONVOI_BASE_URL") -> str:
    url = f"{base_url}/api/v1/public/calls"
    return "\n".join([
        f'curl -sS -X POST "{url}" \\',
        '  -H "Authorization: Bearer $CONVOI_API_KEY" \\',
        '  -H "Content-Type: application/json" \\',
        '  -H "Idempotency-Key: $(python3 -c \'import uuid; print(uuid.uuid4())\')" \\',
        f"  -d {shlex.quote(json.dumps(dict(body), separators=(',', ':')))}",
    ])

