"""The ticket, paging and major-incident gates, one commented case per condition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from bot.triage.models import CheckedTriage, Classification
from policies.decisions import GateOutcome, GateResult, ReasonCode
from policies.engine import decide_major_incident, decide_paging, decide_ticket
from policies.engine_inputs import (
    AlertingService,
    Freeze,
    FreezeState,
    History,
    IncidentFacts,
    IncidentState,
)
from policies.policy import Policy
from tests.policies.factories import NOW, SERVICE, incident, minutes_ago, policy_with, triage

Gate = Callable[[IncidentFacts, CheckedTriage, History, FreezeState, Policy, datetime], GateResult]
HIGH: dict[str, Any] = {"classification": Classification.HIGH}
SEV1: dict[str, Any] = {"classification": Classification.SEV1}
WIDESPREAD = History(services_alerting=tuple(AlertingService(s, minutes_ago(1)) for s in "abcde"))


@dataclass(frozen=True)
class GateCase:
    """One scenario for one gate; each gate's base case passes."""

    gate: Gate
    outcome: GateOutcome
    present: ReasonCode | None = None
    absent: ReasonCode | None = None
    mode: str = "limited"
    facts: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    history: History = field(default_factory=History)
    freeze: FreezeState = field(default_factory=FreezeState)


T = decide_ticket
P = decide_paging
M = decide_major_incident

GATE_CASES: dict[str, GateCase] = {
    # Ticket: confidence 0.70 in production in limited mode, a medium incident.
    "ticket_met": GateCase(T, GateOutcome.AUTOMATIC, present=ReasonCode.THRESHOLDS_MET),
    "ticket_met_near_miss_assist": GateCase(
        T, GateOutcome.HUMAN_REVIEW, absent=ReasonCode.THRESHOLDS_MET, mode="assist"
    ),
    # Assist mode: a person files the ticket.
    "ticket_assist": GateCase(
        T, GateOutcome.HUMAN_REVIEW, present=ReasonCode.ASSIST_MODE, mode="assist"
    ),
    "ticket_assist_near_miss": GateCase(T, GateOutcome.AUTOMATIC, absent=ReasonCode.ASSIST_MODE),
    # Below 0.70 a ticket waits for a person.
    "ticket_confidence": GateCase(
        T,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.BELOW_GATE_CONFIDENCE,
        report={"confidence": 0.6999},
    ),
    "ticket_confidence_near_miss": GateCase(
        T,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.BELOW_GATE_CONFIDENCE,
        report={"confidence": 0.70},
    ),
    # Outside production a ticket waits for a person.
    "ticket_staging": GateCase(
        T,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.NOT_PRODUCTION,
        facts={"environment": "staging"},
    ),
    "ticket_staging_near_miss": GateCase(
        T,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.NOT_PRODUCTION,
        facts={"environment": "production"},
    ),
    # Limited mode files low and medium tickets only.
    "ticket_above_limited": GateCase(
        T,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.CLASSIFICATION_ABOVE_MODE,
        facts=HIGH,
        report=HIGH,
    ),
    "ticket_above_limited_near_miss": GateCase(
        T,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.CLASSIFICATION_ABOVE_MODE,
        mode="paging",
        facts=HIGH,
        report=HIGH,
    ),
    # A freeze stops even tickets from being filed by themselves.
    "ticket_frozen": GateCase(
        T,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.FROZEN,
        freeze=FreezeState(services={SERVICE: Freeze(reason="game day")}),
    ),
    "ticket_frozen_near_miss": GateCase(
        T,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.FROZEN,
        freeze=FreezeState(services={"payments": Freeze(reason="game day")}),
    ),
    # During a widespread failure, a person decides.
    "ticket_breaker": GateCase(
        T, GateOutcome.HUMAN_REVIEW, present=ReasonCode.CIRCUIT_BREAKER_OPEN, history=WIDESPREAD
    ),
    "ticket_breaker_near_miss": GateCase(
        T, GateOutcome.AUTOMATIC, absent=ReasonCode.CIRCUIT_BREAKER_OPEN
    ),
    # A closed incident gets nothing by itself.
    "ticket_closed": GateCase(
        T,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.INCIDENT_CLOSED,
        facts={"state": IncidentState.CLOSED},
    ),
    "ticket_closed_near_miss": GateCase(
        T, GateOutcome.AUTOMATIC, absent=ReasonCode.INCIDENT_CLOSED
    ),
    # Shadow mode: records that limited mode would have filed it.
    "ticket_shadow": GateCase(
        T, GateOutcome.SHADOW_ONLY, present=ReasonCode.SHADOW_MODE, mode="shadow"
    ),
    "ticket_shadow_near_miss": GateCase(T, GateOutcome.AUTOMATIC, absent=ReasonCode.SHADOW_MODE),
    # Paging: high, confidence 0.80, paging mode, under the rate limit.
    "page_met": GateCase(
        P,
        GateOutcome.AUTOMATIC,
        present=ReasonCode.THRESHOLDS_MET,
        mode="paging",
        facts=HIGH,
        report=HIGH,
    ),
    # Limited mode never pages by itself.
    "page_limited": GateCase(
        P, GateOutcome.HUMAN_REVIEW, present=ReasonCode.MODE_TOO_LOW, facts=HIGH, report=HIGH
    ),
    "page_limited_near_miss": GateCase(
        P,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.MODE_TOO_LOW,
        mode="mim",
        facts=HIGH,
        report=HIGH,
    ),
    # Medium is below the paging classification.
    "page_medium": GateCase(
        P, GateOutcome.HUMAN_REVIEW, present=ReasonCode.CLASSIFICATION_TOO_LOW, mode="paging"
    ),
    "page_medium_near_miss": GateCase(
        P,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.CLASSIFICATION_TOO_LOW,
        mode="paging",
        facts=SEV1,
        report=SEV1,
    ),
    # 0.79 is below the paging confidence.
    "page_confidence": GateCase(
        P,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.BELOW_GATE_CONFIDENCE,
        mode="paging",
        facts=HIGH,
        report={**HIGH, "confidence": 0.79},
    ),
    "page_confidence_near_miss": GateCase(
        P,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.BELOW_GATE_CONFIDENCE,
        mode="paging",
        facts=HIGH,
        report={**HIGH, "confidence": 0.80},
    ),
    # Five pages within the hour: the sixth waits for a person.
    "page_rate": GateCase(
        P,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.PAGING_RATE_LIMITED,
        mode="paging",
        facts=HIGH,
        report=HIGH,
        history=History(pages_sent=tuple(minutes_ago(m) for m in range(5))),
    ),
    "page_rate_near_miss": GateCase(
        P,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.PAGING_RATE_LIMITED,
        mode="paging",
        facts=HIGH,
        report=HIGH,
        history=History(pages_sent=tuple(minutes_ago(m) for m in range(4))),
    ),
    # Major incident: sev1, confidence 0.85, two independent sources, mim mode.
    "mim_met": GateCase(
        M,
        GateOutcome.AUTOMATIC,
        present=ReasonCode.THRESHOLDS_MET,
        mode="mim",
        facts={**SEV1, "independent_sources": 2},
        report={**SEV1, "confidence": 0.85},
    ),
    # Paging mode does not declare major incidents.
    "mim_mode": GateCase(
        M,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.MODE_TOO_LOW,
        mode="paging",
        facts={**SEV1, "independent_sources": 2},
        report=SEV1,
    ),
    # High is not sev1.
    "mim_high": GateCase(
        M,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.CLASSIFICATION_TOO_LOW,
        mode="mim",
        facts={**HIGH, "independent_sources": 2},
        report=SEV1,
    ),
    # 0.84 is below the major-incident confidence.
    "mim_confidence": GateCase(
        M,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.BELOW_GATE_CONFIDENCE,
        mode="mim",
        facts={**SEV1, "independent_sources": 2},
        report={**SEV1, "confidence": 0.84},
    ),
    # One source may be one flaky rule: two independent ones must confirm.
    "mim_one_source": GateCase(
        M,
        GateOutcome.HUMAN_REVIEW,
        present=ReasonCode.TOO_FEW_SOURCES,
        mode="mim",
        facts={**SEV1, "signal_count": 5, "independent_sources": 1},
        report=SEV1,
    ),
    "mim_one_source_near_miss": GateCase(
        M,
        GateOutcome.AUTOMATIC,
        absent=ReasonCode.TOO_FEW_SOURCES,
        mode="mim",
        facts={**SEV1, "signal_count": 2, "independent_sources": 2},
        report=SEV1,
    ),
}


def _run(case: GateCase) -> GateResult:
    return case.gate(
        incident(**case.facts),
        triage(**case.report),
        case.history,
        case.freeze,
        policy_with(mode=case.mode),
        NOW,
    )


@pytest.mark.parametrize("case", list(GATE_CASES.values()), ids=list(GATE_CASES))
def test_gate(case: GateCase) -> None:
    result = _run(case)

    assert result.outcome is case.outcome, result.reasons
    if case.present is not None:
        assert result.has(case.present), result.reasons
    if case.absent is not None:
        assert not result.has(case.absent), result.reasons
    assert result.automatic is (case.outcome is GateOutcome.AUTOMATIC)


def test_every_failed_condition_is_listed() -> None:
    result = _run(
        GateCase(
            M,
            GateOutcome.HUMAN_REVIEW,
            mode="limited",
            facts={"independent_sources": 0},
            report={"confidence": 0.1},
        )
    )

    assert {r.code for r in result.reasons} == {
        ReasonCode.MODE_TOO_LOW,
        ReasonCode.CLASSIFICATION_TOO_LOW,
        ReasonCode.BELOW_GATE_CONFIDENCE,
        ReasonCode.TOO_FEW_SOURCES,
    }


def test_shadow_gate_records_both_ways() -> None:
    would = _run(GateCase(T, GateOutcome.SHADOW_ONLY, mode="shadow"))
    would_not = _run(
        GateCase(T, GateOutcome.SHADOW_ONLY, mode="shadow", report={"confidence": 0.1})
    )

    assert would.shadowed_outcome is GateOutcome.AUTOMATIC
    assert "would have happened by itself" in would.reasons[0].text
    assert would_not.shadowed_outcome is GateOutcome.HUMAN_REVIEW
    assert would_not.has(ReasonCode.BELOW_GATE_CONFIDENCE)


def test_gate_results_name_the_gate_mode_and_policy() -> None:
    policy = policy_with(mode="paging")
    high = Classification.HIGH
    result = decide_paging(
        incident(classification=high),
        triage(classification=high),
        History(),
        FreezeState(),
        policy,
        NOW,
    )

    assert result.gate == "paging"
    assert result.policy_version == policy.version
    assert result.mode.value == "paging"
