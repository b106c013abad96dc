"""What a responder's message asks for: one intent and its entities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Intent(StrEnum):
    """Questions are answered from the record; requests become proposals."""

    STATUS = "status"
    CHANGES = "changes"
    TIMELINE = "timeline"
    ACTIONS = "actions"
    HYPOTHESIS = "hypothesis"
    RUNBOOK = "runbook"
    SIMILAR = "similar"
    DIAGNOSTICS = "diagnostics"
    ONCALL = "oncall"
    HELP = "help"
    RESTART = "restart"
    ROLLBACK = "rollback"
    SCALE = "scale"
    DISABLE_FLAG = "disable_flag"
    ENABLE_FLAG = "enable_flag"
    PAGE = "page"
    TICKET = "ticket"
    FREEZE = "freeze"
    COLLECT_DIAGNOSTICS = "collect_diagnostics"
    # A request for something the catalog cannot do: refused with what is possible.
    UNSUPPORTED = "unsupported"
    UNKNOWN = "unknown"


QUESTIONS = frozenset(
    {
        Intent.STATUS,
        Intent.CHANGES,
        Intent.TIMELINE,
        Intent.ACTIONS,
        Intent.HYPOTHESIS,
        Intent.RUNBOOK,
        Intent.SIMILAR,
        Intent.DIAGNOSTICS,
        Intent.ONCALL,
    }
)

# Requests that are catalog actions, decided by the policy engine.
CATALOG_ACTION: Mapping[Intent, str] = MappingProxyType(
    {
        Intent.RESTART: "restart_deployment",
        Intent.ROLLBACK: "rollback_deployment",
        Intent.SCALE: "scale_deployment",
        Intent.DISABLE_FLAG: "disable_feature_flag",
        Intent.ENABLE_FLAG: "enable_feature_flag",
        Intent.PAGE: "page_oncall",
        Intent.TICKET: "create_ticket",
        Intent.COLLECT_DIAGNOSTICS: "collect_diagnostics",
    }
)

# Entity names, shared by the parser, the model's tools and the evaluation set.
ENTITY_NAMES = frozenset(
    {
        "service",
        "revision",
        "replicas_delta",
        "flag",
        "team",
        "priority",
        "duration_minutes",
        "incident",
        "named",
    }
)


@dataclass(frozen=True, slots=True)
class Parsed:
    """The parser's (or the model's) reading of one message."""

    intent: Intent
    entities: Mapping[str, str] = field(default_factory=dict)
    # "parser" or "model": who read the message.
    source: str = "parser"

    def __post_init__(self) -> None:
        object.__setattr__(self, "entities", MappingProxyType(dict(self.entities)))

    @property
    def is_request(self) -> bool:
        return self.intent in CATALOG_ACTION or self.intent in (Intent.FREEZE, Intent.UNSUPPORTED)

    def as_dict(self) -> dict[str, object]:
        return {"intent": self.intent.value, "entities": dict(self.entities), "source": self.source}
