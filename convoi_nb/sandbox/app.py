"""The sandbox's HTTP surface: the same paths, validation and error shapes as the Convoi public API."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from .._logging import get_logger
from .._version import __version__
from ..errors import SandboxError
from ..models import Agent, Call, ErrorBody, ListPage, ServedWebCallRequest, UTCDateTime, WebCallRequest, field_errors
from ..models.wire import (
    AGENTS_PATH,
    API_PREFIX,
    CALLS_PATH,
    IDEMPOTENCY_KEY_HEADER,
    JSON_MEDIA_TYPE,
    MAX_PAGE_SIZE,
    REPLAYED_HEADER,
    UNSUPPORTED_MEDIA_TYPE,
    is_json_media_type,
)
from .accounts import Account, accounts_for
from .error_responses import HTTPProblem, error_response
from .faults import FaultInjector
from .livekit import RoomCreator
from .middleware import RequestContext, request_id_of, send_error
from .service import CallService
from .settings import SandboxSettings
from .traffic import RecordTraffic, TrafficLog

_METADATA_PARAM = re.compile(r"^metadata\[(.+)\]$")
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 404, 409, 413, 415, 422, 429, 503)
}
log = get_logger("convoi_nb.sandbox")
_bearer = HTTPBearer(auto_error=False, description="`Authorization: Bearer <API key>`")


def _rid(request: Request) -> str:
    return request_id_of(request.scope)


def account_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Account | None:
    """The account the request's bearer key belongs to.

    Args:
        request: The request.
        credentials: Its `Authorization: Bearer` credentials, if any.

    Returns:
        The account, or None without a key or with an unknown one.
    """
    return request.app.state.accounts.get(credentials.credentials) if credentials is not None else None


def authenticate(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Account:
    """The request's account, or a 401 (a FastAPI dependency).

    Args:
        request: The request.
        credentials: Its `Authorization: Bearer` credentials, if any.

    Returns:
        The account the key belongs to.

    Raises:
        HTTPProblem: 401, the key is missing or unknown.
    """
    if credentials is None:
        raise HTTPProblem(401, "missing_api_key", "send your API key as `Authorization: Bearer <key>`")
    account = account_of(request, credentials)
    if account is None:
        raise HTTPProblem(401, "invalid_api_key", "the API key is not valid")
    return account


def json_body(content_type: Annotated[str | None, Header()] = None) -> None:
    """Refuse a body that is not JSON with a 415 before it is read (a FastAPI dependency).

    Its validation would otherwise echo form-encoded bytes back in a 422.

    Args:
        content_type: The request's Content-Type header.

    Raises:
        HTTPProblem: 415, the body is not declared as JSON.
    """
    if not is_json_media_type(content_type):
        raise HTTPProblem(
            415,
            UNSUPPORTED_MEDIA_TYPE,
            f"Content-Type must be {JSON_MEDIA_TYPE} (got {content_type or 'none'}): send the body "
            f"as JSON, e.g. curl -H \"Content-Type: {JSON_MEDIA_TYPE}\" -d '{{...}}'",
            param="Content-Type",
        )


def create_app(settings: SandboxSettings | None = None) -> FastAPI:
    """A fresh sandbox app serving the Convoi public API's calls and agents.

    `app.state.service` holds its store and settings, `app.state.rooms` its LiveKit room creator and
    `app.state.traffic` its request log (a `TrafficLog`).

    Args:
        settings: The sandbox's settings (defaults if None).

    Returns:
        The ASGI app.
    """
    settings = settings or SandboxSettings()
    service = CallService(settings)
    app = FastAPI(
        title="Convoi sandbox",
        version=__version__,
        description="A local implementation of the Convoi public calls API. Calls, durations and costs are simulated.",
    )
    app.state.service = service
    app.state.accounts = accounts_for(settings.api_key)
    app.state.rooms = rooms = RoomCreator(settings.livekit)
    app.state.traffic = TrafficLog()

    @app.exception_handler(HTTPProblem)
    async def _problem(request: Request, exc: HTTPProblem) -> JSONResponse:
        return error_response(exc, _rid(request))

    @app.exception_handler(SandboxError)
    async def _unavailable(request: Request, exc: SandboxError) -> JSONResponse:
        # The server cannot do what was asked (its database is read-only): say so, as the Python API would.
        log.warning("%s", exc)
        return error_response(HTTPProblem(503, "sandbox_unavailable", str(exc)), _rid(request))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        raw = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in raw):
            return error_response(HTTPProblem(400, "invalid_json", "request body is not valid JSON"), _rid(request))
        errors = field_errors(raw, WebCallRequest, strip=1)
        message = "; ".join(f"{e.loc}: {e.msg}" for e in errors)
        return error_response(
            HTTPProblem(422, "invalid_request", message, param=errors[0].loc if errors else None, errors=errors),
            _rid(request),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and request.method == "POST":
            # The framework's own parse failure (e.g. JSON nested too deep to decode): still invalid JSON to us.
            return error_response(
                HTTPProblem(400, "invalid_json", "request body could not be decoded as JSON (nested too deeply?)"),
                _rid(request),
            )
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(HTTPProblem(exc.status_code, code, str(exc.detail)), _rid(request))

    @app.get("/healthz", tags=["sandbox"])
    async def healthz(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> dict[str, Any]:
        """Liveness; with your API key, also your account's call count (never anyone else's).

        Args:
            request: The request.
            credentials: Its bearer credentials, if any.

        Returns:
            The status, the time scale and, for a known key, the account's call count.
        """
        health: dict[str, Any] = {"status": "ok", "time_scale": settings.time_scale}
        account = account_of(request, credentials)
        if account is not None:
            health["calls"] = service.store.count(account.id)
        return health

    @app.post(
        f"{API_PREFIX}{CALLS_PATH}",
        response_model=Call,
        status_code=201,
        tags=["calls"],
        responses={200: {"model": Call, "description": "Idempotent replay of an earlier create"}, **_ERRORS},
    )
    async def create_call(
        body: ServedWebCallRequest,
        account: Annotated[Account, Depends(authenticate)],
        _json: Annotated[None, Depends(json_body)],
        idempotency_key: Annotated[str | None, Header(alias=IDEMPOTENCY_KEY_HEADER)] = None,
    ) -> JSONResponse:
        """Create a web call. The same `Idempotency-Key` (a UUID) within 24 h returns the original call (HTTP 200).

        Args:
            body: The validated request.
            account: The caller's account.
            _json: The Content-Type check.
            idempotency_key: The `Idempotency-Key` header, if sent.

        Returns:
            The call: 201 when created, 200 when replayed.
        """
        row, replayed = service.create(account, body, idempotency_key)
        if not replayed:
            rooms.schedule(row.room_id)
        return JSONResponse(
            service.render(row, at=None if replayed else row.created_at),  # a new call as of its creation
            status_code=200 if replayed else 201,
            headers={REPLAYED_HEADER: "true" if replayed else "false"},
        )

    @app.get(f"{API_PREFIX}{CALLS_PATH}/{{call_id}}", response_model=Call, tags=["calls"], responses=_ERRORS)
    async def get_call(call_id: str, account: Annotated[Account, Depends(authenticate)]) -> JSONResponse:
        """Read one call as it is now.

        Args:
            call_id: The call's id.
            account: The caller's account.

        Returns:
            The call.
        """
        return JSONResponse(service.render(service.get(account, call_id)))

    @app.get(f"{API_PREFIX}{CALLS_PATH}", response_model=ListPage[Call], tags=["calls"], responses=_ERRORS)
    async def list_calls(
        request: Request,
        account: Annotated[Account, Depends(authenticate)],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
        starting_after: str | None = None,
        agent_id: str | None = None,
        status: str | None = None,
        created_after: UTCDateTime | None = None,
        created_before: UTCDateTime | None = None,
    ) -> JSONResponse:
        """Calls newest first. Filter on metadata with `metadata[key]=value`; page with `starting_after`.

        Args:
            request: The request (its `metadata[...]` query parameters).
            account: The caller's account.
            limit: Calls per page.
            starting_after: The last call id of the previous page.
            agent_id: Only this agent's calls.
            status: Only calls with this status now.
            created_after: Only calls created at or after this moment.
            created_before: Only calls created before this moment.

        Returns:
            One page of calls.
        """
        metadata = {m.group(1): v for k, v in request.query_params.items() if (m := _METADATA_PARAM.match(k))}
        return JSONResponse(
            service.list(
                account,
                limit=limit,
                starting_after=starting_after,
                agent_id=agent_id,
                status=status,
                created_after=created_after,
                created_before=created_before,
                metadata=metadata,
            )
        )

    @app.get(f"{API_PREFIX}{AGENTS_PATH}", response_model=ListPage[Agent], tags=["agents"], responses=_ERRORS)
    async def list_agents(
        account: Annotated[Account, Depends(authenticate)],
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = MAX_PAGE_SIZE,
    ) -> dict[str, Any]:
        """The account's agents.

        Args:
            account: The caller's account.
            limit: Agents per page.

        Returns:
            One page of agents.
        """
        agents = [a.to_json() for a in account.agents]
        return {"object": "list", "data": agents[:limit], "has_more": len(agents) > limit, "next_cursor": None}

    app.add_middleware(FaultInjector, config=lambda: settings.faults, reject=send_error)
    app.add_middleware(RequestContext, max_body_bytes=settings.max_body_bytes)
    # Outermost, so it sees every request as the client sent it, rejected or not.
    app.add_middleware(RecordTraffic, log=app.state.traffic)
    return app
