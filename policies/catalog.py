"""The typed action catalog: the only actions any triage may ever propose."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bot.domain.subject import Subject, SubjectKind


class TargetKind(StrEnum):
    """What inside the incident's scope an action acts upon."""

    DEPLOYMENT = "deployment"
    FEATURE_FLAG = "feature_flag"
    WEBHOOK = "webhook"
    INCIDENT = "incident"


class ActionEffect(StrEnum):
    """How far an action reaches; policy gates and checks key off this."""

    # Changes a running system: the class of action autonomy is about.
    REMEDIATION = "remediation"
    # Reads from a system without changing it.
    READ_ONLY = "read_only"
    # Brings people in (page, ticket, hand-off); never touches a system.
    HUMAN = "human"


class ParamType(StrEnum):
    """How a parameter's string value is interpreted."""

    STRING = "string"
    INTEGER = "integer"
    CHOICE = "choice"


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One declared parameter of a catalog action."""

    name: str
    type: ParamType
    description: str
    required: bool = False
    # STRING values must fullmatch this; it doubles as the length bound.
    pattern: str = r"[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}"
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()

    def problem(self, value: str) -> str | None:
        """Why `value` is not acceptable for this parameter, or None when it is."""
        if self.type is ParamType.INTEGER:
            if not re.fullmatch(r"-?[0-9]{1,9}", value):
                return f"{self.name} must be an integer, got {value!r}"
            number = int(value)
            if self.minimum is not None and number < self.minimum:
                return f"{self.name} must be at least {self.minimum}, got {number}"
            if self.maximum is not None and number > self.maximum:
                return f"{self.name} must be at most {self.maximum}, got {number}"
            return None
        if self.type is ParamType.CHOICE:
            if value not in self.choices:
                return f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}"
            return None
        if not re.fullmatch(self.pattern, value):
            return f"{self.name} has an unacceptable value {value!r}"
        return None


@dataclass(frozen=True, slots=True)
class CatalogAction:
    """One action the system knows how to run, with its declared parameters."""

    name: str
    description: str
    target_kind: TargetKind
    effect: ActionEffect
    params: tuple[ParamSpec, ...] = ()
    _by_name: Mapping[str, ParamSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {p.name: p for p in self.params})

    def param(self, name: str) -> ParamSpec | None:
        """The declared parameter called `name`, if any."""
        return self._by_name.get(name)

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    @property
    def required_params(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if p.required)


_TEAM = ParamSpec(
    name="team",
    type=ParamType.STRING,
    description="The on-call team to involve.",
    pattern=r"[a-z0-9][a-z0-9_-]{0,63}",
)

_ACTIONS: tuple[CatalogAction, ...] = (
    CatalogAction(
        name="restart_deployment",
        description="Rolling restart of the service's deployment.",
        target_kind=TargetKind.DEPLOYMENT,
        effect=ActionEffect.REMEDIATION,
    ),
    CatalogAction(
        name="rollback_deployment",
        description="Roll the service's deployment back to a previous revision.",
        target_kind=TargetKind.DEPLOYMENT,
        effect=ActionEffect.REMEDIATION,
        params=(
            ParamSpec(
                name="revision",
                type=ParamType.STRING,
                description="Revision to return to; the previous one when absent.",
                pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}",
            ),
        ),
    ),
    CatalogAction(
        name="scale_deployment",
        description="Add replicas to the service's deployment, never beyond a ceiling.",
        target_kind=TargetKind.DEPLOYMENT,
        effect=ActionEffect.REMEDIATION,
        params=(
            # A relative step keeps a proposal safe without knowing the current size.
            ParamSpec(
                name="replicas_delta",
                type=ParamType.INTEGER,
                description="How many replicas to add.",
                required=True,
                minimum=1,
                maximum=10,
            ),
            ParamSpec(
                name="max_replicas",
                type=ParamType.INTEGER,
                description="Ceiling the deployment may not exceed after scaling.",
                required=True,
                minimum=1,
                maximum=100,
            ),
        ),
    ),
    CatalogAction(
        name="disable_feature_flag",
        description="Turn a feature flag of the service off.",
        target_kind=TargetKind.FEATURE_FLAG,
        effect=ActionEffect.REMEDIATION,
        params=(
            ParamSpec(
                name="flag",
                type=ParamType.STRING,
                description="The flag key.",
                required=True,
            ),
        ),
    ),
    CatalogAction(
        name="enable_feature_flag",
        description="Turn a feature flag of the service on.",
        target_kind=TargetKind.FEATURE_FLAG,
        effect=ActionEffect.REMEDIATION,
        params=(
            ParamSpec(
                name="flag",
                type=ParamType.STRING,
                description="The flag key.",
                required=True,
            ),
        ),
    ),
    CatalogAction(
        name="run_webhook",
        description="Call one of the service's registered remediation webhooks.",
        target_kind=TargetKind.WEBHOOK,
        effect=ActionEffect.REMEDIATION,
        params=(
            # A registered name, never a URL: where a webhook points is configuration.
            ParamSpec(
                name="webhook",
                type=ParamType.STRING,
                description="Name of the registered webhook.",
                required=True,
                pattern=r"[a-z0-9][a-z0-9_-]{0,63}",
            ),
        ),
    ),
    CatalogAction(
        name="collect_diagnostics",
        description="Capture logs, events and pod state of the service before they rotate.",
        target_kind=TargetKind.DEPLOYMENT,
        effect=ActionEffect.READ_ONLY,
    ),
    CatalogAction(
        name="page_oncall",
        description="Page an on-call team.",
        target_kind=TargetKind.INCIDENT,
        effect=ActionEffect.HUMAN,
        params=(
            _TEAM,
            ParamSpec(
                name="urgency",
                type=ParamType.CHOICE,
                description="Paging urgency.",
                choices=("high", "low"),
            ),
        ),
    ),
    CatalogAction(
        name="create_ticket",
        description="Open a ticket for follow-up work.",
        target_kind=TargetKind.INCIDENT,
        effect=ActionEffect.HUMAN,
        params=(
            ParamSpec(
                name="priority",
                type=ParamType.CHOICE,
                description="Ticket priority.",
                choices=("P1", "P2", "P3", "P4"),
            ),
        ),
    ),
    CatalogAction(
        name="escalate_to_human",
        description="Hand the decision to a responder; nothing runs by itself.",
        target_kind=TargetKind.INCIDENT,
        effect=ActionEffect.HUMAN,
        params=(_TEAM,),
    ),
)

CATALOG: Mapping[str, CatalogAction] = MappingProxyType({a.name: a for a in _ACTIONS})


def is_catalog_action(name: str) -> bool:
    """Whether `name` is an action of the catalog."""
    return name in CATALOG


def catalog_action(name: str) -> CatalogAction | None:
    """The catalog entry called `name`, if any."""
    return CATALOG.get(name)


def scope_target(environment: str, service: str) -> str:
    """The one target string every action of an incident must name."""
    return f"{environment}/{service}"


# Kinds of subject each target kind can act upon. A Deployment action needs a
# Deployment, or a service the Kubernetes adapter maps to one.
_SUBJECT_KINDS: Mapping[TargetKind, frozenset[SubjectKind]] = MappingProxyType(
    {
        TargetKind.DEPLOYMENT: frozenset({SubjectKind.DEPLOYMENT, SubjectKind.SERVICE}),
        TargetKind.FEATURE_FLAG: frozenset(
            {SubjectKind.DEPLOYMENT, SubjectKind.SERVICE, SubjectKind.STATEFULSET}
        ),
        TargetKind.WEBHOOK: frozenset(SubjectKind) - {SubjectKind.UNKNOWN},
        TargetKind.INCIDENT: frozenset(SubjectKind),
    }
)


def subject_problem(action: CatalogAction, subject: Subject) -> str | None:
    """Why `action` cannot act on `subject`, or None when it can."""
    if action.effect is ActionEffect.READ_ONLY and subject.kind is not SubjectKind.UNKNOWN:
        return None
    if subject.kind in _SUBJECT_KINDS[action.target_kind]:
        return None
    return f"{action.name} needs a {action.target_kind.value}; the subject is {subject.describe()}"
