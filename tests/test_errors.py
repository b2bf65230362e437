"""The exception tree: drawn exactly in its docstring, error statuses mapped onto it, every error pickled intact."""

from __future__ import annotations

import concurrent.futures
import copy
import importlib
import multiprocessing
import pickle
import pkgutil
import re
import socket
import sqlite3

import httpx
import pytest

import convoi_nb
from convoi_nb import errors
from convoi_nb.errors import status_error


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_json", errors.InvalidRequestError),
        (401, "invalid_api_key", errors.AuthenticationError),
        (403, "forbidden", errors.PermissionDeniedError),
        (404, "call_not_found", errors.NotFoundError),
        (409, "idempotency_conflict", errors.IdempotencyConflictError),
        (409, "idempotency_key_in_use", errors.ConflictError),
        (413, "body_too_large", errors.InvalidRequestError),
        (415, "unsupported_media_type", errors.InvalidRequestError),
        (422, "invalid_request", errors.InvalidRequestError),
        (429, "rate_limited", errors.RateLimitError),
        (500, "", errors.ServerError),
        (503, "injected_fault", errors.ServerError),
        (418, "teapot", errors.APIStatusError),
    ],
)
def test_status_maps_to_class(status: int, code: str, kind: type) -> None:
    assert status_error(status, code) is kind


TREE_LINE = re.compile(
    r"^(?P<indent>(?:│   |    )*)(?:(?:├|└)── )?(?P<name>\w+)(?: \((?P<builtins>[\w, ]+)\))?(?:\s{2,}(?P<about>.+))?$"
)


def drawn_tree() -> dict[str, tuple[str | None, tuple[str, ...], str]]:
    """The tree drawn in `convoi_nb.errors`' docstring: name -> (drawn parent, built-in bases, description)."""
    doc = errors.__doc__ or ""
    block = doc.split("```")[1].strip("\n").splitlines()
    drawn: dict[str, tuple[str | None, tuple[str, ...], str]] = {}
    stack: list[str] = []
    for line in block:
        match = TREE_LINE.match(line)
        assert match, f"cannot read tree line {line!r}"
        depth = len(match["indent"]) // 4 + (0 if line[0].isalpha() else 1)
        del stack[depth:]
        assert match["name"] not in drawn, f"{match['name']} is drawn twice"
        builtins = tuple(b.strip() for b in match["builtins"].split(",")) if match["builtins"] else ()
        drawn[match["name"]] = (stack[-1] if stack else None, builtins, match["about"] or "")
        stack.append(match["name"])
    return drawn


def every_convoi_error() -> set[type[errors.ConvoiError]]:
    """Every `ConvoiError` subclass anywhere in the package (each module imported first)."""
    for module in pkgutil.walk_packages(convoi_nb.__path__, "convoi_nb."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: set[type[errors.ConvoiError]] = set()
    todo: list[type[errors.ConvoiError]] = [errors.ConvoiError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return found


def test_the_drawn_tree_is_the_class_hierarchy() -> None:
    drawn = drawn_tree()
    classes = {cls.__name__: cls for cls in every_convoi_error()}
    assert set(drawn) == set(classes), "the docstring must draw every ConvoiError subclass, and nothing else"
    exported = {n for n in errors.__all__ if isinstance(getattr(errors, n), type)}
    assert exported == set(classes), "convoi_nb.errors exports every error class"
    assert {n for n in convoi_nb.__all__ if n in classes} == set(classes), "and so does convoi_nb"
    for name, (parent, builtins, about) in drawn.items():
        cls = classes[name]
        ours = [base.__name__ for base in cls.__bases__ if issubclass(base, errors.ConvoiError)]
        assert ours == ([parent] if parent else []), f"{name} is drawn under {parent}, but subclasses {ours}"
        others = tuple(base.__name__ for base in cls.__bases__ if not issubclass(base, errors.ConvoiError))
        assert others == (builtins or (("Exception",) if parent is None else ())), f"{name}: built-in bases"
        assert about or name == "ConvoiError", f"{name} needs a description"
        assert cls.__doc__, f"{name} needs a docstring"
        assert cls.__module__ == "convoi_nb.errors", f"{name} reports its public home"


def test_input_errors_are_value_errors_and_timeouts_are_timeout_errors() -> None:
    for cls in (errors.ConfigurationError, errors.ValidationError, errors.ExperimentError, errors.MixedCurrencyError):
        assert issubclass(cls, ValueError)
    for cls in (errors.WaitTimeoutError, errors.APITimeoutError):
        assert issubclass(cls, TimeoutError)
    assert issubclass(errors.SandboxError, RuntimeError)


def test_status_error_message_carries_everything() -> None:
    exc = errors.RateLimitError("slow down", status_code=429, code="rate_limited", request_id="req_1", retry_after=2)
    assert str(exc) == "HTTP 429 rate_limited: slow down, request_id=req_1"
    assert exc.retry_after == 2 and exc.message == "slow down"


def _examples() -> list[errors.ConvoiError]:
    """One instance of every error class, built the way the package builds it, with every attribute set."""
    field = errors.FieldError(loc="agent_overrides.llm.temperature", msg="must be <= 2", type="less_than_equal")
    status = {"status_code": 500, "code": "boom", "param": "agent_id", "request_id": "req_1", "body": {"a": 1}}
    built: list[errors.ConvoiError] = [
        errors.ConfigurationError("CONVOI_BASE_URL is missing"),
        errors.ValidationError("web call", [field]),
        errors.MixedCurrencyError("USD and EUR"),
        errors.ExperimentError("variant changed"),
        errors.DatasetError("manifest damaged"),
        errors.WaitTimeoutError("2 calls still running"),
        errors.SandboxError("did not start"),
        errors.APIError("wire"),
        errors.APIConnectionError("refused", method="POST", url="http://127.0.0.1:1/api"),
        errors.APITimeoutError("timed out", method="GET", url="http://127.0.0.1:1/api"),
        errors.APIStatusError("boom", **status),
        errors.InvalidRequestError("bad", errors=[field], **{**status, "status_code": 422}),
        errors.AuthenticationError("no key", **{**status, "status_code": 401}),
        errors.PermissionDeniedError("no", **{**status, "status_code": 403}),
        errors.NotFoundError("gone", **{**status, "status_code": 404}),
        errors.ConflictError("conflict", **{**status, "status_code": 409}),
        errors.IdempotencyConflictError("other body", **{**status, "status_code": 409}),
        errors.RateLimitError("slow down", retry_after=1.5, **{**status, "status_code": 429}),
        errors.ServerError("boom", **{**status, "status_code": 503}),
    ]
    return built


def test_every_error_class_has_an_example() -> None:
    classes = {getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)}
    assert classes == {type(e) for e in _examples()} | {errors.ConvoiError}


def same_error(copy: BaseException, error: BaseException) -> None:
    """Equal as errors: same class, args, message and attributes."""
    assert type(copy) is type(error)
    assert copy.args == error.args and str(copy) == str(error)
    assert vars(copy) == vars(error)


@pytest.mark.parametrize("error", _examples(), ids=lambda e: type(e).__name__)
def test_every_error_pickles_to_an_equal_error(error: errors.ConvoiError) -> None:
    same_error(pickle.loads(pickle.dumps(error)), error)
    same_error(copy.copy(error), error)
    same_error(copy.deepcopy(error), error)


def test_field_errors_and_notes_survive_pickling() -> None:
    field = errors.FieldError(loc="metadata.note", msg="longer than 1000 characters", type="value_error")
    error = errors.ValidationError("web call request", [field])
    error.add_note("while creating replicate 3")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.errors == [field] and isinstance(copy.errors[0], errors.FieldError)
    assert copy.__notes__ == ["while creating replicate 3"]


def test_the_cause_is_not_pickled_so_an_unpicklable_cause_cannot_break_the_copy() -> None:
    # A cause can be a library error holding a database handle or a socket; a pickled cause would turn a clear
    # error into a TypeError ("cannot pickle ...") in the parent process.
    database, connection = sqlite3.connect(":memory:"), socket.socket()
    for cause in (sqlite3.OperationalError(database), ConnectionResetError(connection)):
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(cause)
        error = errors.APIConnectionError("reset", method="GET", url="http://127.0.0.1:9/api")
        error.__cause__ = cause
        copy = pickle.loads(pickle.dumps(error))
        same_error(copy, error)
        assert copy.__cause__ is None and copy.__context__ is None and copy.__traceback__ is None
    database.close()
    connection.close()


def _raise_rate_limited() -> None:
    """Run in a worker process: an error with keyword-only arguments and a cause."""
    try:
        raise httpx.ReadTimeout("read timed out")
    except httpx.ReadTimeout as exc:
        raise errors.RateLimitError(
            "slow down", status_code=429, code="rate_limited", request_id="req_9", retry_after=1.5
        ) from exc


def test_an_error_raised_in_a_worker_process_reaches_the_parent_intact() -> None:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        future = pool.submit(_raise_rate_limited)
        with pytest.raises(errors.RateLimitError) as info:
            future.result(timeout=120)
    assert info.value.retry_after == 1.5 and info.value.status_code == 429 and info.value.request_id == "req_9"
    # the pool attaches the worker's traceback, chained cause included, as text
    assert "ReadTimeout: read timed out" in str(info.value.__cause__)
