"""Layer rules: which parts of the package may import which. Widgets call the client, never the sandbox;
the sandbox imports the shared models only, never the client, widgets, experiments or review; review (Parquet
export, DuckDB queries) builds on the client, models and frames, never on the sandbox or widgets.

The rules are read from the source with `ast`, so every import counts: at module level, inside functions,
under `if TYPE_CHECKING:`, relative or absolute, `from package import module`, names re-exported by a
package's `__init__`, and `importlib.import_module("...")` / `__import__("...")` with a literal name.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "convoi_nb"

PRESENTATION = frozenset({"convoi_nb._display", "convoi_nb.widgets", "convoi_nb.snippets"})
CONSUMERS = frozenset(
    {
        "convoi_nb.frames",
        "convoi_nb.experiments",
        "convoi_nb.sessions",
        "convoi_nb.money",
        "convoi_nb._connect",
        "convoi_nb.review",
    }
)
CLIENT = frozenset(
    {
        "convoi_nb._client",
        "convoi_nb._base_client",
        "convoi_nb._config",
        "convoi_nb._retry",
        "convoi_nb._transport",
        "convoi_nb._deadline",
        "convoi_nb._constants",
        "convoi_nb._client_protocols",
    }
)
# The client's thin methods delegate to these (`calls_frame`, `export_calls`), importing them inside the method
# only (checked below); they in turn type the client with `_client_protocols`, so no cycle forms.
DELEGATES = frozenset({"convoi_nb.frames", "convoi_nb.review.export"})

# package -> packages (or modules) it must not import, directly or through a submodule
# (the intended flow: ../shared/design/architecture.md, and docs/explanation/package-layout.md).
FORBIDDEN: dict[str, frozenset[str]] = {
    "convoi_nb.widgets": frozenset({"convoi_nb.sandbox"}),
    "convoi_nb.sandbox": frozenset(
        {"convoi_nb.widgets", "convoi_nb.experiments", "convoi_nb.frames", "convoi_nb.review", *CLIENT}
    ),
    # the contract: pydantic only
    "convoi_nb.models": PRESENTATION
    | CONSUMERS
    | CLIENT
    | {"convoi_nb.errors", "convoi_nb.sandbox", "httpx", "pandas"},
    "convoi_nb.experiments": frozenset(
        {"convoi_nb.widgets", "convoi_nb.sandbox", "convoi_nb._display", "convoi_nb.sessions"}
    ),
    "convoi_nb.sessions": frozenset({"convoi_nb.widgets", "convoi_nb.sandbox", "convoi_nb._display"}),
    # the analyst's layer: client, models, frames and money below it; never the sandbox or anything on screen.
    # The client's export_calls delegates here, so review types the client by its protocols, never the classes.
    "convoi_nb.review": PRESENTATION | {"convoi_nb.sandbox", "convoi_nb.experiments", "convoi_nb._client"},
}
# single modules -> what they must not import
FORBIDDEN_FOR_MODULES: dict[str, frozenset[str]] = {
    **{module: PRESENTATION | CONSUMERS | {"convoi_nb.sandbox"} for module in CLIENT},
    # the client may reach its delegates (lazily, see test_the_client_reaches_its_delegates_lazily), no other consumer
    "convoi_nb._client": PRESENTATION
    | (CONSUMERS - {"convoi_nb.frames", "convoi_nb.review"})
    | {"convoi_nb.sandbox", "convoi_nb.review.queries", "convoi_nb.review.files", "convoi_nb.review.manifest"},
    "convoi_nb.errors": PRESENTATION | CONSUMERS | CLIENT | {"convoi_nb.sandbox"},
    # the loopback rule the client, the sandbox and the widgets share: a leaf, importing nothing of the package
    "convoi_nb._hosts": frozenset({"convoi_nb"}),
    "convoi_nb.frames": PRESENTATION
    | {"convoi_nb.experiments", "convoi_nb.sandbox", "convoi_nb.review", "convoi_nb._client"},
    "convoi_nb.money": PRESENTATION | CONSUMERS - {"convoi_nb.money"} | CLIENT | {"convoi_nb.sandbox"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules_under(package: str, root: Path = ROOT) -> list[Path]:
    return sorted((root / package.replace(".", "/")).rglob("*.py"))


def _resolve(module: str | None, level: int, current: str, is_package: bool) -> str:
    """The absolute name a (possibly relative) `from` import refers to."""
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _reexports(package: str, root: Path) -> dict[str, str]:
    """Names a package's `__init__` binds with `from .x import name`: name -> the module it comes from."""
    init = root / package.replace(".", "/") / "__init__.py"
    if not init.exists():
        return {}
    bound: dict[str, str] = {}
    for node in ast.walk(ast.parse(init.read_text(), str(init))):
        if isinstance(node, ast.ImportFrom):
            source = _resolve(node.module, node.level, package, is_package=True)
            for alias in node.names:
                bound[alias.asname or alias.name] = source
    return bound


def imports_of(source: str, current: str, *, is_package: bool = False, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """Every (line, absolute module name) that `source`, the module `current`, imports anywhere in its body."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(node.module, node.level, current, is_package)
            yield node.lineno, target
            reexported = _reexports(target, root)
            for alias in node.names:
                # `from pkg import sub` may name a submodule, or a name pkg re-exports from a submodule.
                yield node.lineno, f"{target}.{alias.name}"
                if alias.name in reexported:
                    yield node.lineno, reexported[alias.name]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in ("import_module", "__import__"):
                name = node.args[0].value
                level = len(name) - len(name.lstrip("."))
                yield node.lineno, _resolve(name.lstrip(".") or None, level, current, is_package) if level else name


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def violations(package: str, forbidden: frozenset[str], root: Path = ROOT) -> list[str]:
    """`file:line imports module` for each import in `package` of anything under `forbidden`."""
    found: dict[str, str] = {}
    for path in modules_under(package, root):
        current = module_name(path, root)
        for line, name in imports_of(path.read_text(), current, is_package=path.name == "__init__.py", root=root):
            where = f"{path.relative_to(root).as_posix()}:{line}"
            if any(_within(name, banned) for banned in forbidden) and len(name) < len(found.get(where, name + ".")):
                found[where] = name  # one entry per import statement, naming the module it reaches
    return [f"{where} imports {name}" for where, name in sorted(found.items())]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_rules_hold(package: str) -> None:
    assert len(modules_under(package)) >= 2, f"no modules found under {package}: the check would be vacuous"
    assert violations(package, FORBIDDEN[package]) == []


@pytest.mark.parametrize("module", sorted(FORBIDDEN_FOR_MODULES))
def test_module_rules_hold(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    assert path.exists(), f"{module} has moved: update the rule"
    imported = {name for _, name in imports_of(path.read_text(), module)}
    assert sorted(n for n in imported if any(_within(n, banned) for banned in FORBIDDEN_FOR_MODULES[module])) == []


def module_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the package modules it imports (names that are not modules, such as classes, are dropped)."""
    paths = {module_name(p, root): p for p in modules_under("convoi_nb", root)}
    return {
        name: {
            n
            for _, n in imports_of(path.read_text(), name, is_package=path.name == "__init__.py", root=root)
            if n in paths and n != name
        }
        for name, path in paths.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles as [a, b, ..., a] (a imports b ...), found by depth-first search; each found cycle's last
    edge is removed before searching again, so every cycle is reported once."""
    edges = {k: set(v) for k, v in graph.items()}
    found: list[list[str]] = []

    def search() -> list[str] | None:
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        path: list[str] = []

        def visit(node: str) -> list[str] | None:
            state[node] = 1
            path.append(node)
            for target in sorted(edges.get(node, ())):
                if state.get(target) == 1:
                    return path[path.index(target) :] + [target]
                if target not in state:
                    cycle = visit(target)
                    if cycle:
                        return cycle
            path.pop()
            state[node] = 2
            return None

        for start in sorted(edges):
            if start not in state:
                cycle = visit(start)
                if cycle:
                    return cycle
        return None

    while (cycle := search()) is not None:
        found.append(cycle)
        edges[cycle[-2]].discard(cycle[-1])
    return found


def test_the_import_graph_has_no_cycle() -> None:
    graph = module_graph()
    # A submodule importing its own package's __init__ would cycle through it: resolve those edges to the
    # re-exported module instead, as `imports_of` already does, and drop the package edge itself.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(t + ".")}
    assert len(graph) > 40
    assert cycles(graph) == []


def test_a_cycle_is_found(tmp_path: Path) -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    # The cycle this package once had: the call model importing the display code that imports the model.
    import shutil

    shutil.copytree(PACKAGE, tmp_path / "convoi_nb", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    calls = tmp_path / "convoi_nb" / "models" / "calls.py"
    calls.write_text(
        calls.read_text() + "\n\ndef _repr_html_(self):\n    from .._display import call_card_html\n"
        "    return call_card_html(self)\n"
    )
    graph = module_graph(tmp_path)
    found = cycles({name: {t for t in targets if not name.startswith(t + ".")} for name, targets in graph.items()})
    assert any({"convoi_nb._display", "convoi_nb.models.calls"} <= set(cycle) for cycle in found), found
    assert violations("convoi_nb.models", FORBIDDEN["convoi_nb.models"], root=tmp_path) != []


IMPORT_FORMS = {
    "absolute": "import convoi_nb.sandbox\n",
    "absolute submodule": "import convoi_nb.sandbox.server as server\n",
    "from absolute": "from convoi_nb.sandbox import Sandbox\n",
    "from package import module": "from convoi_nb import sandbox\n",
    "relative": "from ..sandbox import Sandbox\n",
    "relative submodule": "from ..sandbox.server import Sandbox\n",
    "relative package": "from .. import sandbox\n",
    "inside a function": "def start():\n    from ..sandbox import Sandbox\n    return Sandbox\n",
    "TYPE_CHECKING": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..sandbox import Sandbox\n",
    "importlib": "import importlib\nserver = importlib.import_module('convoi_nb.sandbox')\n",
    "importlib relative": "from importlib import import_module\nserver = import_module('..sandbox', __package__)\n",
}


@pytest.mark.parametrize("source", IMPORT_FORMS.values(), ids=IMPORT_FORMS.keys())
def test_every_import_form_is_seen(source: str) -> None:
    names = [name for _, name in imports_of(source, "convoi_nb.widgets.call_card")]
    assert any(_within(name, "convoi_nb.sandbox") for name in names), names


def test_names_reexported_by_a_package_count_as_their_module() -> None:
    # `from .. import ConvoiClient` in the sandbox pulls in convoi_nb._client through the package's __init__.
    names = [name for _, name in imports_of("from .. import ConvoiClient\n", "convoi_nb.sandbox.app")]
    assert "convoi_nb._client" in names
    assert not any(
        _within(n, "convoi_nb._client") for _, n in imports_of("from ..models import Call\n", "convoi_nb.sandbox.app")
    )


def test_a_forbidden_import_is_reported(tmp_path: Path) -> None:
    """The whole check, end to end, on a copy of the package with one forbidden import added."""
    import shutil

    shutil.copytree(PACKAGE, tmp_path / "convoi_nb", ignore=shutil.ignore_patterns("__pycache__", "node_modules"))
    before = violations("convoi_nb.widgets", FORBIDDEN["convoi_nb.widgets"], root=tmp_path)
    card = tmp_path / "convoi_nb" / "widgets" / "call_card.py"
    text = card.read_text()
    card.write_text(text + "\n\ndef _debug():\n    from ..sandbox import Sandbox\n    return Sandbox\n")
    line = len(text.splitlines()) + 4
    after = violations("convoi_nb.widgets", FORBIDDEN["convoi_nb.widgets"], root=tmp_path)
    assert set(after) - set(before) == {f"convoi_nb/widgets/call_card.py:{line} imports convoi_nb.sandbox"}


def _loaded_after_import(module: str) -> set[str]:
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            (f"import sys, {module}; print('\\n'.join(m for m in sys.modules if m.startswith('convoi_nb')))"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    return set(probe.stdout.split())


def test_importing_the_widgets_does_not_load_the_sandbox() -> None:
    loaded = _loaded_after_import("convoi_nb.widgets")
    assert "convoi_nb.widgets.call_launcher" in loaded  # the probe really imported the widgets
    assert not any(_within(name, "convoi_nb.sandbox") for name in loaded), sorted(loaded)


def test_importing_the_sandbox_does_not_load_widgets_or_experiments() -> None:
    # Not convoi_nb._client: importing any submodule runs convoi_nb/__init__.py, which imports the client for
    # the package's public API. That rule is checked on the sandbox's own imports above.
    loaded = _loaded_after_import("convoi_nb.sandbox")
    assert "convoi_nb.sandbox.server" in loaded
    assert not any(
        _within(name, banned) for name in loaded for banned in ("convoi_nb.widgets", "convoi_nb.experiments")
    )


def _eager_imports(tree: ast.Module) -> Iterator[ast.stmt]:
    """The import statements a module runs when it is imported: module level, outside `if TYPE_CHECKING:`."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
            yield from (n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))
        elif isinstance(node, ast.Try):
            yield from (n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom)))


def test_the_client_reaches_its_delegates_lazily() -> None:
    """`_client` imports frames and the review export inside the methods that use them (or for types only)."""
    path = PACKAGE / "_client.py"
    source = path.read_text()
    reached = {name for _, name in imports_of(source, "convoi_nb._client")}
    consumers = {n for n in reached if any(_within(n, c) for c in CONSUMERS)}
    assert consumers and all(any(_within(n, d) for d in DELEGATES) for n in consumers), sorted(consumers)
    eager: list[str] = []
    for node in _eager_imports(ast.parse(source)):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
        eager += [f"line {node.lineno}: {n}" for n in names if "frames" in n or "review" in n or n == "pandas"]
    assert eager == []


def test_a_module_level_delegate_import_is_seen() -> None:
    tree = ast.parse("from .frames import calls_to_frame\nif TYPE_CHECKING:\n    import pandas\n")
    assert [n.lineno for n in _eager_imports(tree)] == [1]
