"""Kubernetes naming conventions that tell a pod's or a volume's owner from its name alone."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.subject import SubjectKind

# Generated suffixes use Kubernetes' "safe" alphabet: no vowels, no 0, 1 or 3, so they
# cannot spell words; a name segment outside it is part of the workload's own name.
_SAFE = "[bcdfghjklmnpqrstvwxz2456789]"
# <deployment>-<replicaset pod-template hash>-<pod suffix>; hand-written names in alert
# rules and tests do not always keep to the safe alphabet, and the shape alone is telling.
_DEPLOYMENT_POD = re.compile(r"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-[a-z0-9]{6,10}-[a-z0-9]{5}$")
# <cronjob>-<scheduled time in minutes>-<pod suffix>
_CRONJOB_POD = re.compile(rf"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-[0-9]{{8,10}}-{_SAFE}{{5}}$")
# <statefulset>-<ordinal>
_STATEFULSET_POD = re.compile(r"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-(?P<ordinal>[0-9]{1,5})$")
# <daemonset or bare job>-<pod suffix>
_SUFFIXED_POD = re.compile(rf"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-{_SAFE}{{5}}$")
# <cronjob>-<scheduled time in minutes>, the Job a CronJob creates
_CRONJOB_JOB = re.compile(r"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-[0-9]{8,10}$")
# prometheus-operator names its template <statefulset>-db: <sts>-db-<sts>-<ordinal>
_REPEATED_CLAIM = re.compile(r"^(?P<owner>[a-z0-9][-a-z0-9.]*?)-[a-z0-9]+-(?P=owner)-[0-9]{1,5}$")
# <volumeClaimTemplate>-<statefulset>-<ordinal>
_STATEFULSET_CLAIM = re.compile(
    r"^(?P<template>[a-z0-9]+)-(?P<owner>[a-z0-9][-a-z0-9.]*?)-(?P<ordinal>[0-9]{1,5})$"
)


@dataclass(frozen=True, slots=True)
class Owner:
    """A workload found from a child's name, and the convention that found it."""

    kind: SubjectKind
    name: str
    convention: str


def pod_owner(pod: str, job_hint: bool = False) -> Owner | None:
    """The workload that owns `pod` by its name, or None when no convention fits.

    A `<name>-<suffix>` pod is a DaemonSet's unless the alert speaks of a Job
    (`job_hint`): both controllers name their pods that way.
    """
    if match := _DEPLOYMENT_POD.match(pod):
        return Owner(SubjectKind.DEPLOYMENT, match["owner"], "ReplicaSet-hash pod name")
    if match := _CRONJOB_POD.match(pod):
        return Owner(SubjectKind.CRONJOB, match["owner"], "CronJob schedule-time pod name")
    if match := _STATEFULSET_POD.match(pod):
        return Owner(SubjectKind.STATEFULSET, match["owner"], "StatefulSet ordinal pod name")
    if match := _SUFFIXED_POD.match(pod):
        kind = SubjectKind.JOB if job_hint else SubjectKind.DAEMONSET
        return Owner(kind, match["owner"], f"{kind.value} pod-suffix name")
    return None


def job_owner(job: str) -> Owner:
    """A Job's CronJob when its name carries the schedule time, else the Job itself."""
    if match := _CRONJOB_JOB.match(job):
        return Owner(SubjectKind.CRONJOB, match["owner"], "CronJob schedule-time job name")
    return Owner(SubjectKind.JOB, job, "job_name label")


def claim_owner(claim: str) -> Owner:
    """A StatefulSet's when the claim follows `<template>-<statefulset>-<ordinal>`."""
    if match := _REPEATED_CLAIM.match(claim):
        return Owner(SubjectKind.STATEFULSET, match["owner"], "volumeClaimTemplate claim name")
    if match := _STATEFULSET_CLAIM.match(claim):
        return Owner(SubjectKind.STATEFULSET, match["owner"], "volumeClaimTemplate claim name")
    return Owner(SubjectKind.VOLUME, claim, "persistentvolumeclaim label")
