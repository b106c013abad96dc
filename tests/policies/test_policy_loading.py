"""Loading the policy file: valid, every kind of invalid, the fallback, and the version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import policies.policy
from policies.catalog import CATALOG
from policies.policy import (
    MAX_POLICY_BYTES,
    PolicyLoad,
    default_policy_file,
    fallback_policy,
    load_policy,
)
from policies.policy_schema import AutonomyMode, RiskClass

SHIPPED_TEXT = default_policy_file().read_text(encoding="utf-8")
# A valid policy that gives autonomy, so a fallback to assist mode is visible.
AUTONOMOUS = SHIPPED_TEXT.replace("services: {}", "services: {checkout: mim}").replace(
    "  mode: assist", "  mode: limited"
)


def _write(tmp_path: Path, text: str, name: str = "policy.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _edit(old: str, new: str, text: str = AUTONOMOUS) -> str:
    assert old in text, f"{old!r} not in the policy"
    return text.replace(old, new, 1)


def test_the_shipped_policy_loads() -> None:
    loaded = load_policy()

    assert loaded.ok and loaded.problem is None
    policy = loaded.policy
    assert not policy.is_fallback
    assert re.fullmatch(r"policy-[0-9a-f]{12}", policy.version)
    assert set(policy.rules.actions) == set(CATALOG)
    assert policy.rules.thresholds.ticket.min_confidence == 0.70
    assert policy.rules.thresholds.paging.min_confidence == 0.80
    assert policy.rules.thresholds.major_incident.min_confidence == 0.85
    assert policy.rules.thresholds.major_incident.min_independent_sources == 2
    assert policy.rules.limits.proposal_expiry_minutes == 30


def test_an_autonomous_file_loads_with_its_modes(tmp_path: Path) -> None:
    loaded = load_policy(_write(tmp_path, AUTONOMOUS))

    assert loaded.ok
    assert loaded.policy.mode_for("checkout", "production") is AutonomyMode.MIM
    assert loaded.policy.mode_for("payments", "production") is AutonomyMode.LIMITED


INVALID: dict[str, tuple[str, str]] = {
    # Not YAML at all.
    "bad_yaml": ("actions:\n  restart_deployment: [\n", "invalid YAML"),
    # A misspelt key is an error, not silently ignored.
    "unknown_key": (_edit("  max_retries: 2", "  max_retrys: 2"), "limits.max_retrys"),
    # An action the catalog does not have.
    "unknown_action": (
        _edit(
            "actions:\n",
            "actions:\n  reboot_fleet:\n    adapter: ssh\n    risk: safe\n    reversible: true\n",
        ),
        "actions.reboot_fleet: unknown action",
    ),
    # Every catalog action must be covered.
    "missing_action": (
        _edit(
            "  run_webhook:\n    adapter: webhook\n    risk: semi_safe\n"
            "    # What a webhook does is outside our view; treat it as one-way.\n"
            "    reversible: false\n",
            "",
        ),
        "missing run_webhook",
    ),
    # YAML keeps the last of two equal keys; we refuse the file.
    "duplicate_key": (
        _edit("    risk: safe\n", "    risk: safe\n    risk: human_only\n"),
        "duplicate key 'risk'",
    ),
    # Confidence is a fraction.
    "threshold_above_one": (
        _edit("min_confidence: 0.80", "min_confidence: 1.5"),
        "thresholds.paging.min_confidence",
    ),
    "threshold_negative": (
        _edit("action_confidence: 0.70", "action_confidence: -0.1"),
        "thresholds.action_confidence",
    ),
    # A quoted number is a typo waiting to happen.
    "threshold_as_text": (
        _edit("min_confidence: 0.85", 'min_confidence: "0.85"'),
        "thresholds.major_incident.min_confidence",
    ),
    # Multi-signal gating never accepts a single source.
    "one_source": (
        _edit("min_independent_sources: 2", "min_independent_sources: 1"),
        "min_independent_sources",
    ),
    "unknown_mode": (_edit("  mode: limited", "  mode: yolo"), "autonomy.mode"),
    "unknown_risk": (_edit("    risk: semi_safe\n", "    risk: spicy\n"), "risk"),
    "shadow_imagines_shadow": (_edit("shadow_as: limited", "shadow_as: shadow"), "shadow_as"),
    "unsupported_format": (_edit("format: 1", "format: 2"), "format"),
    "bounds_on_a_text_parameter": (
        _edit(
            "  rollback_deployment:\n", "  rollback_deployment:\n    bounds: {revision: {max: 1}}\n"
        ),
        "actions.rollback_deployment.bounds.revision",
    ),
    "bounds_outside_the_catalog": (
        _edit("replicas_delta: {max: 4}", "replicas_delta: {min: 11}"),
        "leaves no value",
    ),
    "scale_limits_missing": (
        _edit("    scale:\n      max_factor: 2.0\n      max_replicas: 20\n", ""),
        "actions.scale_deployment: give scale",
    ),
    "scale_limits_shrink": (_edit("max_factor: 2.0", "max_factor: 0.5"), "max_factor"),
    "nobody_approves": (
        _edit("  safe:\n    groups: [S0ONCALL]", "  safe:\n    groups: []"),
        "nobody can approve",
    ),
    "human_only_by_one_person": (
        _edit("  human_only:\n    groups: [S0ONCALL]", "  human_only:\n    users: [U0ALICE]"),
        "human_only needs",
    ),
    "irreversible_by_one_person": (
        _edit(
            "    reversible: false\n",
            "    reversible: false\n    approvers: {users: [U0ALICE]}\n",
        ),
        "actions.run_webhook: needs two approvers",
    ),
    "not_a_slack_group": (_edit("groups: [S0ONCALL]", "groups: [oncall]"), "groups"),
    "service_budget_above_fleet": (_edit("per_service: 3", "per_service: 30"), "per_service"),
    "security_class_not_sensitive": (
        _edit(
            "incident_classes: [security_or_data_integrity]",
            "incident_classes: [billing_outage]",
        ),
        "must keep",
    ),
    "contradicting_flag_unknown": (
        _edit("    - signal_resolved\n", "    - cosmic_rays\n"),
        "contradicting_flags",
    ),
    "not_a_mapping": ("- just\n- a list\n", "mapping at the top level"),
    "empty": ("", "mapping at the top level"),
}


def _assert_fell_back(loaded: PolicyLoad, expected: str) -> None:
    assert not loaded.ok
    assert loaded.problem is not None
    assert expected in loaded.problem.message, loaded.problem.message
    policy = loaded.policy
    # Never half-loaded: nothing of the invalid file is in force.
    assert policy.is_fallback
    assert policy.version.startswith("policy-fallback-")
    assert policy.rules.autonomy.mode is AutonomyMode.ASSIST
    assert policy.rules.autonomy.services == {}
    assert policy.mode_for("checkout", "production") is AutonomyMode.ASSIST
    assert policy.fallback_reason == loaded.problem.message


@pytest.mark.parametrize(("text", "expected"), list(INVALID.values()), ids=list(INVALID))
def test_an_invalid_file_is_never_half_loaded(tmp_path: Path, text: str, expected: str) -> None:
    _assert_fell_back(load_policy(_write(tmp_path, text)), expected)


def test_a_problem_names_the_line_to_fix(tmp_path: Path) -> None:
    text = _edit("min_confidence: 0.80", "min_confidence: 1.5")
    line = 1 + text.splitlines().index("    min_confidence: 1.5")

    problem = load_policy(_write(tmp_path, text)).problem

    assert problem is not None
    assert problem.line == line
    assert problem.field == "thresholds.paging.min_confidence"
    assert f"line {line}" in problem.message
    assert "thresholds.paging.min_confidence" in problem.fix


def test_a_duplicate_key_names_its_line(tmp_path: Path) -> None:
    text = _edit("  max_retries: 2\n", "  max_retries: 2\n  max_retries: 9\n")
    line = 2 + text.splitlines().index("  max_retries: 2")

    problem = load_policy(_write(tmp_path, text)).problem

    assert problem is not None and problem.line == line
    assert "Fix the YAML at line" in problem.fix


def test_a_missing_file_falls_back(tmp_path: Path) -> None:
    _assert_fell_back(load_policy(tmp_path / "absent.yml"), "file not found")


def test_a_directory_falls_back(tmp_path: Path) -> None:
    _assert_fell_back(load_policy(tmp_path), "unreadable")


def test_a_binary_file_falls_back(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_bytes(b"\xff\xfe\x00garbage")

    _assert_fell_back(load_policy(path), "not UTF-8")


def test_a_huge_file_falls_back(tmp_path: Path) -> None:
    padding = "# " + "x" * 100 + "\n"
    text = AUTONOMOUS + padding * (MAX_POLICY_BYTES // len(padding) + 1)

    _assert_fell_back(load_policy(_write(tmp_path, text)), "larger than")


def test_the_version_ignores_comments_and_layout(tmp_path: Path) -> None:
    reformatted = "# our policy\n" + AUTONOMOUS.replace(
        "  paging:\n    min_classification: high\n    min_confidence: 0.80\n",
        "  paging: {min_confidence: 0.8, min_classification: high}  # reordered\n",
    )
    assert reformatted != AUTONOMOUS

    first = load_policy(_write(tmp_path, AUTONOMOUS, "a.yml")).policy.version
    again = load_policy(_write(tmp_path, AUTONOMOUS, "b.yml")).policy.version
    same = load_policy(_write(tmp_path, reformatted, "c.yml")).policy.version

    assert first == again == same


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("min_confidence: 0.80", "min_confidence: 0.81"),
        ("proposal_expiry_minutes: 30", "proposal_expiry_minutes: 31"),
        ("groups: [S0ONCALL]\n  semi_safe", "groups: [S0SRE]\n  semi_safe"),
        ("services: {checkout: mim}", "services: {checkout: paging}"),
    ],
)
def test_the_version_changes_with_any_rule(tmp_path: Path, old: str, new: str) -> None:
    before = load_policy(_write(tmp_path, AUTONOMOUS, "a.yml"))
    after = load_policy(_write(tmp_path, _edit(old, new), "b.yml"))

    assert before.ok and after.ok, after.problem
    assert before.policy.version != after.policy.version


def test_the_fallback_is_assist_mode_and_marked() -> None:
    policy = fallback_policy("policy.yml, line 3: broken")

    assert policy.is_fallback
    assert policy.fallback_reason == "policy.yml, line 3: broken"
    assert policy.rules.autonomy.mode is AutonomyMode.ASSIST
    assert set(policy.rules.actions) == set(CATALOG)
    assert policy.rules.actions["run_webhook"].risk is RiskClass.SEMI_SAFE
    # The same fallback whatever went wrong: its version is stable.
    assert fallback_policy("other").version == policy.version
    assert not load_policy().policy.is_fallback


def test_the_fallback_is_assist_even_when_the_shipped_policy_grants_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generous = _write(tmp_path, AUTONOMOUS, "shipped.yml")
    monkeypatch.setattr(policies.policy, "default_policy_file", lambda: generous)
    policies.policy._fallback_rules.cache_clear()
    try:
        assert load_policy().policy.mode_for("checkout", "production") is AutonomyMode.MIM
        fallback = fallback_policy("broken")
    finally:
        policies.policy._fallback_rules.cache_clear()

    assert fallback.rules.autonomy.mode is AutonomyMode.ASSIST
    assert fallback.mode_for("checkout", "production") is AutonomyMode.ASSIST
