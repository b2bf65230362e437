"""Bulk history for scale tests: N simulated past calls written straight into a sandbox's database.

The listing serves them like calls created through the API.

Each row is what a create would store (agent, merged settings, metadata, the request body, a seed), so the
simulation gives it the same story, duration and cost, by the rate card, as any call. Calls are spread
uniformly over `days` ending at the sandbox clock's now, over the account's agents, with metadata `source`,
`customer_tier`, `order_ref` (an integer in most calls, a text reference in others: a mixed-type key), and a
share tagged as an experiment over models × voices (`experiment`, `variant`, `replicate`, as
`convoi_nb.experiments` tags calls). No token is stored: a call younger than a token's lifetime (1 h) gets one
for its room when served; older ones carry an empty token, as any token of theirs would have expired. Room names
derive from a hash of the row's number, not from the call's id.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from itertools import product
from typing import Any

from ..errors import ValidationError
from .accounts import Account
from .service import CallService, call_seed
from .simulation import merge_settings

SOURCES = ("landing-page", "mobile-app", "partner-widget", "support-portal")
TIERS = ("free", "pro", "enterprise")
EXPERIMENT = "history-models-x-voices"
# (variant name, overrides): a grid named as Variant.grid names its variants
VARIANTS = tuple(
    (f"model={model}, voice={voice}", {"llm": {"model": model}, "tts": {"voice_id": voice}})
    for model, voice in product(("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"), ("alloy", "rachel"))
)
_ID_BITS = 2**48
_MIX = 0x9E3779B97F4A7C15  # odd, so seq -> seq * _MIX mod 2**48 is one-to-one: unique ids without a lookup
_ROOM_MIX = 0xC2B2AE3D27D4EB4F  # another odd multiplier: room names unique, and unrelated to the call ids


def generate_history(
    service: CallService,
    account: Account,
    n: int,
    *,
    days: float = 30.0,
    seed: int = 0,
    experiment_share: float = 0.1,
    end: float | None = None,
) -> int:
    """Write `n` calls created over the `days` before `end` for `account`; deterministic for a `seed`.

    Args:
        service: The sandbox's call service (its store and settings).
        account: The account the calls belong to.
        n: How many calls.
        days: The span they were created over.
        seed: The seed of every draw.
        experiment_share: Share of calls tagged as an experiment's.
        end: Epoch seconds the span ends at (the sandbox clock's now if None).

    Returns:
        How many calls were written.

    Raises:
        ValidationError: An argument is out of range.
    """
    checks = (
        ("n", n, isinstance(n, int) and not isinstance(n, bool) and n >= 0, "must be a non-negative integer"),
        ("days", days, isinstance(days, (int, float)) and days > 0, "must be > 0"),
        ("experiment_share", experiment_share, 0 <= experiment_share <= 1, "must be between 0 and 1"),
    )
    for loc, value, ok, rule in checks:
        if not ok:
            raise ValidationError.of_field("history", loc, f"{rule}, got {value!r}")
    end = service.settings.clock() if end is None else end
    rng = random.Random(seed)
    span = days * 86400.0
    times = sorted(end - span + rng.random() * span for _ in range(n))
    if not times:
        return 0
    # The merged settings and the request's overrides per (agent, variant), encoded once for every call.
    plain = {agent.id: (json.dumps(merge_settings(agent.to_json(), {})), "") for agent in account.agents}
    tried = {
        (agent.id, name): (
            json.dumps(merge_settings(agent.to_json(), overrides)),
            ',"agent_overrides":' + json.dumps(overrides),
        )
        for agent in account.agents
        for name, overrides in VARIANTS
    }
    agents = [agent.id for agent in account.agents]
    settings = service.settings

    def rows(first_seq: int) -> Iterator[tuple[Any, ...]]:
        for seq, created in enumerate(times, start=first_seq):
            agent = rng.choice(agents)
            metadata: dict[str, Any] = {
                "source": rng.choice(SOURCES),
                "customer_tier": rng.choice(TIERS),
                "order_ref": rng.randrange(10**6) if rng.random() < 0.8 else f"ORD-{rng.randrange(10**6):06d}",
            }
            if rng.random() < experiment_share:
                variant = rng.choice(VARIANTS)[0]
                metadata.update(experiment=EXPERIMENT, variant=variant, replicate=rng.randrange(100))
                merged, overrides = tried[agent, variant]
            else:
                merged, overrides = plain[agent]
            tag = f"{(seq * _MIX) % _ID_BITS:012x}"
            call_id = f"call_{int(created * 1000):012x}{tag}"
            encoded = json.dumps(metadata)
            request = f'{{"type":"web","agent_id":"{agent}"{overrides},"metadata":{encoded}}}'
            yield (
                seq,
                call_id,
                account.id,
                agent,
                created,
                f"room_{(seq * _ROOM_MIX) % _ID_BITS:012x}",  # not derived from the call's id
                f"public-{tag}",
                None,
                settings.livekit.url,
                "",
                encoded,
                merged,
                call_seed(settings.seed, seq),
                request,
            )

    return service.store.insert_history(account.id, times[0], rows)
