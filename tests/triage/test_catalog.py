"""The typed action catalog."""

from __future__ import annotations

import pytest

from policies.catalog import CATALOG, ActionEffect, is_catalog_action, scope_target

EXPECTED = {
    "restart_deployment": ActionEffect.REMEDIATION,
    "rollback_deployment": ActionEffect.REMEDIATION,
    "scale_deployment": ActionEffect.REMEDIATION,
    "disable_feature_flag": ActionEffect.REMEDIATION,
    "enable_feature_flag": ActionEffect.REMEDIATION,
    "run_webhook": ActionEffect.REMEDIATION,
    "collect_diagnostics": ActionEffect.READ_ONLY,
    "page_oncall": ActionEffect.HUMAN,
    "create_ticket": ActionEffect.HUMAN,
    "escalate_to_human": ActionEffect.HUMAN,
}


def test_catalog_lists_each_action_with_its_effect() -> None:
    assert {name: spec.effect for name, spec in CATALOG.items()} == EXPECTED
    assert all(spec.description for spec in CATALOG.values())


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("restart_deployment", True),
        ("escalate_to_human", True),
        ("drop_database", False),
        ("RESTART_DEPLOYMENT", False),
        ("restart_deployment ", False),
        ("", False),
    ],
)
def test_is_catalog_action(name: str, known: bool) -> None:
    assert is_catalog_action(name) is known


@pytest.mark.parametrize(
    ("action", "param", "value", "ok"),
    [
        ("scale_deployment", "replicas_delta", "3", True),
        ("scale_deployment", "replicas_delta", "0", False),
        ("scale_deployment", "replicas_delta", "11", False),
        ("scale_deployment", "replicas_delta", "3.5", False),
        ("scale_deployment", "replicas_delta", "9" * 40, False),
        ("disable_feature_flag", "flag", "new-checkout-flow", True),
        ("disable_feature_flag", "flag", "new checkout flow", False),
        ("disable_feature_flag", "flag", "../etc/passwd", False),
        ("disable_feature_flag", "flag", "", False),
        ("run_webhook", "webhook", "disk-cleanup", True),
        ("run_webhook", "webhook", "https://evil.example/hook", False),
        ("page_oncall", "urgency", "high", True),
        ("page_oncall", "urgency", "urgent", False),
    ],
)
def test_param_values_are_typed(action: str, param: str, value: str, ok: bool) -> None:
    spec = CATALOG[action].param(param)
    assert spec is not None

    assert (spec.problem(value) is None) is ok


def test_required_params_and_scope() -> None:
    assert CATALOG["scale_deployment"].required_params == {"replicas_delta", "max_replicas"}
    assert CATALOG["restart_deployment"].param_names == frozenset()
    assert scope_target("production", "checkout") == "production/checkout"
