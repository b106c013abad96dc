"""A pod whose owner no naming convention told is asked of the cluster, before triage."""

from __future__ import annotations

import asyncio

from bot.domain.subject import Subject, SubjectKind
from bot.ports.ownership import OwnerLookup

# Kinds an ownerReference may name, as subject kinds.
_KINDS = {kind.value: kind for kind in SubjectKind if kind.is_workload}
LOOKUP_TIMEOUT_SECONDS = 5.0


async def refine_subject(subject: Subject, lookup: OwnerLookup | None) -> Subject:
    """The subject with a pod replaced by its owning workload when the API knows it."""
    if lookup is None or subject.kind is not SubjectKind.POD:
        return subject
    if not subject.namespace or not subject.name:
        return subject
    try:
        owner = await asyncio.wait_for(
            lookup.owner_of(subject.namespace, subject.name), LOOKUP_TIMEOUT_SECONDS
        )
    except TimeoutError:
        return subject
    if owner is None or owner[0] not in _KINDS:
        return subject
    kind, name = owner
    return subject.model_copy(
        update={
            "kind": _KINDS[kind],
            "name": name,
            "service": name if subject.service == subject.name else subject.service,
            "derived_from": (*subject.derived_from, f"ownerReferences of pod {subject.name}"),
        }
    )
