"""Subject resolution: one case per rule, on labels as real senders deliver them."""

from __future__ import annotations

import pytest

from bot.domain.subject import SubjectKind
from bot.subjects.backstage import services_from_backstage
from bot.subjects.resolve import resolve_subject
from bot.subjects.rules import SubjectRules, parse_environment_map
from bot.subjects.services_file import ServicesFileError, parse_services

KSM = {"job": "kube-state-metrics", "service": "kube-state-metrics", "instance": "10.2.3.4:8443"}
NODE_EXPORTER = {
    "job": "node-exporter",
    "service": "node-exporter",
    "namespace": "monitoring",
    "pod": "node-exporter-7x2kq",
    "instance": "10.0.1.5:9100",
}


@pytest.mark.parametrize(
    ("labels", "kind", "namespace", "name"),
    [
        # ReplicaSet-hash pod name → its Deployment, whatever exporter reported it.
        (
            {**KSM, "namespace": "shop", "pod": "checkout-7d9f8b6c5-x2x7q"},
            "deployment",
            "shop",
            "checkout",
        ),
        # StatefulSet ordinal.
        ({**KSM, "namespace": "data", "pod": "postgres-0"}, "statefulset", "data", "postgres"),
        # A CronJob's job.
        (
            {**KSM, "namespace": "data", "job_name": "nightly-report-28461120"},
            "cronjob",
            "data",
            "nightly-report",
        ),
        # An HPA scales the workload of its name.
        (
            {**KSM, "namespace": "shop", "horizontalpodautoscaler": "cart"},
            "deployment",
            "shop",
            "cart",
        ),
        # A claim of a volumeClaimTemplate, and prometheus-operator's <sts>-db template.
        (
            {"persistentvolumeclaim": "data-postgres-0", "namespace": "data"},
            "statefulset",
            "data",
            "postgres",
        ),
        (
            {
                "persistentvolumeclaim": "prometheus-k8s-db-prometheus-k8s-0",
                "namespace": "monitoring",
            },
            "statefulset",
            "monitoring",
            "prometheus-k8s",
        ),
        ({"persistentvolumeclaim": "scratch", "namespace": "data"}, "volume", "data", "scratch"),
        # node-exporter's own pod and namespace are provenance; the instance is the node.
        (
            {**NODE_EXPORTER, "alertname": "NodeFilesystemAlmostOutOfSpace"},
            "node",
            None,
            "10.0.1.5",
        ),
        (
            {"alertname": "KubeNodeNotReady", "node": "ip-10-0-1-5", **KSM},
            "node",
            None,
            "ip-10-0-1-5",
        ),
        # Control plane and the monitoring stack itself.
        (
            {"alertname": "KubeAPIErrorBudgetBurn", "job": "apiserver"},
            "cluster_component",
            None,
            "kube-apiserver",
        ),
        (
            {
                "alertname": "AlertmanagerClusterCrashlooping",
                "namespace": "monitoring",
                "pod": "alertmanager-main-1",
            },
            "statefulset",
            "monitoring",
            "alertmanager-main",
        ),
        # A probe is about what it probes.
        (
            {
                "alertname": "BlackboxProbeFailed",
                "job": "blackbox",
                "instance": "https://api.example.com/health",
            },
            "service",
            None,
            "api.example.com",
        ),
        # A datastore exporter's instance names the database host.
        (
            {"alertname": "MysqlDown", "job": "mysql", "instance": "db-1.prod.example.com:9104"},
            "service",
            None,
            "db-1.prod.example.com",
        ),
        # An application's own metrics.
        (
            {"alertname": "HighErrorRate", "service": "payments", "namespace": "payments"},
            "service",
            "payments",
            "payments",
        ),
        # Nothing names a subject.
        ({"alertname": "Watchdog", "prometheus": "monitoring/k8s"}, "unknown", None, None),
    ],
)
def test_subject_of(
    labels: dict[str, str], kind: str, namespace: str | None, name: str | None
) -> None:
    subject = resolve_subject(labels, SubjectRules())
    assert (subject.kind.value, subject.namespace, subject.name) == (kind, namespace, name)
    assert subject.derived_from


def test_two_workloads_behind_one_exporter_are_two_subjects() -> None:
    one = resolve_subject(
        {**KSM, "namespace": "shop", "pod": "checkout-7d9f8b6c5-x2x7q"}, SubjectRules()
    )
    two = resolve_subject(
        {**KSM, "namespace": "shop", "pod": "cart-5c8d9f7b6d-q2w4z"}, SubjectRules()
    )
    assert one.key != two.key
    assert "kube-state-metrics" not in one.target + two.target


def test_environment_from_the_map_then_the_services_file_then_the_default() -> None:
    catalog = parse_services(
        "services:\n  - name: checkout\n    environment: staging\n    team: shop-oncall\n"
        "    namespaces: [shop]\n    workloads: [shop/checkout]\n",
        "services.yml",
    )
    rules = SubjectRules(
        environment_map=parse_environment_map("prod-*=production,stg-*=staging"),
        services=catalog,
    )
    labels = {"namespace": "shop", "pod": "checkout-7d9f8b6c5-x2x7q"}
    assert resolve_subject({**labels, "cluster": "prod-eu1"}, rules).environment == "production"
    claimed = resolve_subject(labels, rules)
    assert (claimed.environment, claimed.service, claimed.team) == (
        "staging",
        "checkout",
        "shop-oncall",
    )
    assert resolve_subject({"node": "n1"}, rules).environment == "production"
    with pytest.raises(ValueError, match="glob=environment"):
        parse_environment_map("production")


def test_a_bad_services_file_names_its_problem() -> None:
    with pytest.raises(
        ServicesFileError, match="workload 'checkout' must be written namespace/name"
    ):
        parse_services("services:\n  - name: checkout\n    workloads: [checkout]\n", "s.yml")
    with pytest.raises(ServicesFileError, match="listed twice"):
        parse_services("services:\n  - name: a\n  - name: a\n", "s.yml")


def test_backstage_components_become_services() -> None:
    text = (
        "kind: Component\nmetadata:\n  name: checkout\n  annotations:\n"
        "    backstage.io/kubernetes-id: checkout-api\n"
        "    backstage.io/kubernetes-namespace: shop\nspec:\n  owner: group:default/Shop-Team\n"
        "---\nkind: System\nmetadata:\n  name: shop\n"
    )
    catalog = parse_services(services_from_backstage([("catalog-info.yaml", text)]), "out")
    [entry] = catalog.entries
    assert (entry.name, entry.team, entry.workloads) == (
        "checkout",
        "shop-team",
        ("shop/checkout-api",),
    )
    assert catalog.claim("shop", "checkout-api") == entry
    assert SubjectKind.DEPLOYMENT.is_workload
