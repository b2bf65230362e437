"""Request ids on every response and the body-size limit, as plain ASGI middleware."""

from __future__ import annotations

import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..models.wire import REQUEST_ID_HEADER
from .error_responses import HTTPProblem, error_response

_REQUEST_ID = REQUEST_ID_HEADER.lower().encode()


def request_id_of(scope: Scope) -> str:
    """The request's id, made when first asked for and kept in the scope's state.

    Args:
        scope: The request's ASGI scope.

    Returns:
        `req_` and 24 hex digits.
    """
    request_id: str = scope.setdefault("state", {}).setdefault("request_id", "req_" + secrets.token_hex(12))
    return request_id


async def send_error(
    scope: Scope, send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> None:
    """Answer from middleware with the documented error body.

    Args:
        scope: The request's ASGI scope.
        send: The ASGI send channel.
        status: The HTTP status.
        code: The error's code.
        message: What went wrong, for the caller.
        headers: Extra response headers (such as Retry-After).
    """
    response = error_response(HTTPProblem(status, code, message, headers=headers), request_id_of(scope))
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


class RequestContext:
    """Tags each request with an id (header `X-Request-Id`) and refuses bodies over `max_body_bytes`.

    It reads the whole body before the app runs, so a body cut short (the client left, or was closed for
    sending too slowly) never reaches the app.

    Args:
        app: The app it wraps.
        max_body_bytes: The largest body accepted (413 beyond it).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request: tag it, read its body within the limit, then hand it to the app.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.
        """
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)

        async def tagged_send(message: Message) -> None:
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

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, tagged_send)
