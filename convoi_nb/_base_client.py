"""What the sync and async clients share: building requests, validating input, reading answers.

The two faces in `_client.py` only add I/O around these pure steps, so behaviour cannot drift apart.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime
from typing import Any, Mapping, Optional, Union
from urllib.parse import quote

import pydantic
import tenacity

from ._config import API_PREFIX, ClientConfig
from ._logging import get_logger
from ._retry import parse_retry_after
from ._transport import RawResponse, RequestSpec
from .errors import APIStatusError, InvalidRequestError, RateLimitError, ValidationError, status_error
from .models import (
    Agent,
    AgentOverrides,
    Call,
    ErrorBody,
    FieldError,
    ListPage,
    RequestInfo,
    WebCallRequest,
    field_errors,
)

log = get_logger("convoi_nb.client")

CALL_ID_PATTERN = re.compile(r"^call_[A-Za-z0-9_-]+$")
REQUEST_ID_HEADER = "x-request-id"
REPLAYED_HEADER = "idempotent-replayed"
DEFAULT_PAGE_SIZE = 100

OverridesInput = Union[AgentOverrides, Mapping[str, Any], None]


def _invalid(what: str, loc: str, msg: str) -> ValidationError:
    return ValidationError(what, [FieldError(loc=loc, msg=msg, type="value_error")])


def normalize_idempotency_key(key: Union[str, uuid.UUID, None]) -> str:
    """The caller's key (any UUID) or a fresh UUID4. Reused on every retry of one create."""
    if key is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(key)))
    except ValueError:
        raise _invalid("request", "idempotency_key", f"must be a UUID, got {key!r}") from None


def _iso(value: Union[datetime, str, None], name: str) -> Optional[str]:
    if value is None or isinstance(value, str) and not value:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid("filter", name, f"must be an ISO 8601 datetime, got {value!r}") from None
    if value.tzinfo is None:
        raise _invalid("filter", name, "must be timezone-aware (naive datetimes are ambiguous)")
    return value.isoformat()


class ClientCore:
    """Pure request building and response reading; no I/O."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config
        self._retry_kwargs = config.retry.tenacity_kwargs()  # stop/retry/wait objects are stateless

    def _spec(self, method: str, path: str, *, body: Optional[pydantic.BaseModel] = None, **kwargs: Any) -> RequestSpec:
        spec = RequestSpec(method, f"{self.config.base_url}{API_PREFIX}{path}", headers=self.config.headers(), **kwargs)
        if body is not None:  # the body and its content type are set together, in this one place
            spec.content = body.model_dump_json().encode()
            spec.headers["Content-Type"] = "application/json"
        return spec

    def retrying_kwargs(self, spec: RequestSpec) -> dict[str, Any]:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning("%s %s attempt %d failed (%s); retrying in %.2fs",
                        spec.method, spec.url, state.attempt_number, exc, wait)

        return {**self._retry_kwargs, "before_sleep": before_sleep}

    # -- requests ---------------------------------------------------------------------------------

    def create_web_call(
        self,
        agent_id: str,
        *,
        participant_name: Optional[str],
        agent_overrides: OverridesInput,
        metadata: Optional[Mapping[str, Any]],
        idempotency_key: Union[str, uuid.UUID, None],
    ) -> RequestSpec:
        fields: dict[str, Any] = {"type": "web", "agent_id": agent_id}
        if participant_name is not None:
            fields["participant_name"] = participant_name
        if agent_overrides is not None:
            fields["agent_overrides"] = agent_overrides  # an AgentOverrides is already valid: taken as is
        if metadata is not None:
            fields["metadata"] = dict(metadata) if isinstance(metadata, Mapping) else metadata
        try:
            request = WebCallRequest.model_validate(fields)
        except pydantic.ValidationError as exc:
            raise ValidationError("web call request", field_errors(exc.errors(), WebCallRequest)) from None
        spec = self._spec("POST", "/calls", body=request)
        spec.headers["Idempotency-Key"] = normalize_idempotency_key(idempotency_key)
        return spec

    def get_call(self, call_id: str) -> RequestSpec:
        if not isinstance(call_id, str) or not CALL_ID_PATTERN.match(call_id):
            raise _invalid("call id", "call_id", f"must look like 'call_…', got {call_id!r}")
        return self._spec("GET", f"/calls/{quote(call_id)}")

    def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        created_after: Union[datetime, str, None] = None,
        created_before: Union[datetime, str, None] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> RequestSpec:
        if not isinstance(page_size, int) or not 1 <= page_size <= 100:
            raise _invalid("filter", "page_size", f"must be an integer from 1 to 100, got {page_size!r}")
        params: dict[str, Any] = {"limit": page_size}
        for name, value in (("agent_id", agent_id), ("status", status)):
            if value is not None:
                params[name] = value
        for name, value in (("created_after", created_after), ("created_before", created_before)):
            stamp = _iso(value, name)
            if stamp:
                params[name] = stamp
        for key, value in (metadata or {}).items():
            params[f"metadata[{key}]"] = json.dumps(value) if not isinstance(value, str) else value
        return self._spec("GET", "/calls", params=params)

    def list_agents(self) -> RequestSpec:
        return self._spec("GET", "/agents", params={"limit": DEFAULT_PAGE_SIZE})

    @staticmethod
    def next_page(spec: RequestSpec, cursor: str) -> RequestSpec:
        return RequestSpec(spec.method, spec.url, headers=spec.headers, params={**(spec.params or {}), "starting_after": cursor})

    # -- responses --------------------------------------------------------------------------------

    def check(self, raw: RawResponse, spec: RequestSpec, attempt: int) -> bytes:
        """The body of a success (parsed later, straight from bytes), or the typed exception for an error."""
        request_id = raw.headers.get(REQUEST_ID_HEADER)
        log.info("%s %s -> %d (attempt %d, %.1f ms, request_id=%s)",
                 spec.method, spec.url, raw.status_code, attempt, raw.elapsed * 1000, request_id)
        if raw.status_code < 400:
            return raw.content
        try:
            data = json.loads(raw.content) if raw.content else None
        except ValueError:
            data = None
        raise self._error(raw, data, request_id)

    @staticmethod
    def _error(raw: RawResponse, data: Any, request_id: Optional[str]) -> APIStatusError:
        try:
            detail = ErrorBody.model_validate(data).error
        except pydantic.ValidationError:
            text = raw.content[:200].decode("utf-8", "replace") or "no error body"
            return status_error(raw.status_code, "")(text, status_code=raw.status_code, request_id=request_id, body=data)
        kind = status_error(raw.status_code, detail.code)
        kwargs: dict[str, Any] = dict(status_code=raw.status_code, code=detail.code, param=detail.param,
                                      request_id=request_id or detail.request_id, body=data)
        if issubclass(kind, InvalidRequestError):
            kwargs["errors"] = detail.errors or []
        if issubclass(kind, RateLimitError):
            kwargs["retry_after"] = parse_retry_after(raw.headers.get("retry-after"))
        return kind(detail.message, **kwargs)

    @staticmethod
    def _parse(model: Any, content: bytes, raw: RawResponse) -> Any:
        try:
            return model.model_validate_json(content)
        except pydantic.ValidationError as exc:
            raise APIStatusError(
                f"unexpected response body ({exc.error_count()} problems, first: {exc.errors()[0]['msg']})",
                status_code=raw.status_code, request_id=raw.headers.get(REQUEST_ID_HEADER), body=content[:200],
            ) from None

    @classmethod
    def call(cls, content: bytes, raw: RawResponse, spec: RequestSpec, attempts: int) -> Call:
        call: Call = cls._parse(Call, content, raw)
        call._request_info = RequestInfo(
            request_id=raw.headers.get(REQUEST_ID_HEADER),
            idempotency_key=spec.headers.get("Idempotency-Key"),
            attempts=attempts,
            elapsed_seconds=raw.elapsed,
            replayed=raw.headers.get(REPLAYED_HEADER, "").lower() == "true",
        )
        return call

    @classmethod
    def page(cls, content: bytes, raw: RawResponse, item: type) -> ListPage:
        return cls._parse(ListPage[item], content, raw)  # type: ignore[valid-type]


__all__ = ["Agent", "ClientCore", "OverridesInput"]
