"""`plan_scale` refuses any step beyond the request's, the config's or the factor's bound."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError
from integrations.kubernetes.scaling import plan_scale


def plan(current: int, delta: int, request_max: int = 10, ceiling: int = 20, factor: float = 2.0):
    return plan_scale(
        what="deployment prod/payments",
        current=current,
        delta=delta,
        request_max=request_max,
        config_ceiling=ceiling,
        max_factor=factor,
    )


def test_within_every_bound_reports_the_lowest_bound_as_ceiling() -> None:
    result = plan(3, 2, request_max=6)
    assert (result.current, result.target, result.ceiling) == (3, 5, 6)


def test_exactly_at_every_bound_is_allowed() -> None:
    assert plan(3, 3, request_max=6, ceiling=6).target == 6


@pytest.mark.parametrize(
    ("current", "delta", "request_max", "ceiling", "factor", "named"),
    [
        # The request's own max_replicas.
        (3, 4, 6, 20, 2.0, "the request's max_replicas 6"),
        # The configured hard ceiling.
        (3, 3, 10, 5, 2.0, "the configured ceiling 5"),
        # At most factor times the current size.
        (3, 4, 10, 20, 2.0, "2 times the current 3 replicas (6)"),
        # The factor bound rounds down.
        (3, 2, 10, 20, 1.5, "1.5 times the current 3 replicas (4)"),
        # Nothing grows from zero by a factor.
        (0, 1, 10, 20, 2.0, "2 times the current 0 replicas (0)"),
    ],
)
def test_each_bound_refuses(
    current: int, delta: int, request_max: int, ceiling: int, factor: float, named: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        plan(current, delta, request_max, ceiling, factor)
    assert caught.value.code == "out_of_bounds"
    assert not caught.value.retryable
    assert named in caught.value.message
    assert f"from {current} to {current + delta} replicas" in caught.value.message


def test_every_exceeded_bound_is_named() -> None:
    with pytest.raises(AdapterError) as caught:
        plan(2, 8, request_max=6, ceiling=5)
    message = caught.value.message
    assert "max_replicas 6" in message
    assert "ceiling 5" in message
    assert "(4)" in message


def test_a_step_below_one_is_invalid() -> None:
    with pytest.raises(AdapterError) as caught:
        plan(3, 0)
    assert caught.value.code == "invalid_params"
