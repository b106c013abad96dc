"""The bot against real alerting rules, labelled by what an SRE would do (see the corpus README)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.real_alerts import default_setup, load_corpus, run_case, score_corpus

CLASS_ACCURACY_FLOOR = 0.9
SUBJECT_ACCURACY_FLOOR = 0.7


def test_the_corpus_is_large_and_labelled() -> None:
    cases = load_corpus()
    assert len(cases) >= 80
    assert len({c["id"] for c in cases}) == len(cases)
    for case in cases:
        assert {"subject", "incident_class", "remediations"} <= set(case["expected"])


def test_floor_on_real_alerts() -> None:
    score = score_corpus()
    wrong = [(r.id, r.wrong_target) for r in score.results if r.wrong_target]
    unsafe = [(r.id, r.unsafe) for r in score.results if r.unsafe]
    misclassed = [(r.id, r.actual_class, r.expected_class) for r in score.results if not r.class_ok]
    # No remediation aimed at anything but the alert's subject, none where none is called for.
    assert wrong == []
    assert unsafe == []
    assert score.class_accuracy >= CLASS_ACCURACY_FLOOR, misclassed
    assert score.subject_accuracy >= SUBJECT_ACCURACY_FLOOR


def _case(case_id: str) -> dict[str, Any]:
    return next(c for c in load_corpus() if c["id"] == case_id)


def test_stock_crash_loop_restarts_the_workload_not_the_exporter() -> None:
    sim, _ = run_case(_case("kube-prometheus/KubePodCrashLooping"), default_setup())
    assert (sim.subject.kind, sim.subject.target) == ("deployment", "shop/checkout")
    assert "provenance ignored: job" in sim.subject.derived_from
    restart = [a for a in sim.proposed_actions if a.action == "restart_deployment"]
    assert [a.target for a in restart] == ["shop/checkout"]
    assert all("kube-state-metrics" not in a.target for a in sim.proposed_actions)


@pytest.mark.parametrize(
    ("case_id", "kind"),
    [
        ("kube-prometheus/KubeNodeNotReady", "node"),
        ("kube-prometheus/KubePersistentVolumeFillingUp-predicted", "statefulset"),
    ],
)
def test_no_deployment_action_targets_a_node_or_a_volume(case_id: str, kind: str) -> None:
    sim, _ = run_case(_case(case_id), default_setup())
    assert sim.subject.kind == kind
    deployment_actions = {"restart_deployment", "rollback_deployment", "scale_deployment"}
    assert not deployment_actions & {a.action for a in sim.proposed_actions}
