"""`_manifest.json` of an export folder: which server, account and filters it holds, each day written, the
metadata keys' kinds of values, and where an unfinished export stands. Written atomically (a temporary file
renamed over the old one), so a kill leaves the old manifest or the new one, never half of one. The leading
underscore hides it from Spark and Hive, as their own `_SUCCESS` files are, so they read the folder as data.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DatasetError

NAME = "_manifest.json"
FORMAT = 1


def account_fingerprint(api_key: str) -> str:
    """Tells accounts apart without keeping the key: a salted hash, of which the manifest holds 16 hex digits."""
    return hashlib.sha256(b"convoi_nb export account\x00" + api_key.encode()).hexdigest()[:16]


@dataclass
class Manifest:
    server: str
    account: str
    filters: dict[str, Any]
    format: int = FORMAT
    metadata_kinds: dict[str, list[str]] = field(default_factory=dict)
    # day (YYYY-MM-DD, UTC) -> {"rows": calls in its file, "in_flight": calls not yet ended, failed or expired}
    days: dict[str, dict[str, int]] = field(default_factory=dict)
    cursor: str | None = None  # id of the last call written (the oldest of the last day written)
    last_day: str | None = None  # the last day written; an interrupted run resumes below its start
    # an unfinished run: {"created_after": ISO time or None, "written": days it rewrote so far}
    pending: dict[str, Any] | None = None

    @classmethod
    def load(cls, folder: Path) -> Manifest | None:
        path = folder / NAME
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise DatasetError(f"{path}: format {data.get('format')!r} is not one this version reads ({FORMAT})")
            return cls(**data)
        except (ValueError, TypeError) as exc:
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f"{path} is damaged ({exc}); export into a new folder") from None

    def save(self, folder: Path) -> None:
        path = folder / NAME
        temporary = path.with_suffix(".json.tmp")
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def check_same_source(self, other: Manifest, folder: Path) -> None:
        """Refuse to mix two sources' calls in one folder, naming what differs."""
        if self.server != other.server:
            problem = f"calls from server {self.server!r}, not {other.server!r}"
        elif self.account != other.account:
            problem = "calls of another account (another API key)"
        elif self.filters != other.filters:
            problem = f"calls filtered by {json.dumps(self.filters)}, not {json.dumps(other.filters)}"
        else:
            return
        raise DatasetError(f"{folder} holds {problem}; export into a new folder")
