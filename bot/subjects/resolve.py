"""Subject resolution: from an alert's labels to the workload, node or component it is about.

Rules, strongest first: an alert about the monitoring stack itself is about that
component; Kubernetes object labels of the alerting series (deployment, statefulset,
job, HPA, claim, pod) name a workload; then a node; then a control-plane component;
then a probed endpoint; then a service label. Scrape-target labels that name an
exporter are provenance and never win. Every step says which labels decided it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.domain.subject import UNKNOWN_SERVICE, Subject, SubjectKind
from bot.subjects.conventions import Owner, claim_owner, job_owner, pod_owner
from bot.subjects.rules import NODE_JOBS, SubjectRules

# Alerts of the monitoring stack about itself: (alertname prefix, component).
_SELF_MONITORING: tuple[tuple[str, str], ...] = (
    ("prometheusoperator", "prometheus-operator"),
    ("prometheus", "prometheus"),
    ("alertmanager", "alertmanager"),
    ("kubestatemetrics", "kube-state-metrics"),
    ("nodeexporter", "node-exporter"),
    ("configreloader", "config-reloader"),
    ("thanos", "thanos"),
    ("loki", "loki"),
)
# Control-plane alerts: (alertname prefix, component).
_CONTROL_PLANE: tuple[tuple[str, str], ...] = (
    ("kubeapi", "kube-apiserver"),
    ("kubeaggregatedapi", "kube-apiserver"),
    ("kubeclientcertificate", "kube-apiserver"),
    ("kubeclienterrors", "kube-apiserver"),
    ("kubeversionmismatch", "kube-apiserver"),
    ("kubeletdown", "kubelet"),
    ("kubeproxydown", "kube-proxy"),
    ("kubeschedulerdown", "kube-scheduler"),
    ("kubecontrollermanagerdown", "kube-controller-manager"),
    ("etcd", "etcd"),
    ("coredns", "coredns"),
)
_CONTROL_PLANE_JOBS: Mapping[str, str] = {
    "apiserver": "kube-apiserver",
    "kube-apiserver": "kube-apiserver",
    "etcd": "etcd",
    "kube-etcd": "etcd",
    "kube-scheduler": "kube-scheduler",
    "kube-controller-manager": "kube-controller-manager",
    "coredns": "coredns",
    "kube-dns": "coredns",
    "kube-proxy": "kube-proxy",
}
_NODE_ALERT = re.compile(r"^(node|host|kubenode|kubelet)", re.IGNORECASE)
_PROBE_ALERT = re.compile(r"^(blackbox|probe|ssl|http|endpoint)", re.IGNORECASE)
_JOB_ALERT = re.compile(r"job", re.IGNORECASE)
_EXPORTER_SUFFIX = re.compile(r"^(?P<name>.+?)[-_](exporter|metrics)$")
_SERVICE_LABELS = ("app_kubernetes_io_name", "app.kubernetes.io/name", "app", "k8s_app")
_NODE_LABELS = ("node", "kubernetes_node", "nodename", "hostname")
# Labels naming a Kubernetes object of the series itself (kept by honor_labels).
_OBJECT_LABELS = (
    "deployment",
    "statefulset",
    "daemonset",
    "cronjob",
    "job_name",
    "horizontalpodautoscaler",
    "persistentvolumeclaim",
)
# Labels that SLO generators and clustered datastores put on their alerts.
_SUBJECT_SERVICE_LABELS = ("sloth_service", "kafka_cluster")
_GITOPS_ALERT = re.compile(r"argo|flux", re.IGNORECASE)
_DATASTORE = re.compile(
    r"mysql|mariadb|postgres|pgbouncer|redis|rabbitmq|kafka|elasticsearch|mongo|memcache",
    re.IGNORECASE,
)
_HOSTNAME = re.compile(r"[a-z].*\.[a-z]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Found:
    kind: SubjectKind
    name: str | None
    namespace: str | None
    derived_from: tuple[str, ...]


def resolve_subject(
    labels: Mapping[str, str], rules: SubjectRules, fallback_service: str | None = None
) -> Subject:
    """What the alert with these labels is about; `fallback_service` is the source's own word."""
    self_monitoring = _self_monitoring_component(labels.get("alertname", ""))
    # An alert of the monitoring stack about itself is about the exporter's own pods.
    view = _Labels(labels, rules, keep_exporters=self_monitoring is not None)
    workload = _workload(view)
    if workload is not None and workload.kind is SubjectKind.POD:
        # A pod whose owner no convention reveals says less than a service the sender
        # named; the pod stays in derived_from either way.
        named = _service(view) or _fallback(view, fallback_service)
        if named.kind is SubjectKind.SERVICE:
            workload = _Found(
                named.kind,
                named.name,
                named.namespace or workload.namespace,
                (*named.derived_from, f"pod {workload.name} (owner unknown)"),
            )
    found = (
        workload
        or _self_monitoring(view, self_monitoring)
        or _gitops(view)
        or _node(view)
        or _control_plane(view)
        or _probe(view)
        or _service(view)
        or _fallback(view, fallback_service)
    )
    return _finish(found, view, rules)


class _Labels:
    """The alert's labels with exporter provenance set aside."""

    def __init__(
        self, labels: Mapping[str, str], rules: SubjectRules, *, keep_exporters: bool = False
    ) -> None:
        self.raw = labels
        self.rules = rules
        self.keep_exporters = keep_exporters
        self.alertname = labels.get("alertname", "")
        self.provenance: list[str] = []
        # Without honor_labels, Prometheus renames the object's labels `exported_*`;
        # Falco names the pod it saw in k8s_pod_name.
        pod = labels.get("k8s_pod_name") or labels.get("exported_pod") or labels.get("pod")
        namespace = (
            labels.get("k8s_ns_name") or labels.get("exported_namespace") or labels.get("namespace")
        )
        if not keep_exporters and rules.is_exporter_pod(pod):
            # The series came from the exporter's own pod. Its namespace is the
            # exporter's too, unless the series names an object (honor_labels kept the
            # object's namespace then).
            self.provenance.append("pod")
            pod = None
            if not any(labels.get(name) for name in _OBJECT_LABELS):
                self.provenance.append("namespace")
                namespace = None
        self.pod = pod
        self.namespace = namespace
        # What an exporter called `<thing>-exporter` reports on, if nothing better is found.
        self.exporter_of: str | None = None
        self.job = self._unless_exporter("job")
        self.service = self._unless_exporter("service")
        self.container = self._unless_exporter("container")

    def _unless_exporter(self, name: str) -> str | None:
        value = self.raw.get(f"exported_{name}") or self.raw.get(name)
        if not self.keep_exporters and self.rules.is_exporter(value):
            self.provenance.append(name)
            match = _EXPORTER_SUFFIX.match(value or "")
            if name == "job" and match and value and value.casefold() not in self.rules.exporters:
                self.exporter_of = match["name"]
            return None
        return value or None

    def get(self, name: str) -> str | None:
        return self.raw.get(name) or None


def _self_monitoring_component(alertname: str) -> str | None:
    lowered = alertname.casefold()
    return next((c for prefix, c in _SELF_MONITORING if lowered.startswith(prefix)), None)


def _self_monitoring(view: _Labels, component: str | None) -> _Found | None:
    if component is None:
        return None
    return _Found(
        SubjectKind.CLUSTER_COMPONENT,
        component,
        view.get("namespace"),
        (f"alertname {view.alertname} (the monitoring stack itself)",),
    )


def _gitops(view: _Labels) -> _Found | None:
    """Argo CD and Flux report on their applications by a `name` label."""
    if not _GITOPS_ALERT.search(view.alertname) or not view.get("name"):
        return None
    namespace = view.get("dest_namespace") or view.get("exported_namespace") or view.namespace
    return _Found(
        SubjectKind.SERVICE, view.get("name"), namespace, ("name label of the GitOps application",)
    )


def _workload(view: _Labels) -> _Found | None:
    namespace = view.namespace
    explicit = (
        ("deployment", SubjectKind.DEPLOYMENT),
        ("statefulset", SubjectKind.STATEFULSET),
        ("daemonset", SubjectKind.DAEMONSET),
        ("cronjob", SubjectKind.CRONJOB),
    )
    for label, kind in explicit:
        value = view.get(label)
        if value:
            return _Found(kind, value, namespace, (f"{label} label",))
    job_name = view.get("job_name")
    if job_name:
        return _owned(job_owner(job_name), namespace, "job_name label")
    hpa = view.get("horizontalpodautoscaler")
    if hpa:
        # An HPA is named after the workload it scales in nearly every chart.
        return _Found(
            SubjectKind.DEPLOYMENT,
            hpa,
            namespace,
            ("horizontalpodautoscaler label (scale target by name)",),
        )
    claim = view.get("persistentvolumeclaim")
    if claim:
        return _owned(claim_owner(claim), namespace, "persistentvolumeclaim label")
    if view.pod:
        owner = pod_owner(view.pod, job_hint=bool(_JOB_ALERT.search(view.alertname)))
        if owner is None:
            return _Found(SubjectKind.POD, view.pod, namespace, ("pod label (owner unknown)",))
        return _owned(owner, namespace, "pod label")
    return None


def _owned(owner: Owner, namespace: str | None, label: str) -> _Found:
    steps = (label,) if owner.convention == label else (label, owner.convention)
    return _Found(owner.kind, owner.name, namespace, steps)


def _node(view: _Labels) -> _Found | None:
    for label in _NODE_LABELS:
        value = view.get(label)
        if value:
            return _Found(SubjectKind.NODE, value, None, (f"{label} label",))
    job = (view.raw.get("job") or "").casefold()
    instance = view.get("instance")
    if instance and (job in NODE_JOBS or _NODE_ALERT.match(view.alertname)):
        why = f"instance label of job {job}" if job in NODE_JOBS else "instance label"
        return _Found(SubjectKind.NODE, _host(instance), None, (why,))
    return None


def _control_plane(view: _Labels) -> _Found | None:
    lowered = view.alertname.casefold()
    for prefix, component in _CONTROL_PLANE:
        if lowered.startswith(prefix):
            return _Found(
                SubjectKind.CLUSTER_COMPONENT, component, None, (f"alertname {view.alertname}",)
            )
    job = (view.raw.get("job") or "").casefold()
    if job in _CONTROL_PLANE_JOBS:
        return _Found(SubjectKind.CLUSTER_COMPONENT, _CONTROL_PLANE_JOBS[job], None, ("job label",))
    return None


def _probe(view: _Labels) -> _Found | None:
    job = (view.raw.get("job") or "").casefold()
    instance = view.get("instance") or view.get("target")
    prober = "blackbox" in job or "probe" in job
    if instance and (prober or ("://" in instance and _PROBE_ALERT.match(view.alertname))):
        return _Found(SubjectKind.SERVICE, _host(instance), None, ("probed instance label",))
    return None


def _service(view: _Labels) -> _Found | None:
    for label in _SUBJECT_SERVICE_LABELS:
        value = view.get(label)
        if value:
            return _Found(SubjectKind.SERVICE, value, view.namespace, (f"{label} label",))
    if view.service:
        return _Found(SubjectKind.SERVICE, view.service, view.namespace, ("service label",))
    for label in _SERVICE_LABELS:
        value = view.get(label)
        if value:
            return _Found(SubjectKind.SERVICE, value, view.namespace, (f"{label} label",))
    instance = view.get("instance")
    datastore = _DATASTORE.search(view.raw.get("job") or "")
    if instance and (datastore or view.exporter_of) and _HOSTNAME.search(_host(instance)):
        # A database exporter's instance is the database host it watches.
        return _Found(SubjectKind.SERVICE, _host(instance), None, ("instance label (datastore)",))
    if view.exporter_of:
        return _Found(
            SubjectKind.SERVICE,
            view.exporter_of,
            view.namespace,
            ("job label (the exporter's subject)",),
        )
    if view.job:
        return _Found(SubjectKind.SERVICE, view.job, view.namespace, ("job label",))
    return None


def _fallback(view: _Labels, fallback_service: str | None) -> _Found:
    if (
        fallback_service
        and fallback_service != UNKNOWN_SERVICE
        and not view.rules.is_exporter(fallback_service)
    ):
        return _Found(SubjectKind.SERVICE, fallback_service, None, ("source's service",))
    return _Found(SubjectKind.UNKNOWN, None, None, ("no label names a subject",))


def _finish(found: _Found, view: _Labels, rules: SubjectRules) -> Subject:
    derived = list(found.derived_from)
    if view.provenance:
        derived.append("provenance ignored: " + ", ".join(sorted(set(view.provenance))))
    entry = rules.services.claim(found.namespace, found.name)
    service = found.name or UNKNOWN_SERVICE
    if entry is not None:
        service = entry.name
        derived.append(f"services file: {entry.name}")
    environment, why = _environment(view, found, rules, entry.environment if entry else None)
    derived.append(why)
    return Subject(
        kind=found.kind,
        namespace=found.namespace,
        name=found.name,
        environment=environment,
        service=service,
        team=entry.team if entry is not None else None,
        derived_from=tuple(derived),
    )


def _environment(
    view: _Labels, found: _Found, rules: SubjectRules, claimed: str | None
) -> tuple[str, str]:
    for label in ("environment", "env", "stage"):
        value = view.get(label)
        if value:
            return value, f"environment from {label} label"
    for label in ("cluster", "k8s_cluster"):
        value = view.get(label)
        if value:
            mapped = rules.environment_for(value)
            if mapped is not None:
                return mapped, f"environment from {label} label via the map"
    if found.namespace:
        mapped = rules.environment_for(found.namespace)
        if mapped is not None:
            return mapped, "environment from namespace via the map"
    if claimed:
        return claimed, "environment from services file"
    for label in ("cluster", "k8s_cluster"):
        value = view.get(label)
        if value:
            return value, f"environment from {label} label (not in the map)"
    return rules.default_environment, "default environment"


def _host(instance: str) -> str:
    """`10.0.1.5:9100` → `10.0.1.5`; `https://api.example.com/health` → `api.example.com`."""
    if "://" in instance:
        return urlsplit(instance).hostname or instance
    host, _, port = instance.rpartition(":")
    return host if host and port.isdigit() else instance
