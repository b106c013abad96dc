"""The normalized alert every source is turned into."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from bot.domain.subject import Subject


class Severity(StrEnum):
    """How bad a signal says things are, lowest first."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANKS[self]


_SEVERITY_RANKS: dict[Severity, int] = {severity: rank for rank, severity in enumerate(Severity)}


class SignalStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class Link(BaseModel):
    """A pointer to where a signal can be checked."""

    title: str
    url: str


_SEVERITY_WORDS: dict[str, Severity] = {
    "critical": Severity.CRITICAL,
    "crit": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "sev1": Severity.CRITICAL,
    "p1": Severity.CRITICAL,
    "high": Severity.ERROR,
    "error": Severity.ERROR,
    "major": Severity.ERROR,
    "sev2": Severity.ERROR,
    "p2": Severity.ERROR,
    "warning": Severity.WARNING,
    "warn": Severity.WARNING,
    "medium": Severity.WARNING,
    "minor": Severity.WARNING,
    "sev3": Severity.WARNING,
    "p3": Severity.WARNING,
    "low": Severity.INFO,
    "info": Severity.INFO,
    "none": Severity.INFO,
}


def parse_severity(word: str | None, default: Severity = Severity.WARNING) -> Severity:
    """Map the many vendor spellings of severity onto ours."""
    if not word:
        return default
    return _SEVERITY_WORDS.get(word.strip().lower(), default)


class Signal(BaseModel):
    """One alert occurrence, source-independent.

    Labels and annotations are kept verbatim as untrusted text: they are shown to
    people and to the model as data, never interpreted as instructions.
    """

    source: str
    environment: str
    service: str
    fingerprint: str
    severity: Severity
    status: SignalStatus
    summary: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    links: list[Link] = Field(default_factory=list)
    starts_at: datetime
    ends_at: datetime | None = None
    delivery_id: str | None = None
    # What the alert is about, resolved at intake; None only before resolution.
    subject: Subject | None = None

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", self.summary)

    def group_key(self, group_by: list[str]) -> str:
        """The key that decides which open incident this signal belongs to."""
        if group_by == ["fingerprint"]:
            basis: dict[str, str] = {"fingerprint": self.fingerprint}
        else:
            normalized = {
                "service": self.service,
                "environment": self.environment,
                "subject": self.subject.key if self.subject else f"service:{self.service}",
            }
            basis = {name: normalized.get(name, self.labels.get(name, "")) for name in group_by}
        basis["environment"] = self.environment
        digest = hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()
        return digest[:32]

    def occurrence_key(self) -> str:
        """Identifies one delivery's content: same alert, same start, same status."""
        basis = f"{self.source}|{self.fingerprint}|{self.starts_at.isoformat()}|{self.status}"
        return hashlib.sha256(basis.encode()).hexdigest()[:40]
