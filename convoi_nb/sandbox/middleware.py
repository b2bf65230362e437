"""Request ids on every response and the body-size limit, as plain ASGI middleware."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from ..models.wire import REQUEST_ID_HEADER
from .error_responses import HTTPProblem, error_response

_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()


def request_id_of(scope: dict) -> str:
    return scope.setdefault("state", {}).setdefault("request_id", "req_" + secrets.token_hex(12))


async def send_error(
    scope: dict, send: Callable, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """Answer from middleware with the documented error body."""
    response = error_response(HTTPProblem(status, code, message, headers=headers), request_id_of(scope))
    await response(scope, _no_receive, send)


async def _no_receive() -> dict:
    return {"type": "http.disconnect"}


class RequestContext:
    """Tags each request with an id (header `X-Request-Id`) and refuses bodies over `max_body_bytes`."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)

        async def tagged_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (_REQUEST_ID, request_id.encode())]
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await send_error(
                scope, tagged_send, 413, "body_too_large", f"request body must be at most {self.max_body_bytes} bytes"
            )
            return
        body, more = b"", True
        while more:  # read it all (bounded), so chunked bodies obey the limit too
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left (or was closed for sending too slowly): never act on part of a body
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_body_bytes:
                await send_error(
                    scope,
                    tagged_send,
                    413,
                    "body_too_large",
                    f"request body must be at most {self.max_body_bytes} bytes",
                )
                return
        if body:
            try:
                body.decode("utf-8")  # JSON is UTF-8; otherwise the framework answers with its own error shape
            except UnicodeDecodeError:
                await send_error(scope, tagged_send, 400, "invalid_json", "request body is not valid UTF-8 JSON")
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, tagged_send)
