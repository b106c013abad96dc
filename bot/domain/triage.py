"""The triage contract: what any triage answers, and what code settled about it.

A domain module, so the policy engine can read a triage without importing `bot.triage`.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ActionParam",
    "CheckCode",
    "CheckFlag",
    "CheckedTriage",
    "Classification",
    "DroppedAction",
    "Evidence",
    "EvidenceSource",
    "FallbackReason",
    "ProposedAction",
    "Provenance",
    "TriageReport",
    "TriageSource",
    "answer_sha256",
    "triage_json_schema",
]

RUNBOOK_MODEL = "runbook"


class Classification(StrEnum):
    """How serious an incident is judged to be, lowest first."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEV1 = "sev1"

    @property
    def rank(self) -> int:
        return list(Classification).index(self)


MAX_HYPOTHESIS = 500
MAX_CLAIM = 300
MAX_POINTER = 300
MAX_TARGET = 200
MAX_RATIONALE = 500
MAX_UNKNOWN = 300
MAX_EVIDENCE = 12
MAX_UNKNOWNS = 10
MAX_ACTIONS = 8
MAX_PARAMS = 8


class EvidenceSource(StrEnum):
    """Where a piece of evidence was seen."""

    SIGNAL = "signal"
    CHANGE = "change"
    PAST_INCIDENT = "past_incident"
    RUNBOOK = "runbook"
    LOG = "log"
    METRIC = "metric"


class _Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Contract):
    """One observation backing the hypothesis, with a pointer to where it can be checked."""

    source: EvidenceSource
    claim: str = Field(min_length=1, max_length=MAX_CLAIM)
    pointer: str = Field(
        max_length=MAX_POINTER,
        description="A pointer from the context, e.g. signal:<fingerprint> or a change pointer.",
    )


class ActionParam(_Contract):
    """One parameter of a proposed action; a list of pairs keeps the schema closed."""

    name: str = Field(min_length=1, max_length=64)
    value: str = Field(max_length=200)


class ProposedAction(_Contract):
    """An action a triage proposes; only code decides whether it may run."""

    action: str = Field(min_length=1, max_length=64, description="A catalog action name.")
    target: str = Field(
        min_length=1,
        max_length=MAX_TARGET,
        description="The incident scope: <environment>/<service>.",
    )
    params: list[ActionParam] = Field(max_length=MAX_PARAMS)
    rationale: str = Field(max_length=MAX_RATIONALE)

    def param_map(self) -> dict[str, str]:
        """Parameters by name; the last wins when a name repeats."""
        return {p.name: p.value for p in self.params}


class TriageReport(_Contract):
    """The answer of a triage, flat and closed so it serves as a strict output schema."""

    classification: Classification
    confidence: float = Field(ge=0.0, le=1.0)
    requires_ticket: bool
    requires_paging: bool
    requires_mim: bool
    recommended_team: str = Field(min_length=1, max_length=64)
    incident_class: str = Field(
        min_length=1, max_length=64, description="A runbook class name, or unknown."
    )
    hypothesis: str = Field(min_length=1, max_length=MAX_HYPOTHESIS)
    evidence: list[Evidence] = Field(max_length=MAX_EVIDENCE)
    unknowns: list[Annotated[str, Field(max_length=MAX_UNKNOWN)]] = Field(max_length=MAX_UNKNOWNS)
    proposed_actions: list[ProposedAction] = Field(max_length=MAX_ACTIONS)


class TriageSource(StrEnum):
    """Who produced a report."""

    LLM = "llm"
    RUNBOOK = "runbook"
    RUNBOOK_FALLBACK = "runbook_fallback"


class FallbackReason(StrEnum):
    """Why the model's answer was not used and the runbook triage stood in."""

    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    INVALID_SCHEMA = "invalid_schema"
    TRUNCATED = "truncated"
    REFUSAL = "refusal"
    NOT_CONFIGURED = "not_configured"


class CheckCode(StrEnum):
    """Why the checks flagged something; stable, for metrics and audit."""

    ACTION_NOT_IN_CATALOG = "action_not_in_catalog"
    ACTION_NOT_ALLOWED = "action_not_allowed"
    HUMAN_ONLY_CLASS = "human_only_class"
    TARGET_OUT_OF_SCOPE = "target_out_of_scope"
    SUBJECT_MISMATCH = "subject_mismatch"
    PARAM_NOT_IN_CATALOG = "param_not_in_catalog"
    PARAM_INVALID = "param_invalid"
    PARAM_MISSING = "param_missing"
    PARAM_OUT_OF_BOUNDS = "param_out_of_bounds"
    DUPLICATE_ACTION = "duplicate_action"
    EVIDENCE_UNVERIFIED = "evidence_unverified"
    EVIDENCE_MISSING = "evidence_missing"
    CLASS_NOT_MATCHED = "class_not_matched"
    SIGNAL_RESOLVED = "signal_resolved"
    SEVERITY_MISMATCH = "severity_mismatch"
    SEV1_SINGLE_SIGNAL = "sev1_single_signal"
    CONFIDENCE_CAPPED = "confidence_capped"
    FALLBACK = "fallback"


class CheckFlag(_Contract):
    """One thing the checks noticed, as a code and a sentence for people."""

    code: CheckCode
    message: str


class DroppedAction(_Contract):
    """A proposed action the checks removed, and why."""

    action: ProposedAction
    code: CheckCode
    message: str


class CheckedTriage(_Contract):
    """A report after the checks, with everything code settled and where it came from."""

    report: TriageReport
    proposed_confidence: float = Field(ge=0.0, le=1.0)
    flags: list[CheckFlag]
    dropped_actions: list[DroppedAction]
    answer_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    model: str
    prompt_version: str
    runbooks_version: str
    prompt_tokens: int = Field(ge=0)
    completion_tokens: int = Field(ge=0)
    source: TriageSource
    fallback_reason: FallbackReason | None

    @model_validator(mode="after")
    def _source_consistent(self) -> Self:
        if (self.source is TriageSource.RUNBOOK_FALLBACK) != (self.fallback_reason is not None):
            raise ValueError("fallback_reason is given exactly when source is runbook_fallback")
        if self.source is not TriageSource.LLM and self.model != RUNBOOK_MODEL:
            raise ValueError(f"a runbook triage names its model {RUNBOOK_MODEL!r}")
        return self

    def has(self, code: CheckCode) -> bool:
        """Whether any flag carries `code`."""
        return any(f.code is code for f in self.flags)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a report came from, as recorded next to it."""

    source: TriageSource
    model: str
    prompt_version: str
    answer_sha256: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fallback_reason: FallbackReason | None = None

    @classmethod
    def llm(
        cls,
        raw_answer: str,
        *,
        model: str,
        prompt_version: str,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
    ) -> Provenance:
        """Provenance of a model's answer."""
        return cls(
            source=TriageSource.LLM,
            model=model,
            prompt_version=prompt_version,
            answer_sha256=answer_sha256(raw_answer),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    @classmethod
    def runbook(
        cls, report: TriageReport, fallback_reason: FallbackReason | None = None
    ) -> Provenance:
        """Provenance of the runbook triage, standing in for a model when a reason is given."""
        fallback = fallback_reason is not None
        return cls(
            source=TriageSource.RUNBOOK_FALLBACK if fallback else TriageSource.RUNBOOK,
            model=RUNBOOK_MODEL,
            prompt_version=RUNBOOK_MODEL,
            answer_sha256=answer_sha256(report.model_dump_json()),
            fallback_reason=fallback_reason,
        )


def answer_sha256(raw: str) -> str:
    """The hash recorded for a raw answer, so audits can match it without storing it twice."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


# Keywords the strict structured-output dialect accepts; others are moved into the
# description (a hint to the model) and still enforced when the answer is validated.
_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "anyOf",
        "description",
        "title",
        "minimum",
        "maximum",
        "minItems",
        "maxItems",
    }
)


def triage_json_schema() -> dict[str, Any]:
    """The JSON schema of TriageReport in the strict structured-output dialect."""
    schema = TriageReport.model_json_schema()
    definitions = schema.pop("$defs", {})
    return _strict(schema, definitions)


def _strict(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    # Inlining every $ref avoids the dialect's rule against siblings next to a $ref.
    if "$ref" in node:
        target = definitions[node["$ref"].rsplit("/", 1)[-1]]
        merged = {**copy.deepcopy(target), **{k: v for k, v in node.items() if k != "$ref"}}
        return _strict(merged, definitions)
    hints = []
    if "maxLength" in node:
        hints.append(f"at most {node['maxLength']} characters")
    if "pattern" in node:
        hints.append(f"must match {node['pattern']}")
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in _STRICT_KEYWORDS:
            continue
        if key == "properties":
            out[key] = {name: _strict(sub, definitions) for name, sub in value.items()}
        elif key == "items":
            out[key] = _strict(value, definitions)
        elif key == "anyOf":
            out[key] = [_strict(sub, definitions) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    if hints:
        limits = ", ".join(hints)
        described = out.get("description")
        out["description"] = f"{described} ({limits})" if described else limits.capitalize()
    if out.get("type") == "object":
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out
