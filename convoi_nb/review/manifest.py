"""`_manifest.json` of an export folder, as a strict pydantic model.

It says which server, account and filters the folder holds, each day written, the metadata keys' kinds of
values, and where an unfinished export stands.

Everything read back from disk is validated before the export or `Review` acts on it: a manifest of the wrong
shape, a day that is not `YYYY-MM-DD` (say `zzz/../../victim`), an unfinished run naming days the manifest does
not hold, all are a `DatasetError` naming the file and the entry. The leading underscore hides the file from
Spark and Hive, as their own `_SUCCESS` files are, so they read the folder as data.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, JsonValue, model_validator
from pydantic_core import ErrorDetails

from ..errors import DatasetError

NAME = "_manifest.json"
FORMAT: Literal[1] = 1
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# frames.metadata_kinds: the kinds of JSON values a metadata key can hold
KINDS = frozenset({"string", "boolean", "int53", "int64", "bigint", "float", "json"})


def is_day(text: str) -> bool:
    """Whether `text` is a calendar day written `YYYY-MM-DD` (the only day names an export folder holds).

    Args:
        text: A candidate day name.

    Returns:
        True for `2026-11-02`; False for `2026-13-01`, `zzz/../../victim` or anything else.
    """
    if not _DAY.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _day(text: str) -> str:
    if not is_day(text):
        raise ValueError("must be a calendar day written YYYY-MM-DD")
    return text


def _kind(text: str) -> str:
    if text not in KINDS:
        raise ValueError(f"must be one of {', '.join(sorted(KINDS))}")
    return text


Day = Annotated[str, AfterValidator(_day)]
Kind = Annotated[str, AfterValidator(_kind)]
_STRICT = ConfigDict(strict=True, extra="forbid")


class DayRecord(BaseModel):
    """One day's file: how many calls it holds, and how many of them had not finished when it was written."""

    model_config = _STRICT
    rows: int = Field(ge=1)
    in_flight: int = Field(ge=0)

    @model_validator(mode="after")
    def _in_flight_within_rows(self) -> DayRecord:
        if self.in_flight > self.rows:
            raise ValueError(f"in_flight ({self.in_flight}) is more than rows ({self.rows})")
        return self


class Pending(BaseModel):
    """An unfinished run: its window, and the days it has written so far (newest first, in any order of writing).

    `created_before` is the run's snapshot bound (None until the run has fixed it); `last_day` is the oldest day
    written (kept so manifests of earlier versions, which resumed below it, still read).
    """

    model_config = _STRICT
    created_after: AwareDatetime | None
    created_before: AwareDatetime | None = None
    written: list[Day] = Field(default_factory=list)
    last_day: Day | None = None


class Manifest(BaseModel):
    """The manifest of one export folder (see the module's docstring)."""

    model_config = _STRICT
    format: Literal[1] = FORMAT
    server: str
    account: Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]
    filters: dict[str, JsonValue]
    metadata_kinds: dict[str, list[Kind]] = Field(default_factory=dict)
    days: dict[Day, DayRecord] = Field(default_factory=dict)
    cursor: str | None = None  # id of the last call written (the oldest of the last day written)
    last_day: Day | None = None  # the last day written
    pending: Pending | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        folded: dict[str, str] = {}
        for key in sorted(self.metadata_kinds):
            if folded.setdefault(key.casefold(), key) != key:
                raise ValueError(
                    f"metadata_kinds holds {folded[key.casefold()]!r} and {key!r}, which SQL engines read as one column"
                )
        for key, kinds in self.metadata_kinds.items():
            if not kinds or kinds != sorted(set(kinds)):
                raise ValueError(f"metadata_kinds[{key!r}] must list its kinds once each, sorted")
        if self.pending is not None:
            written = self.pending.written
            unknown = [day for day in written if day not in self.days]
            if unknown:
                raise ValueError(f"pending.written names days the manifest does not hold: {', '.join(unknown)}")
            if written != sorted(set(written), reverse=True):
                raise ValueError("pending.written must list each day once, newest first")
            if self.pending.last_day != (written[-1] if written else None):
                raise ValueError("pending.last_day must be the last day of pending.written")
            after, before = self.pending.created_after, self.pending.created_before
            if after is not None and before is not None and after >= before:
                raise ValueError("pending.created_after must be earlier than pending.created_before")
        return self

    @classmethod
    def parse(cls, data: bytes, path: Path) -> Manifest:
        """The manifest in `data`, validated.

        Args:
            data: The bytes of the manifest file.
            path: Where they were read from, for the error message.

        Returns:
            The validated manifest.

        Raises:
            DatasetError: The data is not a valid manifest; the message names the file and each bad entry.
        """
        try:
            return cls.model_validate_json(data)
        except pydantic.ValidationError as exc:
            errors = [_entry(error) for error in exc.errors(include_url=False)]
            shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
            raise DatasetError(
                f"{path} is not a valid export manifest ({shown}); nothing was changed: export into a new folder"
            ) from None

    def dump(self) -> bytes:
        """The manifest as JSON, keys sorted, so the same manifest is the same bytes.

        Returns:
            UTF-8 JSON text.
        """
        return json.dumps(self.model_dump(mode="json"), indent=1, sort_keys=True).encode()

    def check_same_source(self, other: Manifest, folder: Path) -> None:
        """Refuse to mix two sources' calls in one folder, naming what differs.

        Args:
            other: The manifest this run would write (its server, account and filters).
            folder: The export folder, for the message.

        Raises:
            DatasetError: The folder holds another server's, account's or filter's calls.
        """
        if self.server != other.server:
            problem = f"calls from server {self.server!r}, not {other.server!r}"
        elif self.account != other.account:
            problem = "calls of another account (another API key)"
        elif self.filters != other.filters:
            problem = f"calls filtered by {json.dumps(self.filters)}, not {json.dumps(other.filters)}"
        else:
            return
        raise DatasetError(f"{folder} holds {problem}; export into a new folder")


def account_fingerprint(api_key: pydantic.SecretStr) -> str:
    """Tell accounts apart without keeping the key: a salted hash, of which the manifest holds 16 hex digits.

    Args:
        api_key: The client's API key (unwrapped only inside the hash, so no frame holds it in clear).

    Returns:
        16 hex digits.
    """
    return hashlib.sha256(b"convoi_nb export account\x00" + api_key.get_secret_value().encode()).hexdigest()[:16]


def _entry(error: ErrorDetails) -> str:
    """`days.zzz/../../victim (the key): must be a calendar day written YYYY-MM-DD`."""
    where = ".".join(str(part) for part in error["loc"]).replace(".[key]", " (the key)") or "the whole file"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"
