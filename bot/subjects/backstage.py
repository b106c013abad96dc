"""A services file from Backstage catalog-info.yaml Component entities."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from bot.subjects.services_file import ServiceEntry, ServicesFileError

_KUBERNETES_ID = "backstage.io/kubernetes-id"
_KUBERNETES_NAMESPACE = "backstage.io/kubernetes-namespace"


def services_from_backstage(documents: Iterable[tuple[str, str]]) -> str:
    """The services file (YAML) for every Component in the given (name, text) files."""
    entries: list[dict[str, Any]] = []
    for where, text in documents:
        try:
            loaded = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            raise ServicesFileError(f"{where}: not YAML ({' '.join(str(exc).split())})") from None
        for entity in loaded:
            if isinstance(entity, Mapping) and entity.get("kind") == "Component":
                entries.append(_entry(where, entity))
    return yaml.safe_dump({"services": entries}, sort_keys=False)


def _entry(where: str, entity: Mapping[str, Any]) -> dict[str, Any]:
    metadata = entity.get("metadata") or {}
    spec = entity.get("spec") or {}
    annotations = metadata.get("annotations") or {}
    name = str(metadata.get("name", ""))
    owner = str(spec.get("owner", ""))
    # `group:default/checkout-team` → `checkout-team`, a Slack user group handle.
    team = owner.rsplit("/", 1)[-1].split(":", 1)[-1] or None
    namespace = annotations.get(_KUBERNETES_NAMESPACE)
    workload = annotations.get(_KUBERNETES_ID, name)
    entry: dict[str, Any] = {"name": name}
    if team:
        entry["team"] = team.lower()
    if namespace:
        entry["namespaces"] = [namespace]
        entry["workloads"] = [f"{namespace}/{workload}"]
    links = [
        str(link["url"])
        for link in metadata.get("links") or []
        if isinstance(link, Mapping) and link.get("url")
    ]
    if links:
        entry["runbooks"] = links[:20]
    try:
        ServiceEntry.model_validate(entry)
    except ValueError as exc:
        raise ServicesFileError(f"{where}: component {name!r}: {exc}") from None
    return entry
