"""Pure scale-up bounds: the request's ceiling, the configured ceiling, and a growth factor."""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.ports.adapters import AdapterError


@dataclass(frozen=True, slots=True)
class ScalePlan:
    """A scale-up from `current` to `target`, with the lowest bound that applied."""

    current: int
    target: int
    ceiling: int


def plan_scale(
    *,
    what: str,
    current: int,
    delta: int,
    request_max: int,
    config_ceiling: int,
    max_factor: float,
) -> ScalePlan:
    """`current + delta` when within every bound; `out_of_bounds` naming each bound exceeded."""
    if delta < 1:
        raise AdapterError(
            "invalid_params", f"replicas_delta must be at least 1, got {delta}", retryable=False
        )
    target = current + delta
    # The factor bound rounds down: a factor of 1.5 on 3 replicas allows 4, not 5.
    factor_bound = math.floor(current * max_factor)
    bounds = (
        (request_max, f"the request's max_replicas {request_max}"),
        (config_ceiling, f"the configured ceiling {config_ceiling}"),
        (factor_bound, f"{max_factor:g} times the current {current} replicas ({factor_bound})"),
    )
    exceeded = [label for bound, label in bounds if target > bound]
    if exceeded:
        raise AdapterError(
            "out_of_bounds",
            f"scaling {what} from {current} to {target} replicas exceeds " + " and ".join(exceeded),
            retryable=False,
        )
    return ScalePlan(current=current, target=target, ceiling=min(b for b, _ in bounds))
