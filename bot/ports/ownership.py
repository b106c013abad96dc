"""The `OwnerLookup` capability: which workload owns a pod, asked of the cluster itself."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class OwnerLookup(Protocol):
    """Follows a pod's ownerReferences up to the workload a responder would act on."""

    async def owner_of(self, namespace: str, pod: str) -> tuple[str, str] | None:
        """(kind, name) of the pod's top controller, e.g. ("deployment", "checkout")."""
        ...
