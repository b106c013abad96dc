"""ServiceNow connection, field mapping and resolution settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

# Plain http is only acceptable when the peer is this machine (local test servers).
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class UrgencyImpact(BaseModel):
    """The urgency and impact an incident gets; ServiceNow derives priority from the pair."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    urgency: int = Field(ge=1, le=3)  # 1 High, 2 Medium, 3 Low
    impact: int = Field(ge=1, le=3)


def default_priorities() -> dict[str, UrgencyImpact]:
    """Urgency and impact per classification out of the box."""
    return {
        "sev1": UrgencyImpact(urgency=1, impact=1),
        "high": UrgencyImpact(urgency=1, impact=2),
        "medium": UrgencyImpact(urgency=2, impact=2),
        "low": UrgencyImpact(urgency=3, impact=3),
    }


class ServiceNowConfig(BaseModel):
    """How to reach the instance and how our incidents map onto its incident table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instance_url: str  # https://<name>.service-now.com, or http://127.0.0.1:PORT in tests
    user: SecretStr
    password: SecretStr
    ca_bundle: Path | None = None  # a private CA for instances behind a corporate proxy
    caller_id: str = ""  # sys_id or user_name; empty leaves the caller unset
    category: str = "software"
    correlation_display: str = "smokejumper"
    # Per request; a failed ticket write is retried by the ticket jobs, not here.
    timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    priorities: dict[str, UrgencyImpact] = Field(default_factory=default_priorities)
    unknown_classification: str = "medium"  # whose mapping applies to an unmapped class
    assignment_groups: dict[str, str] = Field(default_factory=dict)  # team -> sys_id or name
    default_assignment_group: str = ""  # sys_id or name; empty leaves it to assignment rules
    resolved_state: str = "6"
    # Allowed close codes differ between releases ("Solution provided" on newer ones).
    close_code: str = "Solved (Permanently)"
    close_notes_prefix: str = "Resolved from the smokejumper incident channel.\n\n"
    close_notes_max_chars: int = Field(default=4000, ge=100)
    # States in which resolving again would be a no-op or would reopen a closed record.
    final_states: frozenset[str] = frozenset({"6", "7", "8"})
    # Fields some releases or customisations also need on resolve, e.g. {"incident_state": "6"}.
    resolve_extra_fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("instance_url")
    @classmethod
    def _check_instance_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        host = parts.hostname or ""
        if parts.scheme not in {"https", "http"} or not host:
            raise ValueError("instance_url must look like https://<name>.service-now.com")
        if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
            raise ValueError("instance_url must use https unless it points at this machine")
        if parts.username or parts.password:
            raise ValueError("instance_url must not carry credentials; use user and password")
        if parts.path not in {"", "/"} or parts.query or parts.fragment:
            raise ValueError("instance_url must be the instance root, without a path or query")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("priorities")
    @classmethod
    def _check_priorities(cls, value: dict[str, UrgencyImpact]) -> dict[str, UrgencyImpact]:
        if not value:
            raise ValueError("priorities needs at least one classification")
        return value

    @property
    def host(self) -> str:
        """The host and port the instance URL names."""
        return urlsplit(self.instance_url).netloc

    @property
    def use_tls(self) -> bool:
        return self.instance_url.startswith("https://")

    def priority_for(self, classification: str) -> UrgencyImpact:
        """Urgency and impact for a classification, falling back to the unknown-class mapping."""
        found = self.priorities.get(classification) or self.priorities.get(
            self.unknown_classification
        )
        return found or UrgencyImpact(urgency=2, impact=2)

    def group_for(self, team: str) -> str:
        """The assignment group (sys_id or name) configured for a team, or the default."""
        return self.assignment_groups.get(team, self.default_assignment_group)
