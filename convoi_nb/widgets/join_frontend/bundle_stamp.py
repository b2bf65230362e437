"""Is `dist/join.js` built from the sources beside it? The same hash as `build.mjs` writes on the bundle's first line
(sha256 over each input's name and bytes), so the package build and a test can tell a stale bundle without node."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUNDLE = HERE / "dist" / "join.js"
STAMP = re.compile(rb"/\* convoi_nb join widget; sources sha256 ([0-9a-f]{64}) \*/")


def inputs(folder: Path = HERE) -> list[str]:
    return ["package-lock.json", "build.mjs", *sorted(f"src/{p.name}" for p in (folder / "src").iterdir())]


def sources_hash(folder: Path = HERE) -> str:
    digest = hashlib.sha256()
    for name in inputs(folder):
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes() + b"\0")
    return digest.hexdigest()


def bundle_hash(bundle: Path = BUNDLE) -> str:
    found = STAMP.match(bundle.read_bytes()[:200]) if bundle.exists() else None
    return found.group(1).decode() if found else ""


def is_stale(folder: Path = HERE) -> bool:
    return bundle_hash(folder / "dist" / "join.js") != sources_hash(folder)
