"""What the policy engine answers: outcomes, reasons, gate results and refusals."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from policies.policy_schema import AutonomyMode, RiskClass


class Outcome(StrEnum):
    """What happens to one proposed action."""

    AUTO_EXECUTE = "auto_execute"
    NEEDS_APPROVAL = "needs_approval"
    NEEDS_TWO_APPROVALS = "needs_two_approvals"
    FORBIDDEN = "forbidden"
    ESCALATE = "escalate"
    SHADOW_ONLY = "shadow_only"


class GateOutcome(StrEnum):
    """Whether a ticket, page or major incident happens by itself."""

    AUTOMATIC = "automatic"
    HUMAN_REVIEW = "human_review"
    SHADOW_ONLY = "shadow_only"


class ReasonCode(StrEnum):
    """Why a decision or gate came out as it did; stable, for metrics and audit."""

    # The action can never run.
    NOT_IN_CATALOG = "not_in_catalog"
    ACTION_DISABLED = "action_disabled"
    TARGET_OUT_OF_SCOPE = "target_out_of_scope"
    PARAM_INVALID = "param_invalid"
    PARAM_OUT_OF_BOUNDS = "param_out_of_bounds"
    INCIDENT_CLOSED = "incident_closed"
    # Humans must look first.
    LOW_CONFIDENCE = "low_confidence"
    EVIDENCE_CONTRADICTS = "evidence_contradicts"
    ACTION_FAILED_BEFORE = "action_failed_before"
    FAILED_FOR_SUBJECT = "failed_for_subject"
    SENSITIVE_DOMAIN = "sensitive_domain"
    SERVICE_BUDGET_EXHAUSTED = "service_budget_exhausted"
    FLEET_BUDGET_EXHAUSTED = "fleet_budget_exhausted"
    CIRCUIT_BREAKER_OPEN = "circuit_breaker_open"
    # Approval is needed.
    FROZEN = "frozen"
    DUPLICATE_SUPPRESSED = "duplicate_suppressed"
    ASSIST_MODE = "assist_mode"
    MODE_TOO_LOW = "mode_too_low"
    NOT_SAFE_AND_REVERSIBLE = "not_safe_and_reversible"
    HUMAN_ONLY_RISK = "human_only_risk"
    HIGH_RISK = "high_risk"
    # Gate conditions.
    BELOW_GATE_CONFIDENCE = "below_gate_confidence"
    NOT_PRODUCTION = "not_production"
    CLASSIFICATION_TOO_LOW = "classification_too_low"
    CLASSIFICATION_ABOVE_MODE = "classification_above_mode"
    PAGING_RATE_LIMITED = "paging_rate_limited"
    TOO_FEW_SOURCES = "too_few_sources"
    # It happens, or would have.
    AUTONOMOUS = "autonomous"
    THRESHOLDS_MET = "thresholds_met"
    SHADOW_MODE = "shadow_mode"
    # The policy file was invalid; the safe fallback decided.
    POLICY_FALLBACK = "policy_fallback"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: a stable code and a sentence for people."""

    code: ReasonCode
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code.value, "text": self.text}


@dataclass(frozen=True, slots=True)
class Decision:
    """What happens to one proposed action, why, and under which policy."""

    action: str
    target: str
    outcome: Outcome
    reasons: tuple[Reason, ...]
    policy_version: str
    # An action the policy does not know is treated as human_only.
    risk: RiskClass
    approvals_needed: int
    params_hash: str
    mode: AutonomyMode
    expires_at: datetime
    adapter: str | None = None
    # In shadow mode: what the imagined mode would have done.
    shadowed_outcome: Outcome | None = None

    def has(self, code: ReasonCode) -> bool:
        """Whether any reason carries `code`."""
        return any(r.code is code for r in self.reasons)

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)

    def reasons_json(self) -> list[dict[str, str]]:
        """The reasons as stored on the action row and in the event log."""
        return [r.as_dict() for r in self.reasons]


@dataclass(frozen=True, slots=True)
class GateResult:
    """Whether a ticket, page or major incident happens by itself, and why."""

    gate: str
    outcome: GateOutcome
    reasons: tuple[Reason, ...]
    policy_version: str
    mode: AutonomyMode
    shadowed_outcome: GateOutcome | None = None

    @property
    def automatic(self) -> bool:
        return self.outcome is GateOutcome.AUTOMATIC

    def has(self, code: ReasonCode) -> bool:
        """Whether any reason carries `code`."""
        return any(r.code is code for r in self.reasons)


class RefusalCode(StrEnum):
    """Why a click or a run was refused; stable, for metrics and audit."""

    PARAMS_MISMATCH = "params_mismatch"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"
    INCIDENT_CLOSED = "incident_closed"
    POLICY_CHANGED = "policy_changed"
    NOT_APPROVABLE = "not_approvable"
    NOT_AN_APPROVER = "not_an_approver"
    OWN_PROPOSAL = "own_proposal"
    ALREADY_APPROVED = "already_approved"
    FROZEN = "frozen"
    NO_LONGER_AUTONOMOUS = "no_longer_autonomous"
    SCALE_FROM_ZERO = "scale_from_zero"
    SCALE_DELTA_OUT_OF_BOUNDS = "scale_delta_out_of_bounds"
    SCALE_ABOVE_CEILING = "scale_above_ceiling"
    SCALE_ABOVE_FACTOR = "scale_above_factor"
    SCALE_PAST_REQUESTED_CEILING = "scale_past_requested_ceiling"


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refusal: a code and a sentence fit for an ephemeral Slack message."""

    code: RefusalCode
    message: str


@dataclass(frozen=True, slots=True)
class ApprovalCheck:
    """The answer to a click: refused, or accepted with how many approvals remain."""

    refusal: Refusal | None
    approvals_remaining: int = 0

    @property
    def allowed(self) -> bool:
        return self.refusal is None

    @property
    def complete(self) -> bool:
        """Accepted, and no further approval is needed before it runs."""
        return self.refusal is None and self.approvals_remaining == 0


def params_hash(action: str, target: str, params: Mapping[str, str]) -> str:
    """The sha256 of a canonical JSON of action, target and parameters."""
    canonical = json.dumps(
        {"action": action, "target": target, "params": dict(params)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
