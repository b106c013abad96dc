"""The embedded runbook triage, one case per shipped runbook class."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bot.domain.signals import Signal, SignalStatus
from bot.triage.checks import check_triage
from bot.triage.context import ChangeEvent, PastIncident
from bot.triage.models import CheckCode, Classification, FallbackReason, Provenance, TriageSource
from bot.triage.runbook_triage import runbook_triage, triage_by_runbook
from policies.engine_inputs import PastOutcome
from policies.runbooks import ChangeKind
from tests.triage.factories import (
    T0,
    alert,
    context_for,
    crash_signal,
    deploy,
    shipped_runbooks,
)


@dataclass(frozen=True)
class Case:
    id: str
    signals: list[Signal]
    service: str
    incident_class: str
    classification: Classification
    actions: list[tuple[str, dict[str, str]]]
    paging: bool
    changes: list[ChangeEvent] = field(default_factory=list)
    flags: set[CheckCode] = field(default_factory=set)
    mim: bool = False


CASES = [
    # Warning-level crash loop: save diagnostics, then a rolling restart.
    Case(
        id="crash_looping_service",
        signals=[crash_signal()],
        service="checkout",
        incident_class="crash_looping_service",
        classification=Classification.MEDIUM,
        actions=[("collect_diagnostics", {}), ("restart_deployment", {})],
        paging=False,
    ),
    # Error rate up twelve minutes after a deploy: roll back; critical, so page.
    Case(
        id="bad_deploy",
        signals=[
            alert(
                {
                    "alertname": "HighErrorRate",
                    "job": "payments-api",
                    "namespace": "payments",
                    "service": "payments",
                    "severity": "critical",
                },
                {
                    "summary": "5xx ratio above 5% for payments-api",
                    "description": "5.2% of requests to payments-api fail since the deploy.",
                },
                fingerprint="7f3e2a9b11c04d65",
            )
        ],
        service="payments",
        changes=[deploy(12, subject="v3.8.1", pointer="argocd:payments/5531")],
        incident_class="bad_deploy",
        classification=Classification.HIGH,
        actions=[("rollback_deployment", {})],
        paging=True,
    ),
    # The autoscaler is at its ceiling: add two replicas, never beyond twenty.
    Case(
        id="load_saturation",
        signals=[
            alert(
                {
                    "alertname": "KubeHpaMaxedOut",
                    "horizontalpodautoscaler": "search-api",
                    "namespace": "search",
                    "service": "search",
                    "severity": "warning",
                },
                {
                    "description": "HPA search/search-api has been running at max replicas"
                    " for longer than 15 minutes.",
                    "summary": "HPA is running at max replicas",
                },
                fingerprint="2c9d4e8f00a1b3c5",
            )
        ],
        service="search",
        incident_class="load_saturation",
        classification=Classification.MEDIUM,
        actions=[("scale_deployment", {"max_replicas": "20", "replicas_delta": "2"})],
        paging=False,
    ),
    # A flag flipped five minutes before errors began: turn that flag off.
    Case(
        id="faulty_feature_flag",
        signals=[
            alert(
                {
                    "alertname": "FeatureFlagErrorSpike",
                    "feature_flag": "new-checkout-flow",
                    "service": "checkout",
                    "severity": "warning",
                },
                {"summary": "Errors on the new-checkout-flow code path"},
                fingerprint="9a8b7c6d5e4f3a2b",
            )
        ],
        service="checkout",
        changes=[
            ChangeEvent(
                kind=ChangeKind.FEATURE_FLAG,
                description="new-checkout-flow turned on for 100% of users",
                at=T0 - timedelta(minutes=5),
                pointer="flags:audit/88121",
                subject="new-checkout-flow",
            )
        ],
        incident_class="faulty_feature_flag",
        classification=Classification.MEDIUM,
        actions=[("disable_feature_flag", {"flag": "new-checkout-flow"})],
        paging=False,
    ),
    # The captured Alertmanager 0.25 alert: critical disk, run the cleanup, page.
    Case(
        id="disk_pressure",
        signals=[
            alert(
                {
                    "alertname": "DiskFull",
                    "instance": "db1",
                    "service": "db",
                    "severity": "critical",
                },
                {"runbook_url": "http://runbooks/disk", "summary": "Disk 95% full"},
            )
        ],
        service="db",
        incident_class="disk_pressure",
        classification=Classification.HIGH,
        actions=[("run_webhook", {"webhook": "disk-cleanup"})],
        paging=True,
    ),
    # cert-manager warns six days ahead: renew now.
    Case(
        id="certificate_expiry",
        signals=[
            alert(
                {
                    "alertname": "CertManagerCertExpirySoon",
                    "exported_namespace": "ingress",
                    "issuer_name": "letsencrypt-prod",
                    "name": "api-tls",
                    "service": "api-gateway",
                    "severity": "warning",
                },
                {
                    "description": "The certificate api-tls expires in 6 days.",
                    "summary": "Certificate expires soon",
                },
                fingerprint="5b6c7d8e9f0a1b2c",
            )
        ],
        service="api-gateway",
        incident_class="certificate_expiry",
        classification=Classification.MEDIUM,
        actions=[("escalate_to_human", {})],
        paging=False,
    ),
    # A third party fails: nothing of ours can fix it, so only escalation.
    Case(
        id="dependency_outage",
        signals=[
            alert(
                {
                    "alertname": "UpstreamServiceUnavailable",
                    "dependency": "stripe-api",
                    "service": "payments",
                    "severity": "critical",
                },
                {"summary": "Requests from payments to upstream stripe-api fail with 503"},
                fingerprint="0e1f2a3b4c5d6e7f",
            )
        ],
        service="payments",
        incident_class="dependency_outage",
        classification=Classification.HIGH,
        actions=[("escalate_to_human", {})],
        paging=True,
    ),
    # Corrupted rows: humans only, sev1, and one signal is flagged as thin ground.
    Case(
        id="security_or_data_integrity",
        signals=[
            alert(
                {
                    "alertname": "DataIntegrityChecksumMismatch",
                    "category": "data-integrity",
                    "rule": "ledger_row_checksum",
                    "service": "ledger",
                    "severity": "critical",
                },
                {"summary": "Checksum mismatch on 42 rows of ledger.entries after replication"},
                fingerprint="ab12cd34ef56ab78",
            )
        ],
        service="ledger",
        incident_class="security_or_data_integrity",
        classification=Classification.SEV1,
        actions=[("escalate_to_human", {"team": "security"})],
        paging=True,
        mim=True,
        flags={CheckCode.SEV1_SINGLE_SIGNAL},
    ),
    # A node is not ready: no catalog action acts on a node, so a responder decides.
    Case(
        id="node_pressure",
        signals=[
            alert(
                {"alertname": "KubeNodeNotReady", "node": "ip-10-0-1-5", "severity": "warning"},
                {"summary": "Node is not ready.", "description": "ip-10-0-1-5 is unready."},
                fingerprint="4d5e6f7a8b9c0d1e",
            )
        ],
        service="ip-10-0-1-5",
        incident_class="node_pressure",
        classification=Classification.MEDIUM,
        actions=[("escalate_to_human", {})],
        paging=False,
    ),
    # OOM kills: a restart only restarts the countdown; diagnostics, then people.
    Case(
        id="out_of_memory",
        signals=[
            alert(
                {
                    "alertname": "KubeContainerOOMKilled",
                    "namespace": "shop",
                    "container": "api",
                    "reason": "OOMKilled",
                    "severity": "warning",
                },
                {"summary": "Container api was OOMKilled 3 times in 10 minutes."},
                fingerprint="5e6f7a8b9c0d1e2f",
            )
        ],
        service="cart",
        incident_class="out_of_memory",
        classification=Classification.MEDIUM,
        actions=[("collect_diagnostics", {}), ("escalate_to_human", {})],
        paging=False,
    ),
    # A failed CronJob run: a re-run can repeat side effects, so nothing runs by itself.
    Case(
        id="job_failure",
        signals=[
            alert(
                {
                    "alertname": "KubeJobFailed",
                    "job_name": "nightly-report-28461120",
                    "namespace": "data",
                    "severity": "warning",
                },
                {"summary": "Job failed to complete."},
                fingerprint="6f7a8b9c0d1e2f3a",
            )
        ],
        service="nightly-report",
        incident_class="job_failure",
        classification=Classification.LOW,
        actions=[("collect_diagnostics", {}), ("escalate_to_human", {})],
        paging=False,
    ),
    # The database is out of connections: scaling clients up would make it worse.
    Case(
        id="connection_saturation",
        signals=[
            alert(
                {
                    "alertname": "PostgresqlTooManyConnections",
                    "instance": "postgres-0:9187",
                    "severity": "warning",
                },
                {"summary": "PostgreSQL instance has too many connections (> 80%)."},
                fingerprint="7a8b9c0d1e2f3a4b",
            )
        ],
        service="postgres",
        incident_class="connection_saturation",
        classification=Classification.MEDIUM,
        actions=[("collect_diagnostics", {}), ("escalate_to_human", {})],
        paging=False,
    ),
    # Budget burn with no change in sight: a symptom, not a cause; escalate, never roll back.
    Case(
        id="error_budget_burn",
        signals=[
            alert(
                {
                    "alertname": "KubeAPIErrorBudgetBurn",
                    "long": "1h",
                    "short": "5m",
                    "severity": "critical",
                },
                {
                    "summary": "The API server is burning too much error budget.",
                    "description": "The API server is burning too much error budget.",
                },
                fingerprint="8b9c0d1e2f3a4b5c",
            )
        ],
        service="kube-apiserver",
        incident_class="error_budget_burn",
        classification=Classification.HIGH,
        actions=[("escalate_to_human", {})],
        paging=True,
    ),
]


def test_error_budget_burn_after_a_deploy_proposes_the_rollback() -> None:
    signal = next(c for c in CASES if c.id == "error_budget_burn").signals[0]
    context = context_for(
        [signal], service="kube-apiserver", changes=[deploy(20, subject="v1.30.2", pointer="d:1")]
    )
    proposed = [a.action for a in triage_by_runbook(context).report.proposed_actions]
    assert proposed == ["rollback_deployment", "escalate_to_human"]


@pytest.mark.parametrize(
    ("alertname", "labels", "expected"),
    [
        # Case does not hide a class: HighCpu is HighCPU.
        ("HostHighCpuLoad", {}, "node_pressure"),
        ("AlertmanagerClusterCrashlooping", {}, "crash_looping_service"),
        # A label value decides between classes of one alertname.
        ("KubeNodePressure", {"condition": "DiskPressure", "node": "n1"}, "disk_pressure"),
        ("KubeNodePressure", {"condition": "MemoryPressure", "node": "n1"}, "node_pressure"),
        # Words an SRE reads as data integrity.
        ("KafkaUncleanLeaderElection", {}, "security_or_data_integrity"),
        # Meta-alerts belong to no runbook.
        ("Watchdog", {}, "unknown"),
        ("TargetDown", {"job": "checkout"}, "unknown"),
        ("PrometheusRuleFailures", {}, "unknown"),
    ],
)
def test_classes_of_real_alert_names(alertname: str, labels: dict[str, str], expected: str) -> None:
    signal = alert(
        {"alertname": alertname, "severity": "warning", **labels},
        {"summary": f"{alertname} fired"},
        fingerprint=hashlib.sha256(alertname.encode()).hexdigest()[:16],
    )
    report = runbook_triage(context_for([signal], service="svc"))
    assert report.incident_class == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_runbook_triage_per_class(case: Case) -> None:
    context = context_for(case.signals, service=case.service, changes=case.changes)

    checked = triage_by_runbook(context)

    report = checked.report
    assert report.incident_class == case.incident_class
    assert report.classification is case.classification
    assert report.requires_paging is case.paging
    assert report.requires_mim is case.mim
    proposed = [(a.action, a.param_map()) for a in report.proposed_actions]
    assert proposed == case.actions
    assert all(a.target == f"production/{case.service}" for a in report.proposed_actions)
    assert checked.dropped_actions == []
    assert {f.code for f in checked.flags} == case.flags
    assert checked.source is TriageSource.RUNBOOK
    assert checked.model == "runbook"
    assert 0.3 < report.confidence <= 0.9


def test_every_shipped_class_has_a_case() -> None:
    assert {c.incident_class for c in CASES} == {r.name for r in shipped_runbooks()}


def test_confidence_follows_the_documented_formula() -> None:
    # crash_looping: match 1.0 (alertname 0.55, reason label 0.45, keywords, capped at 1),
    # evidence 2 of 3 (pod, container; no past incident), all firing signals matched.
    context = context_for([crash_signal()])
    assert context.runbook_matches[0].score == 1.0

    assert runbook_triage(context).confidence == round(0.5 * 1.0 + 0.35 * 2 / 3 + 0.15, 2)

    with_history = context_for(
        [crash_signal()],
        past_incidents=[
            PastIncident(
                title="checkout crash loop after config push",
                resolution="rolling restart",
                pointer="INC-4411",
                verified=True,
            )
        ],
    )
    # 0.5 + 0.35 + 0.15 = 1.0, above what rules may claim.
    assert runbook_triage(with_history).confidence == 0.9


def test_a_past_incident_is_evidence_only_with_a_verified_outcome() -> None:
    unverified = PastIncident(title="crash loop", resolution="resolved", pointer="INC-1")
    context = context_for([crash_signal()], past_incidents=[unverified])
    assert (
        runbook_triage(context).confidence
        == runbook_triage(context_for([crash_signal()])).confidence
    )


def test_confidence_moves_with_how_the_remedy_ended_before() -> None:
    def outcome(result: str) -> PastOutcome:
        return PastOutcome("restart_deployment", "k", "crash_looping_service", result, 12, T0)

    base = runbook_triage(context_for([crash_signal()])).confidence
    failed = runbook_triage(context_for([crash_signal()], outcomes=[outcome("failed")]))
    worked = runbook_triage(context_for([crash_signal()], outcomes=[outcome("verified")]))
    assert failed.confidence == round(base - 0.2, 2)
    # Up a little, never past what rules may claim.
    assert worked.confidence == min(0.9, round(base + 0.05, 2)) > base
    assert any("restart_deployment was failed on #12" in u for u in failed.unknowns)


def test_missing_evidence_withholds_the_action_that_needs_it() -> None:
    signal = CASES[1].signals[0]
    without_deploy = context_for([signal], service="payments")

    report = runbook_triage(without_deploy)

    assert report.incident_class == "bad_deploy"
    assert report.proposed_actions == []
    assert "rollback_deployment not proposed: missing evidence recent_deploy" in report.unknowns
    with_deploy = runbook_triage(
        context_for([signal], service="payments", changes=CASES[1].changes)
    )
    assert report.confidence < with_deploy.confidence


def test_a_change_after_onset_or_outside_the_window_is_not_evidence() -> None:
    signal = CASES[1].signals[0]
    too_old = deploy(121, pointer="argocd:payments/1")
    too_late = deploy(-1, pointer="argocd:payments/2")

    report = runbook_triage(context_for([signal], service="payments", changes=[too_old, too_late]))

    assert report.proposed_actions == []


def test_flag_key_from_change_record_wins_over_alert_label() -> None:
    signal = alert(
        {
            "alertname": "FeatureFlagErrorSpike",
            "feature_flag": "label-says-this-flag",
            "service": "checkout",
            "severity": "warning",
        }
    )
    changes = CASES[3].changes

    report = runbook_triage(context_for([signal], changes=changes))

    assert [a.param_map() for a in report.proposed_actions] == [{"flag": "new-checkout-flow"}]


def test_several_production_crash_loops_escalate_to_sev1_with_mim() -> None:
    signals = [crash_signal(fingerprint=f"{n:016x}") for n in range(3)]

    checked = triage_by_runbook(context_for(signals))

    assert checked.report.classification is Classification.SEV1
    assert checked.report.requires_mim is True
    assert checked.report.requires_paging is True
    assert not checked.has(CheckCode.SEV1_SINGLE_SIGNAL)


def test_a_human_only_match_wins_over_a_stronger_one() -> None:
    security = CASES[7].signals[0]
    context = context_for([crash_signal(), security])

    checked = triage_by_runbook(context)

    assert context.runbook_matches[0].name == "crash_looping_service"
    assert checked.report.incident_class == "security_or_data_integrity"
    assert [a.action for a in checked.report.proposed_actions] == ["escalate_to_human"]


def test_no_matching_runbook_gives_unknown_and_escalation_only() -> None:
    signal = alert(
        {"alertname": "WeirdThingHappened", "service": "checkout", "severity": "error"},
        {"summary": "Something odd"},
    )

    checked = triage_by_runbook(context_for([signal]))

    report = checked.report
    assert report.incident_class == "unknown"
    assert report.classification is Classification.HIGH
    assert report.confidence == 0.1
    assert [a.action for a in report.proposed_actions] == ["escalate_to_human"]
    assert checked.dropped_actions == []


def test_an_unnameable_scope_gets_no_action_rather_than_an_error() -> None:
    long_service = "s" * 250

    report = runbook_triage(context_for([crash_signal()], service=long_service))

    assert report.incident_class == "crash_looping_service"
    assert report.proposed_actions == []
    assert any("too long" in u for u in report.unknowns)


def test_same_input_gives_the_same_report() -> None:
    signals = [crash_signal(fingerprint=f"{n:016x}") for n in range(2)] + CASES[1].signals
    first = runbook_triage(context_for(signals, changes=CASES[1].changes))
    again = runbook_triage(context_for(signals, changes=CASES[1].changes))
    shuffled = runbook_triage(context_for(list(reversed(signals)), changes=CASES[1].changes))

    assert first.model_dump_json() == again.model_dump_json()
    assert first.model_dump_json() == shuffled.model_dump_json()


def test_resolved_signals_are_not_escalated() -> None:
    signal = crash_signal(severity="critical", status=SignalStatus.RESOLVED)

    checked = triage_by_runbook(context_for([signal]))

    assert checked.report.classification is Classification.MEDIUM
    assert checked.report.requires_paging is False
    assert checked.has(CheckCode.SIGNAL_RESOLVED)
    assert checked.report.confidence == 0.3


def test_fallback_is_recorded_with_its_reason() -> None:
    checked = triage_by_runbook(context_for([crash_signal()]), FallbackReason.TIMEOUT)

    assert checked.source is TriageSource.RUNBOOK_FALLBACK
    assert checked.fallback_reason is FallbackReason.TIMEOUT
    assert checked.has(CheckCode.FALLBACK)
    assert checked.model == "runbook"


def test_runbook_provenance_hashes_the_report() -> None:
    context = context_for([crash_signal()])
    report = runbook_triage(context)

    checked = check_triage(report, context, Provenance.runbook(report))

    assert checked.answer_sha256 == hashlib.sha256(report.model_dump_json().encode()).hexdigest()
    assert checked.runbooks_version.startswith("sha256:")
