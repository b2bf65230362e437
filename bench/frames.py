"""calls_to_frame vs pandas.json_normalize + the same dtype fixes, on synthetic call dicts.

    python bench/frames.py           # 100,000 calls
    python bench/frames.py --quick   # CI smoke run

Target: ratio ≤ 0.5 and well under a second for 100,000 calls.
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
from _common import best_of

from convoi_nb import calls_to_frame
from convoi_nb.models import KNOWN_STATUSES, mask_token


def synthetic_calls(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    calls = []
    for i in range(n):
        created = start + timedelta(seconds=i * 7 + rng.random())
        calls.append(
            {
                "id": f"call_{i:012x}",
                "object": "call",
                "type": "web",
                "status": rng.choice(KNOWN_STATUSES),
                "agent_id": f"agt_{i % 5:032x}",
                "room_id": f"room_{i:012x}",
                "livekit": {
                    "url": "wss://lk.example",
                    "token": f"eyJhbGciOi.{i:020d}.signature{i}",
                    "participant_identity": f"public-{i:012x}",
                },
                "duration_seconds": rng.uniform(0, 300),
                "cost": {"amount": rng.uniform(0, 1), "currency": "USD"},
                "metadata": {
                    "source": rng.choice(["web", "app", "phone"]),
                    "user_ref": f"u_{i % 977}",
                    **({"campaign": "spring"} if i % 3 == 0 else {}),
                },
                "created_at": created.isoformat().replace("+00:00", "Z"),
                "updated_at": (created + timedelta(seconds=200)).isoformat().replace("+00:00", "Z"),
            }
        )
    return calls


def baseline(calls: list[dict[str, Any]]) -> pd.DataFrame:
    """What one would write by hand: json_normalize, then fix the dtypes and mask the token."""
    frame = pd.json_normalize(calls)
    frame = frame.rename(
        columns={
            "cost.amount": "cost_amount",
            "cost.currency": "cost_currency",
            "livekit.url": "livekit_url",
            "livekit.token": "livekit_token",
            "livekit.participant_identity": "participant_identity",
        }
    )
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    frame["updated_at"] = pd.to_datetime(frame["updated_at"], utc=True, format="ISO8601")
    frame["status"] = frame["status"].astype(pd.CategoricalDtype(list(KNOWN_STATUSES)))
    frame["livekit_token"] = frame["livekit_token"].map(mask_token)
    for column in (
        "id",
        "agent_id",
        "room_id",
        "participant_identity",
        "livekit_url",
        "livekit_token",
        "cost_currency",
    ):
        frame[column] = frame[column].astype("string")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.n, args.repeats = 10_000, 2
    calls = synthetic_calls(args.n)
    ours = best_of(args.repeats, lambda: calls_to_frame(calls))
    theirs = best_of(args.repeats, lambda: baseline(calls))
    print(
        f"{args.n:,} calls: calls_to_frame {ours:.3f} s, json_normalize + dtype fixes {theirs:.3f} s; "
        f"ratio {ours / theirs:.3f} (target ≤ 0.5)"
    )


if __name__ == "__main__":
    main()
