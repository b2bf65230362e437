"""What the sync and async clients share: building requests, validating input, reading answers.

The two faces in `_client.py` only add I/O around these pure steps, so behaviour cannot drift apart.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pydantic
import pydantic_core

from ._config import ClientConfig
from ._constants import DEFAULT_PAGE_SIZE
from ._logging import get_logger
from ._retry import parse_retry_after
from ._transport import RawResponse, RequestSpec
from .errors import APIStatusError, InvalidRequestError, RateLimitError, ValidationError, status_error
from .models import AgentOverrides, Call, ErrorBody, ListCallsParams, ListPage, RequestInfo, WebCallRequest
from .models.json_values import unencodable_path
from .models.settings import extra_context
from .models.wire import (
    AGENTS_PATH,
    API_PREFIX,
    CALLS_PATH,
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_RULE,
    MAX_BODY_BYTES,
    REPLAYED_HEADER,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    canonical_idempotency_key,
    encode_metadata_filter,
)

log = get_logger("convoi_nb.client")

CALL_ID_PATTERN = re.compile(r"^call_[A-Za-z0-9_-]+$")
# What `agent_overrides=` accepts: a validated model, or the JSON-shaped dict the API documents.
OverridesLike = AgentOverrides | Mapping[str, Any] | None
_list_filters = pydantic.TypeAdapter(ListCallsParams)


def build_web_call(
    agent_id: str,
    *,
    participant_name: str | None = None,
    agent_overrides: OverridesLike = None,
    metadata: Mapping[str, Any] | None = None,
    allow_extra: bool = False,
) -> WebCallRequest:
    """A validated create-call body, built once: pass it to `create_web_call()` as many times as you like.

    Args:
        agent_id: the agent that answers the call (`agt_…`).
        participant_name: the caller's display name in LiveKit.
        agent_overrides: settings that replace the agent's defaults for this call (an `AgentOverrides` or its
            JSON-shaped dict).
        metadata: your own JSON values, kept with the call and filterable in `list_calls(metadata=...)`.
        allow_extra: send llm/tts/stt settings convoi_nb does not know, and model or voice names outside its
            catalog, as given (the service may know more); by default each is refused with the closest known one.

    Returns:
        The validated request.

    Raises:
        ValidationError: naming each bad field and its rule (including a body the API would refuse as too large,
            or text with no UTF-8 form); nothing is sent.

    Examples:
        >>> import convoi_nb
        >>> request = convoi_nb.build_web_call("agt_123", agent_overrides={"tts": {"speed": 0.9}}, metadata={"n": 1})
        >>> request.model_dump(mode="json", exclude_none=True)
        {'type': 'web', 'agent_id': 'agt_123', 'agent_overrides': {'tts': {'speed': 0.9}}, 'metadata': {'n': 1}}
        >>> convoi_nb.build_web_call("support-desk")
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: invalid web call request: agent_id: 'support-desk' does not match ...

        Then send it, as many times as needed:

        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> client.create_web_call(convoi_nb.build_web_call(agent.id)).agent_id == agent.id
        True
    """
    request = _validated(agent_id, participant_name, agent_overrides, metadata, allow_extra)
    encode_body(request)
    return request


def _validated(
    agent_id: str,
    participant_name: str | None,
    agent_overrides: OverridesLike,
    metadata: Mapping[str, Any] | None,
    allow_extra: bool,
) -> WebCallRequest:
    context = extra_context(allow_extra, "web call request")
    fields: dict[str, Any] = {"type": "web", "agent_id": agent_id}
    if participant_name is not None:
        fields["participant_name"] = participant_name
    if agent_overrides is not None:
        fields["agent_overrides"] = agent_overrides  # an AgentOverrides is already valid: taken as is
    if metadata is not None:
        fields["metadata"] = dict(metadata) if isinstance(metadata, Mapping) else metadata
    try:
        return WebCallRequest.model_validate(fields, context=context)
    except pydantic.ValidationError as exc:
        raise ValidationError.from_pydantic("web call request", exc, WebCallRequest) from None


def encode_body(request: WebCallRequest) -> bytes:
    """The JSON body, serialised once inside pydantic-core, or a `ValidationError` if it cannot travel.

    Args:
        request: the validated request.

    Returns:
        The UTF-8 JSON bytes.
    """
    try:
        content = request.model_dump_json().encode()
    except pydantic_core.PydanticSerializationError:
        path = unencodable_path(request.model_dump()) or "body"
        raise ValidationError.of_field(
            "web call request",
            path,
            "contains a lone surrogate character, which has no UTF-8 form "
            "(text decoded with errors='surrogateescape'?)",
        ) from None
    if len(content) > MAX_BODY_BYTES:
        raise ValidationError.of_field(
            "web call request", "body", f"encodes to {len(content)} bytes; the API accepts at most {MAX_BODY_BYTES}"
        )
    return content


def idempotency_key_for(key: str | uuid.UUID | None) -> str:
    """The caller's key (any UUID, canonicalised) or a fresh UUID4. Reused on every retry of one create.

    Args:
        key: the caller's idempotency key, or None for a fresh one.

    Returns:
        The key as sent in the `Idempotency-Key` header.
    """
    if key is None:
        return str(uuid.uuid4())
    canonical = canonical_idempotency_key(key)
    if canonical is None:
        raise ValidationError.of_field("request", "idempotency_key", f"{IDEMPOTENCY_KEY_RULE}, got {key!r}")
    return canonical


class ClientCore:
    """Pure request building and response reading; no I/O.

    Args:
        config: the client's validated settings.
    """

    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def _spec(self, method: str, path: str, *, body: WebCallRequest | None = None, **kwargs: Any) -> RequestSpec:
        spec = RequestSpec(method, f"{self.config.base_url}{API_PREFIX}{path}", headers=self.config.headers(), **kwargs)
        if body is not None:  # the body and its content type are set together, in this one place
            spec.content = encode_body(body)
            spec.headers["Content-Type"] = "application/json"
        return spec

    # -- requests ---------------------------------------------------------------------------------

    def create_web_call(
        self,
        agent_id: str | WebCallRequest,
        *,
        participant_name: str | None,
        agent_overrides: OverridesLike,
        metadata: Mapping[str, Any] | None,
        idempotency_key: str | uuid.UUID | None,
        allow_extra: bool = False,
    ) -> RequestSpec:
        """The create request, validated and encoded, with its idempotency key.

        Args:
            agent_id: the agent id, or a `WebCallRequest` built once by `build_web_call`.
            participant_name: the caller's display name in LiveKit.
            agent_overrides: settings that replace the agent's defaults for this call.
            metadata: the caller's JSON values kept with the call.
            idempotency_key: a UUID reused by every retry, or None for a fresh one.
            allow_extra: accept llm/tts/stt settings and names convoi_nb does not know (see `build_web_call`).

        Returns:
            The request to send.
        """
        if isinstance(agent_id, WebCallRequest):
            if (
                participant_name is not None
                or agent_overrides is not None
                or metadata is not None
                or allow_extra is not False
            ):
                raise ValidationError.of_field(
                    "web call request",
                    "agent_id",
                    "pass either a WebCallRequest or the fields (participant_name, agent_overrides, metadata, "
                    "allow_extra: give it to build_web_call), not both",
                )
            request = agent_id
        else:
            request = _validated(agent_id, participant_name, agent_overrides, metadata, allow_extra)  # encoded below
        spec = self._spec("POST", CALLS_PATH, body=request)
        spec.headers[IDEMPOTENCY_KEY_HEADER] = idempotency_key_for(idempotency_key)
        return spec

    def get_call(self, call_id: str) -> RequestSpec:
        """The read of one call.

        Args:
            call_id: the call's id (`call_…`).

        Returns:
            The request to send.
        """
        if not isinstance(call_id, str) or not CALL_ID_PATTERN.match(call_id):
            raise ValidationError.of_field("call id", "call_id", f"must look like 'call_…', got {call_id!r}")
        return self._spec("GET", f"{CALLS_PATH}/{quote(call_id)}")

    @staticmethod
    def list_filters(filters: Mapping[str, Any]) -> ListCallsParams:
        """`list_calls()` filters validated (times as aware datetimes), or a ValidationError naming the filter.

        Args:
            filters: the keyword arguments of `list_calls()`.

        Returns:
            The filters, validated.
        """
        try:
            valid: ListCallsParams = _list_filters.validate_python(
                {k: v for k, v in filters.items() if v is not None and v != ""}
            )
        except pydantic.ValidationError as exc:
            raise ValidationError.from_pydantic("list filter", exc) from None
        after, before = valid.get("created_after"), valid.get("created_before")
        if after is not None and before is not None and after > before:
            raise ValidationError.of_field(
                "list filter", "created_after", f"must not be later than created_before ({after} > {before})"
            )
        return valid

    def list_calls(self, filters: Mapping[str, Any]) -> RequestSpec:
        """The first page of a call listing.

        Args:
            filters: the keyword arguments of `list_calls()`.

        Returns:
            The request to send.
        """
        valid = self.list_filters(filters)
        after, before = valid.get("created_after"), valid.get("created_before")
        params: dict[str, Any] = {"limit": valid.get("page_size", DEFAULT_PAGE_SIZE)}
        for name in ("agent_id", "status"):
            if name in valid:
                params[name] = valid[name]
        for name, stamp in (("created_after", after), ("created_before", before)):
            if stamp is not None:
                params[name] = stamp.isoformat()
        for key, value in valid.get("metadata", {}).items():
            params[f"metadata[{key}]"] = encode_metadata_filter(value)
        return self._spec("GET", CALLS_PATH, params=params)

    def list_agents(self) -> RequestSpec:
        """The first page of the agent listing.

        Returns:
            The request to send.
        """
        return self._spec("GET", AGENTS_PATH, params={"limit": DEFAULT_PAGE_SIZE})

    @staticmethod
    def next_page(spec: RequestSpec, cursor: str) -> RequestSpec:
        """The request for the page after `cursor`.

        Args:
            spec: the request of the page just read.
            cursor: the last id on that page.

        Returns:
            The request to send.
        """
        return RequestSpec(
            spec.method, spec.url, headers=spec.headers, params={**(spec.params or {}), "starting_after": cursor}
        )

    # -- responses --------------------------------------------------------------------------------

    def check(self, raw: RawResponse, spec: RequestSpec, attempt: int) -> RawResponse:
        """Log the answer and pass a success through (parsed later, straight from its bytes).

        Args:
            raw: the answer.
            spec: the request it answers.
            attempt: the attempt's number, for the log line.

        Returns:
            `raw`, when its status is a success.

        Raises:
            APIStatusError: the subclass for an error status, with the server's message, code and request id.
        """
        request_id = raw.headers.get(REQUEST_ID_HEADER)
        log.info(
            "%s %s -> %d (attempt %d, %.1f ms, request_id=%s)",
            spec.method,
            spec.url,
            raw.status_code,
            attempt,
            raw.elapsed * 1000,
            request_id,
        )
        if raw.status_code < 400:
            return raw
        try:
            data = json.loads(raw.content) if raw.content else None
        except ValueError:
            data = None
        raise self._error(raw, data, request_id)

    @staticmethod
    def _error(raw: RawResponse, data: Any, request_id: str | None) -> APIStatusError:
        try:
            detail = ErrorBody.model_validate(data).error
        except pydantic.ValidationError:
            text = raw.content[:200].decode("utf-8", "replace") or "no error body"
            return status_error(raw.status_code, "")(
                text, status_code=raw.status_code, request_id=request_id, body=data
            )
        kind = status_error(raw.status_code, detail.code)
        kwargs: dict[str, Any] = dict(
            status_code=raw.status_code,
            code=detail.code,
            param=detail.param,
            request_id=request_id or detail.request_id,
            body=data,
        )
        if issubclass(kind, InvalidRequestError):
            kwargs["errors"] = detail.errors or []
        if issubclass(kind, RateLimitError):
            kwargs["retry_after"] = parse_retry_after(raw.headers.get(RETRY_AFTER_HEADER))
        return kind(detail.message, **kwargs)

    @staticmethod
    def _parse(model: Any, raw: RawResponse) -> Any:
        try:
            return model.model_validate_json(raw.content)
        except pydantic.ValidationError as exc:
            raise APIStatusError(
                f"unexpected response body ({exc.error_count()} problems, first: {exc.errors()[0]['msg']})",
                status_code=raw.status_code,
                request_id=raw.headers.get(REQUEST_ID_HEADER),
                body=raw.content[:200],
            ) from None

    @classmethod
    def parse_call(cls, raw: RawResponse, spec: RequestSpec, attempts: int) -> Call:
        """The call in a success answer, with what the request took (`call.request_info`).

        Args:
            raw: the answer.
            spec: the request it answers.
            attempts: how many attempts the request took.

        Returns:
            The call.
        """
        call: Call = cls._parse(Call, raw)
        call._request_info = RequestInfo(
            request_id=raw.headers.get(REQUEST_ID_HEADER),
            idempotency_key=spec.headers.get(IDEMPOTENCY_KEY_HEADER),
            attempts=attempts,
            elapsed_seconds=raw.elapsed,
            replayed=raw.headers.get(REPLAYED_HEADER, "").lower() == "true",
        )
        return call

    @classmethod
    def parse_page(cls, raw: RawResponse, item: type) -> ListPage[Any]:
        """One page of a listing.

        Args:
            raw: the answer.
            item: the model of each entry (`Call` or `Agent`).

        Returns:
            The page.
        """
        model: Any = ListPage[item]  # type: ignore[valid-type]  # the entry model is chosen at run time
        page: ListPage[Any] = cls._parse(model, raw)
        return page


__all__ = ["ClientCore", "OverridesLike", "build_web_call", "idempotency_key_for"]
