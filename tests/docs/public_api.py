"""The package's public API as the reference documents it, read statically with griffe (the loader mkdocstrings uses).

Public modules are those with no `_`-prefixed part in their path; a public object is one of their members that
griffe calls public (in the module's `__all__` when it declares one, else a name without a leading underscore)
and that is defined there (not an import), plus every name of every `__all__` (re-exports from private modules
included: `convoi_nb.ConvoiClient` lives in `convoi_nb._client`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "convoi_nb"
EXCLUDED = ("join_frontend",)  # front-end sources beside the widget, not Python API


@functools.cache
def package() -> griffe.Module:
    """The package, loaded from the checkout's sources (not an installed copy)."""
    loaded = griffe.load(PACKAGE, search_paths=[str(ROOT)], resolve_aliases=True, resolve_external=False)
    assert isinstance(loaded, griffe.Module)
    return loaded


def lookup(path: str) -> griffe.Object | griffe.Alias:
    """The object at a dotted path of the package."""
    return package() if path == PACKAGE else package()[path.removeprefix(PACKAGE + ".")]


def is_public_path(path: str) -> bool:
    return not any(part.startswith("_") for part in path.split(".")) and not any(x in path for x in EXCLUDED)


def public_modules() -> list[griffe.Module]:
    """Every public module and package, the root first."""

    def walk(module: griffe.Module) -> Iterator[griffe.Module]:
        yield module
        for sub in module.modules.values():
            if not sub.is_alias and is_public_path(sub.path):
                assert isinstance(sub, griffe.Module)
                yield from walk(sub)

    return list(walk(package()))


def target(obj: griffe.Object | griffe.Alias) -> griffe.Object:
    """The object an alias (an import) stands for, or the object itself."""
    final = obj.final_target if isinstance(obj, griffe.Alias) else obj
    assert isinstance(final, griffe.Object)
    return final


def exported_names() -> list[tuple[str, str]]:
    """(module path, name) for every name of every public module's `__all__`."""
    return [(module.path, str(name)) for module in public_modules() for name in (module.exports or ())]


def defined_objects() -> list[griffe.Object]:
    """Every public class and function defined in a public module (not re-imported there)."""
    found = []
    for module in public_modules():
        for member in module.members.values():
            if member.is_alias or not member.is_public or not (member.is_class or member.is_function):
                continue
            found.append(target(member))
    return found


def public_methods(cls: griffe.Object) -> list[griffe.Object | griffe.Alias]:
    """A class's public methods and properties: its own, and those it inherits from a private base of the package
    (`ConvoiClient.to_async` comes from `_ClientBase`, documented nowhere else); other inherited ones are
    documented with their own class."""
    found: list[griffe.Object | griffe.Alias] = []
    for name, member in cls.all_members.items():
        if name.startswith("_") or not member.is_function:
            continue
        owner = target(member).parent
        if owner is None or owner.path == cls.path:
            found.append(target(member))
        elif owner.path.startswith(PACKAGE) and owner.name.startswith("_"):
            found.append(member)  # inherited from a private base: documented on this class, under its own path
    return found


def api_objects() -> list[griffe.Object | griffe.Alias]:
    """Every public object a user can reach: the defined ones, the exported ones, and their methods; no repeats."""
    seen: dict[str, griffe.Object | griffe.Alias] = {}
    roots: list[griffe.Object] = [*defined_objects()]
    roots += [target(lookup(module_path)[name]) for module_path, name in exported_names()]
    for obj in roots:
        seen.setdefault(obj.path, obj)
        if obj.is_class:
            for method in public_methods(obj):
                seen.setdefault(method.path, method)
    return [obj for obj in seen.values() if obj.path.startswith(PACKAGE)]
