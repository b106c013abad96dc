"""The schema of the policy file: autonomy modes, gates, limits, approvers, actions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from bot.domain.triage import CheckCode, Classification
from policies.catalog import CATALOG, ActionEffect, ParamType
from policies.runbooks import HUMAN_ONLY_CLASSES

FORMAT = 1

# A confidence from the file must be a number; "0.7" as text is a mistake worth reporting.
Confidence = Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
Minutes = Annotated[StrictInt, Field(ge=1, le=10080)]
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
Name = Annotated[str, Field(pattern=_NAME)]
# A service, or environment/service as in the catalog's scope target.
ScopeKey = Annotated[
    str, Field(pattern=r"^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,63}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
]
GroupId = Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,20}$")]
UserId = Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,20}$")]


class AutonomyMode(StrEnum):
    """How much the system may do by itself, least first."""

    # Recommend only; record what would have run.
    SHADOW = "shadow"
    # Every action needs approval.
    ASSIST = "assist"
    # Safe, reversible actions run by themselves; others need approval.
    LIMITED = "limited"
    # Limited, plus automatic paging at high confidence.
    PAGING = "paging"
    # Paging, plus major-incident automation gated on several independent signals.
    MIM = "mim"

    @property
    def rank(self) -> int:
        return list(AutonomyMode).index(self)

    def reaches(self, other: AutonomyMode) -> bool:
        """Whether this mode allows at least what `other` allows."""
        return self.rank >= other.rank


class RiskClass(StrEnum):
    """How dangerous an action is, whatever the incident."""

    SAFE = "safe"
    SEMI_SAFE = "semi_safe"
    HUMAN_ONLY = "human_only"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AutonomySettings(_Strict):
    """The autonomy mode by default and per service or environment/service."""

    mode: AutonomyMode
    # Which mode shadow mode imagines when it records what would have happened.
    shadow_as: AutonomyMode = AutonomyMode.LIMITED
    services: dict[ScopeKey, AutonomyMode] = Field(default_factory=dict, max_length=1000)

    @model_validator(mode="after")
    def _shadow_imagines_more(self) -> Self:
        if self.shadow_as is AutonomyMode.SHADOW:
            raise ValueError("shadow_as must name a mode other than shadow")
        return self

    def mode_for(self, service: str, environment: str) -> AutonomyMode:
        """The most specific mode: environment/service, then service, then the default."""
        return self.services.get(f"{environment}/{service}", self.services.get(service, self.mode))


class TicketGate(_Strict):
    """When a ticket may be created without asking."""

    min_confidence: Confidence = 0.70
    environments: list[Name] = Field(default_factory=lambda: ["production"], min_length=1)
    # Limited autonomy creates tickets for low and medium incidents only.
    limited_mode_max_classification: Classification = Classification.MEDIUM


class PagingGate(_Strict):
    """When a page may go out without asking."""

    min_classification: Classification = Classification.HIGH
    min_confidence: Confidence = 0.80


class MajorIncidentGate(_Strict):
    """When a major incident may be declared without asking; it is always sev1 only."""

    min_confidence: Confidence = 0.85
    # One signal can be one flaky rule: never fewer than two.
    min_independent_sources: StrictInt = Field(default=2, ge=2, le=20)


class Thresholds(_Strict):
    """Confidence and classification gates."""

    # Below this, an action that touches a system is escalated to humans.
    action_confidence: Confidence = 0.70
    ticket: TicketGate = Field(default_factory=TicketGate)
    paging: PagingGate = Field(default_factory=PagingGate)
    major_incident: MajorIncidentGate = Field(default_factory=MajorIncidentGate)


class PagingRate(_Strict):
    """At most `pages` automatic pages per window, fleet-wide."""

    pages: StrictInt = Field(default=5, ge=1, le=1000)
    window_minutes: Minutes = 60


class BlastRadius(_Strict):
    """At most this many autonomous remediations per service and fleet-wide per window."""

    per_service: StrictInt = Field(default=3, ge=0, le=1000)
    fleet: StrictInt = Field(default=10, ge=0, le=10000)
    window_minutes: Minutes = 60

    @model_validator(mode="after")
    def _service_within_fleet(self) -> Self:
        if self.per_service > self.fleet:
            raise ValueError("per_service may not exceed fleet")
        return self


class CircuitBreaker(_Strict):
    """Autonomy stops while this many distinct services alert within the window."""

    services: StrictInt = Field(default=5, ge=2, le=10000)
    window_minutes: Minutes = 10


class Limits(_Strict):
    """Rate limits, budgets and windows."""

    duplicate_window_minutes: Minutes = 15
    paging_rate: PagingRate = Field(default_factory=PagingRate)
    blast_radius: BlastRadius = Field(default_factory=BlastRadius)
    circuit_breaker: CircuitBreaker = Field(default_factory=CircuitBreaker)
    max_retries: StrictInt = Field(default=2, ge=0, le=10)
    proposal_expiry_minutes: Annotated[StrictInt, Field(ge=1, le=1440)] = 30
    verification_window_minutes: Annotated[StrictInt, Field(ge=1, le=1440)] = 10
    # An action that failed or did not verify for a subject and class never runs by
    # itself again for that subject and class within this many days.
    failed_action_memory_days: Annotated[StrictInt, Field(ge=0, le=365)] = 7


def _default_contradictions() -> list[CheckCode]:
    return [
        CheckCode.SIGNAL_RESOLVED,
        CheckCode.SEVERITY_MISMATCH,
        CheckCode.CLASS_NOT_MATCHED,
        CheckCode.SEV1_SINGLE_SIGNAL,
        CheckCode.EVIDENCE_UNVERIFIED,
    ]


def _default_sensitive_labels() -> dict[str, list[str]]:
    domains = ["security", "data_integrity", "billing", "identity"]
    return {"category": list(domains), "domain": list(domains)}


class SensitiveDomains(_Strict):
    """Incident classes and label values that mark security, data, billing or identity."""

    incident_classes: list[Name] = Field(default_factory=lambda: sorted(HUMAN_ONLY_CLASSES))
    labels: dict[Name, list[str]] = Field(default_factory=_default_sensitive_labels)

    @model_validator(mode="after")
    def _human_only_stays(self) -> Self:
        missing = HUMAN_ONLY_CLASSES - set(self.incident_classes)
        if missing:
            raise ValueError(f"incident_classes must keep {sorted(missing)}")
        return self


class EscalationRules(_Strict):
    """What sends an action to humans whatever the mode."""

    # Check codes on the triage that mean the evidence contradicts the report.
    contradicting_flags: list[CheckCode] = Field(default_factory=_default_contradictions)
    sensitive: SensitiveDomains = Field(default_factory=SensitiveDomains)


class ApproverSet(_Strict):
    """Slack user groups and users who may approve."""

    groups: list[GroupId] = Field(default_factory=list, max_length=100)
    users: list[UserId] = Field(default_factory=list, max_length=1000)

    @model_validator(mode="after")
    def _someone(self) -> Self:
        if not (self.groups or self.users):
            raise ValueError("name at least one user group or user, or nobody can approve")
        return self

    def admits(self, user_id: str, group_ids: frozenset[str]) -> bool:
        """Whether the user, or one of their groups, is named here."""
        return user_id in self.users or not group_ids.isdisjoint(self.groups)

    def allows_two_people(self) -> bool:
        """Whether two different people could ever approve together."""
        return bool(self.groups) or len(set(self.users)) >= 2


class Approvers(_Strict):
    """Who may approve each risk class."""

    safe: ApproverSet
    semi_safe: ApproverSet
    human_only: ApproverSet

    @model_validator(mode="after")
    def _two_for_human_only(self) -> Self:
        if not self.human_only.allows_two_people():
            raise ValueError("human_only needs a user group or at least two users (two approve)")
        return self

    def for_risk(self, risk: RiskClass) -> ApproverSet:
        """The approvers of one risk class."""
        return {
            RiskClass.SAFE: self.safe,
            RiskClass.SEMI_SAFE: self.semi_safe,
            RiskClass.HUMAN_ONLY: self.human_only,
        }[risk]


class IntBounds(_Strict):
    """Tighter limits on an integer parameter."""

    min: StrictInt | None = None
    max: StrictInt | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self

    def holds(self, value: int) -> bool:
        """Whether `value` lies within these bounds."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def describe(self) -> str:
        """The bounds in words."""
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max}"
        if self.min is not None:
            return f"at least {self.min}"
        return f"at most {self.max}"


class ScaleLimits(_Strict):
    """How far scale_deployment may go: a factor of the current size and a ceiling."""

    max_factor: Annotated[float, Field(gt=1.0, le=10.0, strict=True)] = 2.0
    max_replicas: StrictInt = Field(ge=1, le=1000)


SCALE_ACTION = "scale_deployment"


class ActionPolicy(_Strict):
    """How one catalog action is run and who may let it run."""

    adapter: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    risk: RiskClass
    reversible: StrictBool
    enabled: StrictBool = True
    # High risk whatever the class: two different people must approve.
    two_approvers: StrictBool = False
    bounds: dict[str, IntBounds] = Field(default_factory=dict)
    scale: ScaleLimits | None = None
    # Replaces the risk class's approvers for this action.
    approvers: ApproverSet | None = None


class PolicyRules(_Strict):
    """The whole policy file."""

    format: StrictInt
    autonomy: AutonomySettings
    thresholds: Thresholds = Field(default_factory=Thresholds)
    limits: Limits = Field(default_factory=Limits)
    escalation: EscalationRules = Field(default_factory=EscalationRules)
    approvers: Approvers
    actions: dict[str, ActionPolicy]

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != FORMAT:
            raise ValueError(f"unsupported format {value}; this build reads {FORMAT}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        # Messages start with the dotted path of the culprit so the loader can find its line.
        unknown = sorted(set(self.actions) - set(CATALOG))
        if unknown:
            raise ValueError(
                f"actions.{unknown[0]}: unknown action(s) {', '.join(unknown)};"
                " the catalog has no such action"
            )
        missing = sorted(set(CATALOG) - set(self.actions))
        if missing:
            raise ValueError(
                f"actions: missing {', '.join(missing)}; every catalog action needs a policy"
            )
        for name, entry in self.actions.items():
            _check_action(name, entry)
            if self.approvals_for(name) == 2 and not self.approvers_for(name).allows_two_people():
                raise ValueError(
                    f"actions.{name}: needs two approvers, but its approvers name one person"
                )
        return self

    def approvers_for(self, action: str) -> ApproverSet:
        """Who may approve `action`: its own list, else its risk class's."""
        entry = self.actions[action]
        return entry.approvers or self.approvers.for_risk(entry.risk)

    def approvals_for(self, action: str) -> int:
        """How many different people must approve `action` when it does not run by itself."""
        return 2 if high_risk(action, self.actions[action]) else 1


def high_risk(action: str, entry: ActionPolicy) -> bool:
    """Human-only, marked two_approvers, or an irreversible change to a running system."""
    touches = CATALOG[action].effect is ActionEffect.REMEDIATION
    return (
        entry.risk is RiskClass.HUMAN_ONLY
        or entry.two_approvers
        or (touches and not entry.reversible)
    )


def _check_action(name: str, entry: ActionPolicy) -> None:
    spec = CATALOG[name]
    for param_name, bounds in entry.bounds.items():
        param = spec.param(param_name)
        if param is None or param.type is not ParamType.INTEGER:
            raise ValueError(
                f"actions.{name}.bounds.{param_name}: {name} has no integer parameter"
                f" {param_name!r}"
            )
        lows = [v for v in (param.minimum, bounds.min) if v is not None]
        highs = [v for v in (param.maximum, bounds.max) if v is not None]
        if lows and highs and max(lows) > min(highs):
            raise ValueError(
                f"actions.{name}.bounds.{param_name}: {bounds.describe()} leaves no value"
                f" the catalog accepts ({param.minimum} to {param.maximum})"
            )
    if name == SCALE_ACTION and entry.scale is None:
        raise ValueError(f"actions.{name}: give scale (max_factor, max_replicas)")
    if name != SCALE_ACTION and entry.scale is not None:
        raise ValueError(f"actions.{name}.scale: scale applies to {SCALE_ACTION} only")
