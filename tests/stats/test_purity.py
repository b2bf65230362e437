"""convoi_nb.stats is pure: no module of it imports anything that does I/O or display, nor the layers above it
(read from the source with `ast`, every import counted, inside functions and `TYPE_CHECKING` too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "convoi_nb"
FORBIDDEN = {
    "convoi_nb.stats": (
        "sqlite3",
        "os",
        "pathlib",
        "httpx",
        "matplotlib",
        "ipywidgets",
        "IPython",
        "convoi_nb.experiments",
        "convoi_nb.report",
        "convoi_nb.widgets",
        "convoi_nb.review",
        "convoi_nb.sessions",
        "convoi_nb._client",
        "convoi_nb._transport",
    ),
    "convoi_nb.report": ("sqlite3", "httpx", "convoi_nb.experiments", "convoi_nb.widgets", "convoi_nb._client"),
    "convoi_nb.budget": ("convoi_nb.experiments", "convoi_nb.widgets", "convoi_nb._client", "sqlite3", "httpx"),
}


def imports_of(path: Path, package: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = f"{base}.{node.module}" if node.level and node.module else (node.module or base)
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_the_layer_imports_nothing_it_must_not(layer: str) -> None:
    relative = layer.removeprefix("convoi_nb").lstrip(".").replace(".", "/")
    target = PACKAGE / relative
    files = sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    assert files
    for file in files:
        package = layer if target.is_dir() else layer.rsplit(".", 1)[0]
        found = imports_of(file, package)
        bad = sorted(n for n in found for f in FORBIDDEN[layer] if n == f or n.startswith(f + "."))
        assert not bad, f"{file.name} imports {bad}"
