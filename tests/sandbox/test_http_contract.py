"""Raw HTTP against the sandbox: every malformed request gets a 4xx in the one documented error shape."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY, OTHER_ACCOUNT

CALLS = "/api/v1/public/calls"
AGENT = DEFAULT_ACCOUNT.agents[0].id
AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
JSON = {**AUTH, "Content-Type": "application/json"}


TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
}


def body(**fields: Any) -> bytes:
    return json.dumps({"type": "web", "agent_id": AGENT, **fields}).encode()


def overrides(**fields: Any) -> bytes:
    return body(agent_overrides=fields)


# (name, method, path, headers, raw body, expected status)
CASES: list[tuple[str, str, str, dict, bytes | None, int]] = [
    ("no auth header", "POST", CALLS, {"Content-Type": "application/json"}, body(), 401),
    ("wrong key", "POST", CALLS, {"Authorization": "Bearer sk_wrong", "Content-Type": "application/json"}, body(), 401),
    ("basic scheme", "POST", CALLS, {"Authorization": "Basic dXNlcjpwYXNz"}, body(), 401),
    ("bearer without key", "POST", CALLS, {"Authorization": "Bearer"}, body(), 401),
    ("list without auth", "GET", CALLS, {}, None, 401),
    ("agents without auth", "GET", "/api/v1/public/agents", {}, None, 401),
    ("bad json", "POST", CALLS, JSON, b"{bad", 400),
    ("truncated json", "POST", CALLS, JSON, b'{"type": "web", "agent_id": ', 400),
    ("invalid utf-8", "POST", CALLS, JSON, b'{"type": "\xff\xfe"}', 400),
    ("NUL byte", "POST", CALLS, JSON, b'{"type": "web\x00"}', 400),
    ("nested 5000 deep", "POST", CALLS, JSON, b'{"metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
    ("lone surrogate", "POST", CALLS, JSON, body(metadata={"a": "\ud800"}), 422),
    ("empty body", "POST", CALLS, JSON, b"", 422),
    ("null body", "POST", CALLS, JSON, b"null", 422),
    ("array body", "POST", CALLS, JSON, b"[]", 422),
    ("string body", "POST", CALLS, JSON, b'"web"', 422),
    ("number body", "POST", CALLS, JSON, b"123", 422),
    ("text/plain body", "POST", CALLS, {**AUTH, "Content-Type": "text/plain"}, b"type=web", 415),
    (
        "form-encoded body",
        "POST",
        CALLS,
        {**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
        b"type=web&agent_id=" + AGENT.encode(),
        415,
    ),
    ("no content type", "POST", CALLS, AUTH, body(), 415),
    ("form body without auth", "POST", CALLS, {"Content-Type": "application/x-www-form-urlencoded"}, b"type=web", 401),
    ("json with charset", "POST", CALLS, {**AUTH, "Content-Type": "application/json; charset=utf-8"}, b"[]", 422),
    ("missing type", "POST", CALLS, JSON, json.dumps({"agent_id": AGENT}).encode(), 422),
    ("phone type", "POST", CALLS, JSON, body(type="phone"), 422),
    ("null type", "POST", CALLS, JSON, body(type=None), 422),
    ("numeric type", "POST", CALLS, JSON, body(type=1), 422),
    ("missing agent_id", "POST", CALLS, JSON, json.dumps({"type": "web"}).encode(), 422),
    ("empty agent_id", "POST", CALLS, JSON, body(agent_id=""), 422),
    ("numeric agent_id", "POST", CALLS, JSON, body(agent_id=5), 422),
    ("list agent_id", "POST", CALLS, JSON, body(agent_id=[AGENT]), 422),
    ("unknown agent", "POST", CALLS, JSON, body(agent_id="agt_" + "e" * 32), 404),
    ("other account's agent", "POST", CALLS, JSON, body(agent_id=OTHER_ACCOUNT.agents[0].id), 404),
    ("unknown top-level field", "POST", CALLS, JSON, body(priority="high"), 422),
    ("numeric participant_name", "POST", CALLS, JSON, body(participant_name=5), 422),
    ("empty participant_name", "POST", CALLS, JSON, body(participant_name=""), 422),
    ("long participant_name", "POST", CALLS, JSON, body(participant_name="x" * 200), 422),
    ("overrides as list", "POST", CALLS, JSON, body(agent_overrides=["llm"]), 422),
    ("unknown override key", "POST", CALLS, JSON, overrides(voice="rachel"), 422),
    ("llm as string", "POST", CALLS, JSON, overrides(llm="gpt-4o"), 422),
    ("temperature 3", "POST", CALLS, JSON, overrides(llm={"temperature": 3}), 422),
    ("temperature huge", "POST", CALLS, JSON, overrides(llm={"temperature": 1e308}), 422),
    (
        "temperature bigint",
        "POST",
        CALLS,
        JSON,
        b'{"type":"web","agent_id":"%s","agent_overrides":{"llm":{"temperature":%s}}}' % (AGENT.encode(), b"9" * 400),
        422,
    ),
    ("temperature string", "POST", CALLS, JSON, overrides(llm={"temperature": "hot"}), 422),
    ("speed zero", "POST", CALLS, JSON, overrides(tts={"speed": 0}), 422),
    ("speed negative", "POST", CALLS, JSON, overrides(tts={"speed": -1}), 422),
    ("speed string", "POST", CALLS, JSON, overrides(tts={"speed": "fast"}), 422),
    ("voice_id number", "POST", CALLS, JSON, overrides(tts={"voice_id": 1}), 422),
    ("stt language number", "POST", CALLS, JSON, overrides(stt={"language": 1}), 422),
    ("kb ids not a list", "POST", CALLS, JSON, overrides(knowledge_base_ids="kb_1"), 422),
    ("kb id too short", "POST", CALLS, JSON, overrides(knowledge_base_ids=["kb_123"]), 422),
    ("kb id uppercase", "POST", CALLS, JSON, overrides(knowledge_base_ids=["kb_" + "A" * 32]), 422),
    ("first_message number", "POST", CALLS, JSON, overrides(first_message=1), 422),
    ("system_prompt object", "POST", CALLS, JSON, overrides(system_prompt={}), 422),
    ("metadata list", "POST", CALLS, JSON, body(metadata=["a"]), 422),
    ("metadata nested", "POST", CALLS, JSON, body(metadata={"a": {"b": 1}}), 422),
    ("metadata array value", "POST", CALLS, JSON, body(metadata={"a": [1]}), 422),
    ("metadata 51 keys", "POST", CALLS, JSON, body(metadata={f"k{i}": i for i in range(51)}), 422),
    ("metadata long value", "POST", CALLS, JSON, body(metadata={"a": "x" * 1001}), 422),
    ("metadata over 64 KiB", "POST", CALLS, JSON, body(metadata={"a": "x" * 70000}), 413),
    ("lying content-length", "POST", CALLS, {**JSON, "Content-Length": "999999999"}, body(), 413),
    ("idempotency key too long", "POST", CALLS, {**JSON, "Idempotency-Key": "k" * 300}, body(), 400),
    ("idempotency key not a UUID", "POST", CALLS, {**JSON, "Idempotency-Key": "retry-1"}, body(), 400),
    ("unknown call", "GET", f"{CALLS}/call_doesnotexist", AUTH, None, 404),
    ("limit zero", "GET", f"{CALLS}?limit=0", AUTH, None, 422),
    ("limit too big", "GET", f"{CALLS}?limit=1000", AUTH, None, 422),
    ("limit not a number", "GET", f"{CALLS}?limit=abc", AUTH, None, 422),
    ("bad created_after", "GET", f"{CALLS}?created_after=yesterday", AUTH, None, 422),
    ("unknown cursor", "GET", f"{CALLS}?starting_after=call_nope", AUTH, None, 400),
    ("agents limit zero", "GET", "/api/v1/public/agents?limit=0", AUTH, None, 422),
    ("unknown route", "GET", "/api/v1/public/nothing", AUTH, None, 404),
    ("delete calls", "DELETE", CALLS, AUTH, None, 405),
    ("post agents", "POST", "/api/v1/public/agents", JSON, b"{}", 405),
]


@pytest.mark.parametrize(("name", "method", "path", "headers", "content", "status"), CASES, ids=[c[0] for c in CASES])
def test_malformed_request_gets_documented_4xx(
    sandbox: Any, name: str, method: str, path: str, headers: dict, content: bytes | None, status: int
) -> None:
    if name == "lying content-length":
        response = _raw_http(sandbox, method, path, headers, content or b"")
    else:
        response = httpx.request(method, sandbox.url + path, headers=headers, content=content)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "code", "message", "param", "request_id", "errors"}  # always every key
    assert error["request_id"] == response.headers["x-request-id"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["type"] == TYPES[status]
    if status in (401, 405, 413) or name == "unknown route":
        assert error["param"] is None and error["errors"] == []
    if status == 422:
        assert error["errors"] and error["param"] == error["errors"][0]["loc"]
    if status == 415:  # never the raw body echoed back, and the header named
        assert error["code"] == "unsupported_media_type" and error["param"] == "Content-Type"
        assert "application/json" in error["message"] and "type=web" not in response.text
    if status == 400 and method == "POST" and name not in ("idempotency key too long", "idempotency key not a UUID"):
        assert error["code"] == "invalid_json", error


def _raw_http(sandbox: Any, method: str, path: str, headers: dict, content: bytes) -> httpx.Response:
    """httpx corrects Content-Length; send the lie over a plain socket."""
    import socket

    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    with socket.create_connection((sandbox.host, sandbox.port), timeout=5) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{head}\r\n".encode() + content)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_bytes, _, payload = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode().split("\r\n")
    status = int(lines[0].split()[1])
    parsed = dict(line.split(": ", 1) for line in lines[1:])
    return httpx.Response(status, headers=parsed, content=payload)


def test_validation_errors_list_each_field(sandbox: Any) -> None:
    response = httpx.post(
        sandbox.url + CALLS, headers=JSON, content=overrides(llm={"temperature": 9}, tts={"speed": 0}, voice="x")
    )
    error = response.json()["error"]
    locs = {e["loc"] for e in error["errors"]}
    assert locs == {"agent_overrides.llm.temperature", "agent_overrides.tts.speed", "agent_overrides.voice"}
    assert error["param"] in locs and "less than or equal to 2" in error["message"]


def test_healthz_and_openapi(sandbox: Any) -> None:
    assert httpx.get(sandbox.url + "/healthz").json()["status"] == "ok"
    spec = httpx.get(sandbox.url + "/openapi.json").json()
    post = spec["paths"][CALLS]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/WebCallRequest")
    assert {"201", "200", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    assert {f"{CALLS}/{{call_id}}", "/api/v1/public/agents"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert set(schemas["AgentOverrides"]["properties"]) == {
        "first_message",
        "system_prompt",
        "llm",
        "tts",
        "stt",
        "knowledge_base_ids",
    }
    assert schemas["AgentOverrides"].get("additionalProperties") is False
    assert {"livekit", "cost", "duration_seconds", "room_id"} <= set(schemas["Call"]["properties"])
    assert "bearer" in json.dumps(spec["components"]["securitySchemes"]).lower()


def test_replay_status_and_header(sandbox: Any) -> None:
    headers = {**JSON, "Idempotency-Key": "4b0d1f4c-2b53-4d3f-9b2a-1c1d1e1f1a1b"}
    first = httpx.post(sandbox.url + CALLS, headers=headers, content=body(metadata={"r": 1}))
    # Same body with keys reordered and other whitespace: still the same request.
    same = json.dumps({"metadata": {"r": 1}, "agent_id": AGENT, "type": "web"}, indent=2).encode()
    second = httpx.post(sandbox.url + CALLS, headers=headers, content=same)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.headers["idempotent-replayed"] == "false" and second.headers["idempotent-replayed"] == "true"
    assert first.json()["id"] == second.json()["id"]
