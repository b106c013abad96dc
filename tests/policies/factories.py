"""Policies, incidents, triages and proposals for the policy engine tests."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from bot.domain.subject import Subject
from bot.triage.models import (
    CheckCode,
    CheckedTriage,
    CheckFlag,
    Classification,
    TriageReport,
    TriageSource,
)
from policies.engine_inputs import IncidentFacts, IncidentState, Proposal
from policies.policy import Policy, load_policy, policy_version
from policies.policy_schema import PolicyRules

NOW = datetime(2026, 11, 21, 7, 45, tzinfo=UTC)
SERVICE = "checkout"
ENVIRONMENT = "production"
SCOPE = f"{ENVIRONMENT}/{SERVICE}"
ALICE = "U0ALICE"
BOB = "U0BOB"
CAROL = "U0CAROL"
ONCALL = "S0ONCALL"


@cache
def shipped_policy() -> Policy:
    loaded = load_policy()
    assert loaded.ok, loaded.problem
    return loaded.policy


@dataclass(frozen=True)
class Replace:
    """In a patch: put this value in whole instead of merging it."""

    value: Any


def merged(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `patch` merged in, mapping by mapping."""
    out = copy.deepcopy(dict(base))
    for key, value in patch.items():
        if isinstance(value, Replace):
            out[key] = copy.deepcopy(value.value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def policy_with(patch: Mapping[str, Any] | None = None, *, mode: str = "limited") -> Policy:
    """The shipped policy in `mode` by default, with `patch` merged in."""
    document = merged(shipped_policy().rules.model_dump(mode="json"), {"autonomy": {"mode": mode}})
    rules = PolicyRules.model_validate(merged(document, patch or {}))
    return Policy(rules=rules, version=policy_version(rules), source="test")


def incident(
    *,
    service: str = SERVICE,
    environment: str = ENVIRONMENT,
    state: IncidentState = IncidentState.OPEN,
    classification: Classification = Classification.MEDIUM,
    signal_count: int = 2,
    independent_sources: int = 1,
    incident_class: str = "crash_looping_service",
    labels: Mapping[str, str] | None = None,
    subject: Subject | None = None,
) -> IncidentFacts:
    return IncidentFacts(
        id="42",
        service=service,
        environment=environment,
        state=state,
        classification=classification,
        signal_count=signal_count,
        independent_sources=independent_sources,
        incident_class=incident_class,
        labels=labels or {"alertname": "KubePodCrashLooping"},
        subject=subject,
    )


def triage(
    *,
    confidence: float = 0.9,
    classification: Classification = Classification.MEDIUM,
    incident_class: str = "crash_looping_service",
    flags: Sequence[CheckCode] = (),
) -> CheckedTriage:
    """A checked triage as the checks stage hands it on."""
    report = TriageReport(
        classification=classification,
        confidence=confidence,
        requires_ticket=True,
        requires_paging=False,
        requires_mim=False,
        recommended_team="platform",
        incident_class=incident_class,
        hypothesis="The checkout pods crash on start.",
        evidence=[],
        unknowns=[],
        proposed_actions=[],
    )
    return CheckedTriage(
        report=report,
        proposed_confidence=confidence,
        flags=[CheckFlag(code=code, message=f"flagged {code}") for code in flags],
        dropped_actions=[],
        answer_sha256="0" * 64,
        model="runbook",
        prompt_version="runbook",
        runbooks_version="sha256:0123456789abcdef",
        prompt_tokens=0,
        completion_tokens=0,
        source=TriageSource.RUNBOOK,
        fallback_reason=None,
    )


def proposal(
    action: str = "restart_deployment",
    *,
    target: str = SCOPE,
    proposed_by: str = "triage",
    proposed_at: datetime = NOW,
    params: Mapping[str, str] | None = None,
    **named: str,
) -> Proposal:
    return Proposal(
        action=action,
        target=target,
        params={**(params or {}), **named},
        rationale="because the runbook says so",
        proposed_by=proposed_by,
        proposed_at=proposed_at,
    )


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)
