"""The services file: which service owns which namespaces and workloads, and who is its team."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from policies.strict_yaml import StrictYamlError, load_strict_yaml

_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
_WORKLOAD = r"^[a-z0-9][a-z0-9-]{0,62}/[a-z0-9][a-z0-9.-]{0,252}$"


class ServicesFileError(ValueError):
    """The services file cannot be used; the message says where and why."""


class ServiceEntry(BaseModel):
    """One service: its name, where it runs, who owns it and where its runbooks are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME)
    environment: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    # A Slack user group handle (without @), mentioned when the service needs people.
    team: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9._-]{0,79}$")
    namespaces: tuple[str, ...] = ()
    # namespace/name of the service's workloads (Deployments, StatefulSets, …).
    workloads: tuple[str, ...] = Field(default=(), max_length=200)
    runbooks: tuple[str, ...] = Field(default=(), max_length=20)

    @field_validator("workloads")
    @classmethod
    def _namespaced(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for workload in value:
            if not re.fullmatch(_WORKLOAD, workload):
                raise ValueError(f"workload {workload!r} must be written namespace/name")
        return value


class ServicesDocument(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    services: tuple[ServiceEntry, ...] = ()


@dataclass(frozen=True)
class ServiceCatalog:
    """Looks up the service that claims a namespace or a workload."""

    entries: tuple[ServiceEntry, ...] = ()
    _by_workload: dict[str, ServiceEntry] = field(default_factory=dict, repr=False)
    _by_namespace: dict[str, ServiceEntry] = field(default_factory=dict, repr=False)
    _by_name: dict[str, ServiceEntry] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, entries: Iterable[ServiceEntry]) -> ServiceCatalog:
        kept = tuple(entries)
        catalog = cls(entries=kept)
        for entry in kept:
            catalog._by_name.setdefault(entry.name, entry)
            for workload in entry.workloads:
                catalog._by_workload.setdefault(workload, entry)
            for namespace in entry.namespaces:
                catalog._by_namespace.setdefault(namespace, entry)
        return catalog

    def claim(self, namespace: str | None, name: str | None) -> ServiceEntry | None:
        """The service owning this workload: its exact workload first, then its namespace."""
        if namespace and name:
            exact = self._by_workload.get(f"{namespace}/{name}")
            if exact is not None:
                return exact
        if name and not namespace:
            named = self._by_name.get(name)
            if named is not None:
                return named
        return self._by_namespace.get(namespace) if namespace else None

    def named(self, name: str) -> ServiceEntry | None:
        return self._by_name.get(name)


def load_services_file(path: Path) -> ServiceCatalog:
    """The catalog from a services file; raises ServicesFileError naming the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ServicesFileError(f"{path}: cannot read ({exc.strerror})") from None
    return parse_services(text, str(path))


def parse_services(text: str, where: str) -> ServiceCatalog:
    try:
        document = load_strict_yaml(text)
    except StrictYamlError as exc:
        raise ServicesFileError(f"{where}: {exc}") from None
    try:
        parsed = ServicesDocument.model_validate(document or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "top level"
        raise ServicesFileError(f"{where}: {place}: {first['msg']}") from None
    names = [entry.name for entry in parsed.services]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ServicesFileError(f"{where}: service {duplicated[0]!r} is listed twice")
    return ServiceCatalog.of(parsed.services)
