"""Scale bounds at the deployment's live size, as the adapter checks them before scaling."""

from __future__ import annotations

import pytest

from policies.decisions import RefusalCode
from policies.engine import check_scale_bounds
from tests.policies.factories import Replace, policy_with

# The shipped policy: replicas_delta at most 4, at most 2 times the current size, at most 20.
SHIPPED = policy_with()


@pytest.mark.parametrize(
    ("current", "delta", "ceiling", "refusal"),
    [
        # A modest step within every limit.
        (4, 2, 20, None),
        # Exactly twice the current size is allowed.
        (4, 4, 20, None),
        # One more than twice the current size is not.
        (3, 4, 20, RefusalCode.SCALE_ABOVE_FACTOR),
        # A step past the requested ceiling is refused, not silently shortened.
        (19, 4, 20, RefusalCode.SCALE_PAST_REQUESTED_CEILING),
        # Up to the requested ceiling exactly is fine.
        (16, 4, 20, None),
        # A deployment at zero was scaled down on purpose.
        (0, 1, 5, RefusalCode.SCALE_FROM_ZERO),
        # A step must add at least one replica.
        (4, 0, 20, RefusalCode.SCALE_DELTA_OUT_OF_BOUNDS),
        # The policy bounds a step to four replicas.
        (8, 5, 20, RefusalCode.SCALE_DELTA_OUT_OF_BOUNDS),
        # A ceiling above the policy's is refused.
        (4, 2, 21, RefusalCode.SCALE_ABOVE_CEILING),
        # A ceiling below the current size leaves no room to add.
        (25, 1, 20, RefusalCode.SCALE_PAST_REQUESTED_CEILING),
        # Already at the ceiling: one more is past it.
        (20, 1, 20, RefusalCode.SCALE_PAST_REQUESTED_CEILING),
    ],
)
def test_scale_bounds(current: int, delta: int, ceiling: int, refusal: RefusalCode | None) -> None:
    result = check_scale_bounds(current, delta, ceiling, SHIPPED)

    assert (result.code if result is not None else None) is refusal
    if result is not None:
        assert result.message


def test_the_factor_comes_from_the_policy() -> None:
    cautious = policy_with({"actions": {"scale_deployment": {"scale": {"max_factor": 1.5}}}})

    assert check_scale_bounds(4, 2, 20, cautious) is None
    refused = check_scale_bounds(4, 3, 20, cautious)
    assert refused is not None and refused.code is RefusalCode.SCALE_ABOVE_FACTOR
    assert "at most 6" in refused.message


def test_the_ceiling_comes_from_the_policy() -> None:
    roomy = policy_with(
        {
            "actions": {
                "scale_deployment": {
                    "bounds": Replace({}),
                    "scale": {"max_replicas": 40},
                }
            }
        }
    )

    assert check_scale_bounds(20, 10, 40, roomy) is None
    assert check_scale_bounds(20, 10, 40, SHIPPED) is not None
