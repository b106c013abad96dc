"""The subject of an alert: the thing it is about, as opposed to whatever reported it."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class SubjectKind(StrEnum):
    """What sort of thing an alert is about."""

    DEPLOYMENT = "deployment"
    STATEFULSET = "statefulset"
    DAEMONSET = "daemonset"
    JOB = "job"
    CRONJOB = "cronjob"
    POD = "pod"
    NODE = "node"
    VOLUME = "volume"
    CLUSTER_COMPONENT = "cluster_component"
    SERVICE = "service"
    UNKNOWN = "unknown"

    @property
    def is_workload(self) -> bool:
        """A namespaced Kubernetes object that runs containers."""
        return self in _WORKLOADS


_WORKLOADS = frozenset(
    {
        SubjectKind.DEPLOYMENT,
        SubjectKind.STATEFULSET,
        SubjectKind.DAEMONSET,
        SubjectKind.JOB,
        SubjectKind.CRONJOB,
        SubjectKind.POD,
    }
)

# Kinds whose target is written as namespace/name.
_NAMESPACED = _WORKLOADS | {SubjectKind.VOLUME}
UNKNOWN_SERVICE = "unknown"


class Subject(BaseModel):
    """What an alert is about, and which labels or lookups decided it.

    `service` is the name incidents, channels, freezes and per-service policy use: the
    owning service from the services file when one claims the subject, else its name.
    """

    model_config = ConfigDict(frozen=True)

    kind: SubjectKind = SubjectKind.UNKNOWN
    namespace: str | None = None
    name: str | None = None
    environment: str
    service: str = UNKNOWN_SERVICE
    team: str | None = None
    derived_from: tuple[str, ...] = Field(default_factory=tuple)

    @property
    def target(self) -> str:
        """The one target string every action about this subject must name."""
        if self.kind in _NAMESPACED and self.namespace and self.name:
            return f"{self.namespace}/{self.name}"
        if self.kind is SubjectKind.NODE and self.name:
            return f"node/{self.name}"
        if self.kind is SubjectKind.CLUSTER_COMPONENT and self.name:
            return f"cluster/{self.name}"
        return f"{self.environment}/{self.service}"

    @property
    def key(self) -> str:
        """Identifies the subject across incidents: kind, place and name."""
        return f"{self.kind.value}:{self.environment}:{self.target}"

    def describe(self) -> str:
        """A short phrase for cards and channel text, e.g. `deployment shop/checkout`."""
        if self.kind is SubjectKind.UNKNOWN:
            return f"unknown subject (service {self.service})"
        return f"{self.kind.value.replace('_', ' ')} {self.target}"


def service_subject(service: str, environment: str, derived_from: str) -> Subject:
    """A subject known only by its service name (hand-declared incidents, paging tools)."""
    return Subject(
        kind=SubjectKind.SERVICE if service != UNKNOWN_SERVICE else SubjectKind.UNKNOWN,
        name=service,
        environment=environment,
        service=service,
        derived_from=(derived_from,),
    )
