"""The policy in words, and `policy check` exit codes and messages."""

from __future__ import annotations

from pathlib import Path

from policies.catalog import CATALOG
from policies.describe import check_policy_file, describe_policy
from policies.policy import default_policy_file, fallback_policy
from policies.policy_schema import AutonomyMode, RiskClass
from tests.policies.factories import policy_with


def test_every_action_and_mode_is_described() -> None:
    text = describe_policy(policy_with())

    for name in CATALOG:
        assert f"- {name} via " in text, name
    for mode in AutonomyMode:
        assert f"- {mode}: " in text, mode
    for risk in RiskClass:
        assert f"- {risk}: user groups S0ONCALL" in text, risk


def test_service_modes_are_described_per_environment() -> None:
    policy = policy_with(
        {"autonomy": {"services": {"production/payments": "limited", "checkout": "shadow"}}},
        mode="assist",
    )

    text = describe_policy(policy)

    assert "By default every service runs in assist mode: every action needs approval" in text
    assert "In production, payments runs in limited mode: safe, reversible actions run" in text
    assert "In every environment, checkout runs in shadow mode" in text


def test_actions_are_described_with_their_rules() -> None:
    policy = policy_with({"actions": {"rollback_deployment": {"enabled": False}}})

    lines = {
        line.split(" via ")[0][2:]: line
        for line in describe_policy(policy).splitlines()
        if " via " in line
    }

    assert (
        "at most 2 times the current replicas and at most 20 replicas" in lines["scale_deployment"]
    )
    assert "replicas_delta at most 4" in lines["scale_deployment"]
    assert "two different approvers" in lines["run_webhook"]
    assert "not reversible" in lines["run_webhook"]
    assert "paging gate" in lines["page_oncall"]
    assert "disabled: always forbidden" in lines["rollback_deployment"]
    assert "runs by itself in limited mode" in lines["restart_deployment"]


def test_thresholds_and_limits_are_described() -> None:
    text = describe_policy(policy_with())

    assert "Ticket by itself only if confidence ≥ 0.70 and the environment is production" in text
    assert "classification ≥ high, confidence ≥ 0.80 and fewer than 5 pages" in text
    assert "sev1, confidence ≥ 0.85 and at least 2 independent sources" in text
    assert "Otherwise: human review." in text
    assert "Proposals expire after 30 min." in text
    assert "while 5 or more services alert within 10 min" in text


def test_the_fallback_says_so_loudly() -> None:
    text = describe_policy(fallback_policy("policy.yml, line 4: broken"))

    assert "THIS IS THE SAFE FALLBACK: policy.yml, line 4: broken" in text


def test_check_accepts_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text(default_policy_file().read_text(encoding="utf-8"), encoding="utf-8")

    code, text = check_policy_file(path)

    assert code == 0
    assert text.startswith(f"valid: {path}")
    assert "- restart_deployment via kubernetes" in text


def test_check_rejects_an_invalid_file_and_says_what_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    text = default_policy_file().read_text(encoding="utf-8")
    path.write_text(text.replace("max_factor: 2.0", "max_factor: 0.5"), encoding="utf-8")

    code, out = check_policy_file(path)

    assert code == 1
    first, second = out.splitlines()[:2]
    assert first.startswith(f"invalid: {path}, line ")
    assert "actions.scale_deployment.scale.max_factor" in first
    assert second.startswith("Fix actions.scale_deployment.scale.max_factor at line ")


def test_check_rejects_a_missing_file(tmp_path: Path) -> None:
    code, out = check_policy_file(tmp_path / "absent.yml")

    assert code == 1
    assert "file not found" in out
