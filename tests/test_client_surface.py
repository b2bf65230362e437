"""The client's surface is what its class bodies say: no method attached from outside, both faces alike, and
`import convoi_nb` light (the heavy libraries load on first use)."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import AsyncConvoiClient, Call, ConvoiClient
from convoi_nb._client import _ClientBase

from .models.test_responses import EXAMPLE

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("duckdb", "pyarrow", "matplotlib", "scipy", "statsmodels")
# The one pair of names that differ by design: closing (either face makes a client of either kind).
COUNTERPARTS = {"close": "aclose"}


def public_names(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def defining_class(cls: type, name: str) -> type:
    return next(klass for klass in cls.__mro__ if name in vars(klass))


@pytest.mark.parametrize("face", [ConvoiClient, AsyncConvoiClient])
def test_every_public_attribute_is_defined_in_a_client_class_body(face: type) -> None:
    for name in public_names(face):
        owner = defining_class(face, name)
        assert owner in (face, _ClientBase), f"{name} comes from {owner}"
        attr = vars(owner)[name]
        function = attr.fget if isinstance(attr, property) else attr
        # A function attached from another module keeps that module and its own qualified name.
        assert function.__module__ == "convoi_nb._client", (name, function.__module__)
        assert function.__qualname__ == f"{owner.__name__}.{name}", (name, function.__qualname__)


def test_the_delegating_methods_are_in_each_face_itself() -> None:
    for face in (ConvoiClient, AsyncConvoiClient):
        for name in ("create_web_call", "get_call", "list_calls", "list_agents", "calls_frame", "export_calls"):
            assert name in vars(face), (face.__name__, name)


def test_both_faces_offer_the_same_names() -> None:
    sync, async_ = public_names(ConvoiClient), public_names(AsyncConvoiClient)
    assert {COUNTERPARTS.get(name, name) for name in sync} == async_
    for name in sync - set(COUNTERPARTS):
        if inspect.isfunction(getattr(ConvoiClient, name)):
            s, a = inspect.signature(getattr(ConvoiClient, name)), inspect.signature(getattr(AsyncConvoiClient, name))
            assert list(s.parameters) == list(a.parameters), name


def test_both_constructors_take_the_same_arguments() -> None:
    assert list(inspect.signature(ConvoiClient).parameters) == list(inspect.signature(AsyncConvoiClient).parameters)


def test_nothing_is_attached_to_the_call_model() -> None:
    for name, value in vars(Call).items():
        module = getattr(value, "__module__", None)
        if callable(value) and module is not None:
            assert module.startswith(("convoi_nb.models", "pydantic")), (name, module)
    assert "_repr_html_" not in vars(Call)


def loaded_after(code: str) -> dict[str, Any]:
    probe = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    return {"modules": set(json.loads(probe.stdout.splitlines()[-1]))}


def test_import_loads_no_heavy_library() -> None:
    modules = loaded_after("import convoi_nb")["modules"]
    assert "convoi_nb._client" in modules  # the probe imported the package
    assert [name for name in HEAVY if name in modules] == []
    # nor what only some uses need: aiohttp (async clients), tenacity (the first request), pandas (frames)
    assert [name for name in ("aiohttp", "tenacity", "pandas") if name in modules] == []


def test_the_lazy_names_load_on_first_use() -> None:
    code = "import convoi_nb\nconvoi_nb.calls_to_frame\nconvoi_nb.review.Review"
    modules = loaded_after(code)["modules"]
    assert {"pandas", "duckdb", "convoi_nb.frames", "convoi_nb.review.queries"} <= modules
    import convoi_nb

    assert "calls_to_frame" in dir(convoi_nb) and "review" in dir(convoi_nb)
    with pytest.raises(AttributeError):
        convoi_nb.no_such_name  # noqa: B018


def test_calls_frame_and_export_work_without_an_attach(api: Any, agent_id: str, tmp_path: Path) -> None:
    api.create_web_call(agent_id, metadata={"surface": "yes"})
    frame = api.calls_frame(metadata={"surface": "yes"})
    assert len(frame) >= 1 and frame["metadata.surface"].iloc[0] == "yes"
    summary = api.export_calls(tmp_path / "calls", metadata={"surface": "yes"})
    assert summary.total_calls == len(frame)


# -- the call card ----------------------------------------------------------------------------------------


def test_the_card_is_registered_with_an_ipython_shell() -> None:
    from IPython.core.interactiveshell import InteractiveShell

    from convoi_nb._display import register_call_card

    shell = InteractiveShell.instance()
    try:
        assert register_call_card(shell)
        data, _ = shell.display_formatter.format(Call.model_validate(EXAMPLE))
        assert "convoi-call" in data["text/html"] and "(masked)" in data["text/html"]
        assert EXAMPLE["livekit"]["token"] not in json.dumps(data)
    finally:
        InteractiveShell.clear_instance()


def test_outside_ipython_nothing_is_registered() -> None:
    code = "import convoi_nb._display as d\nassert d.register_call_card() is False"
    loaded_after(code)


@pytest.mark.slow
def test_a_kernel_shows_a_call_as_its_card(tmp_path: Path) -> None:
    """What JupyterLab, Voilà and nbmake display: the kernel's `text/html` output of `call` on a cell's last line."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            f"import convoi_nb\ncall = convoi_nb.Call.model_validate({EXAMPLE!r})\ncall",
        )
    ]
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    output = notebook.cells[0].outputs[0]
    assert output["output_type"] == "execute_result"
    assert "convoi-call" in output["data"]["text/html"]
    assert "(masked)" in output["data"]["text/html"]


def test_export_without_the_review_extra_says_what_to_install() -> None:
    code = (
        "import sys\nsys.modules['pyarrow'] = None  # as if the review extra were not installed\n"
        "import convoi_nb\n"
        "client = convoi_nb.ConvoiClient(api_key='sk_x_123456', base_url='https://x.example')\n"
        "try:\n    client.export_calls('calls')\nexcept convoi_nb.ConfigurationError as exc:\n    print(exc)\n"
    )
    probe = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    assert 'pip install "convoi_nb[review]"' in probe.stdout
