"""Parameter bounds: what a proposal may ask for, and how far a scale-up may go."""

from __future__ import annotations

import math
from collections.abc import Mapping

from policies.catalog import CatalogAction, ParamType
from policies.decisions import Reason, ReasonCode, Refusal, RefusalCode
from policies.policy import Policy
from policies.policy_schema import SCALE_ACTION, ActionPolicy

DELTA_PARAM = "replicas_delta"
CEILING_PARAM = "max_replicas"


def param_reasons(
    spec: CatalogAction, entry: ActionPolicy, params: Mapping[str, str]
) -> list[Reason]:
    """Why these parameters may not be used for this action; empty when they may."""
    reasons: list[Reason] = []
    for name, value in sorted(params.items()):
        declared = spec.param(name)
        if declared is None:
            reasons.append(
                Reason(ReasonCode.PARAM_INVALID, f"{spec.name} has no parameter {name[:64]!r}.")
            )
            continue
        problem = declared.problem(value)
        if problem is not None:
            reasons.append(Reason(ReasonCode.PARAM_INVALID, f"{spec.name}: {problem}."))
            continue
        bounds = entry.bounds.get(name)
        if declared.type is ParamType.INTEGER and bounds is not None:
            number = int(value)
            if not bounds.holds(number):
                reasons.append(
                    Reason(
                        ReasonCode.PARAM_OUT_OF_BOUNDS,
                        f"{spec.name}: {name}={number} is outside the policy's bounds"
                        f" ({bounds.describe()}).",
                    )
                )
    missing = sorted(spec.required_params - set(params))
    if missing:
        reasons.append(Reason(ReasonCode.PARAM_INVALID, f"{spec.name} lacks {', '.join(missing)}."))
    ceiling = params.get(CEILING_PARAM)
    scale = entry.scale
    # Only once every parameter is valid is the ceiling known to be an integer.
    if (
        scale is not None
        and ceiling is not None
        and not reasons
        and int(ceiling) > scale.max_replicas
    ):
        reasons.append(
            Reason(
                ReasonCode.PARAM_OUT_OF_BOUNDS,
                f"{spec.name}: {CEILING_PARAM}={ceiling} is above the policy's ceiling"
                f" of {scale.max_replicas} replicas.",
            )
        )
    return reasons


def check_scale_bounds(
    current_replicas: int, requested_delta: int, requested_max: int, policy: Policy
) -> Refusal | None:
    """None when adding `requested_delta` replicas stays within the policy at the live size."""
    entry = policy.action(SCALE_ACTION)
    if entry is None or entry.scale is None:
        return Refusal(RefusalCode.SCALE_ABOVE_CEILING, "The policy sets no scaling limits.")
    limits = entry.scale
    if current_replicas <= 0:
        return Refusal(
            RefusalCode.SCALE_FROM_ZERO,
            "The deployment has no replicas; it was scaled to zero on purpose, so a person"
            " must bring it back.",
        )
    delta_bounds = entry.bounds.get(DELTA_PARAM)
    if requested_delta < 1 or (
        delta_bounds is not None and not delta_bounds.holds(requested_delta)
    ):
        allowed = delta_bounds.describe() if delta_bounds is not None else "at least 1"
        return Refusal(
            RefusalCode.SCALE_DELTA_OUT_OF_BOUNDS,
            f"Adding {requested_delta} replicas is outside the policy ({allowed}).",
        )
    ceiling_bounds = entry.bounds.get(CEILING_PARAM)
    if requested_max > limits.max_replicas:
        return Refusal(
            RefusalCode.SCALE_ABOVE_CEILING,
            f"A ceiling of {requested_max} replicas is above the policy's {limits.max_replicas}.",
        )
    if ceiling_bounds is not None and not ceiling_bounds.holds(requested_max):
        return Refusal(
            RefusalCode.SCALE_ABOVE_CEILING,
            f"A ceiling of {requested_max} replicas is outside the policy"
            f" ({ceiling_bounds.describe()}).",
        )
    # Exactly the step that was approved, or nothing: never a silently smaller one.
    target = current_replicas + requested_delta
    if target > requested_max:
        return Refusal(
            RefusalCode.SCALE_PAST_REQUESTED_CEILING,
            f"Going from {current_replicas} to {target} replicas passes the requested ceiling"
            f" of {requested_max}.",
        )
    most = math.floor(current_replicas * limits.max_factor)
    if target > most:
        return Refusal(
            RefusalCode.SCALE_ABOVE_FACTOR,
            f"Going from {current_replicas} to {target} replicas is more than"
            f" {limits.max_factor:g} times the current size (at most {most}).",
        )
    return None
