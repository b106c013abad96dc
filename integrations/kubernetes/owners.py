"""Pod ownership through the API: pod → ReplicaSet → Deployment, cached."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from bot.ports.adapters import AdapterError
from integrations.kubernetes.client import KubernetesClient

_POD_PATH = "/api/v1/namespaces/{namespace}/pods/{name}"
_REPLICA_SET_PATH = "/apis/apps/v1/namespaces/{namespace}/replicasets/{name}"
_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"}
# Owners rarely change; a bounded cache keeps alert storms from listing the same pod.
_CACHE_SIZE = 2048


class PodOwners:
    """Answers `owner_of` from the cluster, remembering the answers."""

    def __init__(self, client: KubernetesClient) -> None:
        self._client = client
        self._cache: OrderedDict[tuple[str, str], tuple[str, str] | None] = OrderedDict()

    async def owner_of(self, namespace: str, pod: str) -> tuple[str, str] | None:
        key = (namespace, pod)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        try:
            owner = await self._lookup(namespace, pod)
        except AdapterError:
            # Not cached: the pod may be gone, or the API briefly unreachable.
            return None
        self._cache[key] = owner
        if len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return owner

    async def _lookup(self, namespace: str, pod: str) -> tuple[str, str] | None:
        document = await self._client.get_object(_POD_PATH, namespace, pod, f"get pod {pod}")
        owner = _controller(document)
        if owner is None:
            return None
        kind, name = owner
        if kind == "ReplicaSet":
            replica_set = await self._client.get_object(
                _REPLICA_SET_PATH, namespace, name, f"get replicaset {name}"
            )
            parent = _controller(replica_set)
            if parent is not None:
                kind, name = parent
        return kind.lower(), name


def _controller(document: Mapping[str, Any]) -> tuple[str, str] | None:
    metadata = document.get("metadata")
    references = metadata.get("ownerReferences") if isinstance(metadata, Mapping) else None
    if not isinstance(references, list):
        return None
    for reference in references:
        if (
            isinstance(reference, Mapping)
            and reference.get("controller")
            and reference.get("kind") in _KINDS
            and isinstance(reference.get("name"), str)
        ):
            return str(reference["kind"]), str(reference["name"])
    return None
