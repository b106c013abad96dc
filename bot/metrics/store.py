"""Figures read from the store at scrape time: the same on every replica, kept across restarts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.autonomy.service import freeze_of
from bot.domain.events import EventKind
from bot.stats.figures import (
    escalation_answers,
    executed,
    is_autonomous,
    phase_durations,
)
from bot.store.models import ActionRow, AutonomyRow, EventRow, IncidentRow, OutboxRow, TriageRow

# Minutes to days: an acknowledgement in a minute, a resolution in hours.
DURATION_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)
PHASES = {
    "acknowledge": "Time from an incident's trigger to its acknowledgement (MTTA).",
    "mitigate": "Time from an incident's trigger to its mitigation (MTTM).",
    "resolve": "Time from an incident's trigger to its resolution (MTTR).",
}


@dataclass
class StoreFigures:
    """One snapshot of what the store says, taken at `now`."""

    now: datetime
    outbox_pending: int = 0
    outbox_oldest_age: float = 0.0
    incidents: Counter[str] = field(default_factory=Counter)
    triages: Counter[tuple[str, str]] = field(default_factory=Counter)
    decisions: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    actions: Counter[tuple[str, str]] = field(default_factory=Counter)
    pages: int = 0
    escalations: int = 0
    active_freezes: int = 0
    durations: dict[str, list[float]] = field(default_factory=dict)
    executed_actions: int = 0
    autonomous_actions: int = 0
    escalation_feedback: Counter[str] = field(default_factory=Counter)


async def read_figures(session: AsyncSession, now: datetime) -> StoreFigures:
    """Everything /metrics reports from the database, in a handful of queries."""
    figures = StoreFigures(now=now)
    pending = await session.exec(
        select(func.count(), func.min(OutboxRow.created_at)).where(
            col(OutboxRow.status).in_(("pending", "running"))
        )
    )
    count, oldest = pending.one()
    figures.outbox_pending = int(count or 0)
    if oldest is not None:
        oldest_at = oldest if oldest.tzinfo else oldest.replace(tzinfo=now.tzinfo)
        figures.outbox_oldest_age = max(0.0, (now - oldest_at).total_seconds())
    statuses = await session.exec(
        select(IncidentRow.status, func.count()).group_by(col(IncidentRow.status))
    )
    figures.incidents.update({status: int(n) for status, n in statuses.all()})
    triages = await session.exec(
        select(TriageRow.source, TriageRow.fallback_reason, func.count()).group_by(
            col(TriageRow.source), col(TriageRow.fallback_reason)
        )
    )
    for source, fallback, n in triages.all():
        figures.triages[(source or "pending", fallback or "")] += int(n)
    rows = (await session.exec(select(ActionRow))).all()
    for row in rows:
        figures.actions[(row.action, row.state)] += 1
        for reason in row.reasons or [{"code": "none"}]:
            figures.decisions[("action", row.decision, str(reason.get("code", "none")))] += 1
        if executed(row):
            figures.executed_actions += 1
            figures.autonomous_actions += int(is_autonomous(row))
    gates = await session.exec(
        select(EventRow.data).where(EventRow.kind == EventKind.ACTION_DECIDED.value)
    )
    for data in gates.all():
        if "gate" not in data:
            continue
        for gate_reason in data.get("reasons") or [{"code": "none"}]:
            code = str(gate_reason.get("code"))
            figures.decisions[(f"gate:{data['gate']}", str(data.get("outcome")), code)] += 1
    kinds = await session.exec(
        select(EventRow.kind, func.count())
        .where(col(EventRow.kind).in_((EventKind.PAGED.value, EventKind.ESCALATED.value)))
        .group_by(col(EventRow.kind))
    )
    for kind, n in kinds.all():
        if kind == EventKind.PAGED.value:
            figures.pages = int(n)
        else:
            figures.escalations = int(n)
    for control in (await session.exec(select(AutonomyRow))).all():
        figures.active_freezes += int(freeze_of(control, now) is not None)
    incidents = (await session.exec(select(IncidentRow))).all()
    figures.durations = phase_durations(incidents)
    figures.escalation_feedback = Counter(
        "yes" if needed else "no" for needed in (await escalation_answers(session)).values()
    )
    return figures


def _histogram(name: str, doc: str, values: list[float]) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    for bound in DURATION_BUCKETS:
        buckets.append((repr(bound), float(sum(1 for v in values if v <= bound))))
    buckets.append(("+Inf", float(len(values))))
    return HistogramMetricFamily(name, doc, buckets=buckets, sum_value=float(sum(values)))


class StoreCollector(Collector):
    """Exposes one snapshot; built per scrape, after the snapshot was read asynchronously."""

    def __init__(self, figures: StoreFigures) -> None:
        self._figures = figures

    def collect(self) -> Iterator[Metric]:
        f = self._figures
        yield GaugeMetricFamily(
            "smokejumper_outbox_pending_jobs",
            "Outbox jobs waiting or running.",
            value=f.outbox_pending,
        )
        yield GaugeMetricFamily(
            "smokejumper_outbox_oldest_job_age_seconds",
            "Age of the oldest outbox job still waiting or running (0 when none).",
            value=f.outbox_oldest_age,
        )
        incidents = GaugeMetricFamily(
            "smokejumper_incidents", "Incidents by status.", labels=["status"]
        )
        for status, n in sorted(f.incidents.items()):
            incidents.add_metric([status], n)
        yield incidents
        triages = CounterMetricFamily(
            "smokejumper_triages",
            "Triages by source (llm, runbook, runbook_fallback) and fallback reason.",
            labels=["source", "fallback_reason"],
        )
        for (source, reason), n in sorted(f.triages.items()):
            triages.add_metric([source, reason], n)
        yield triages
        fallbacks = CounterMetricFamily(
            "smokejumper_triage_fallbacks",
            "Model triages that fell back to the runbook triage, by reason.",
            labels=["reason"],
        )
        for (_, reason), n in sorted(f.triages.items()):
            if reason:
                fallbacks.add_metric([reason], n)
        yield fallbacks
        decisions = CounterMetricFamily(
            "smokejumper_policy_decisions",
            "Policy decisions on proposed actions and gates, by outcome and reason code.",
            labels=["subject", "outcome", "reason"],
        )
        for (subject, outcome, reason), n in sorted(f.decisions.items()):
            decisions.add_metric([subject, outcome, reason], n)
        yield decisions
        actions = GaugeMetricFamily(
            "smokejumper_actions",
            "Proposed actions by catalog action and where they ended up (state).",
            labels=["action", "state"],
        )
        for (action, state), n in sorted(f.actions.items()):
            actions.add_metric([action, state], n)
        yield actions
        yield CounterMetricFamily("smokejumper_pages", "Pages sent to on-call.", value=f.pages)
        yield CounterMetricFamily(
            "smokejumper_escalations", "Incidents handed to humans.", value=f.escalations
        )
        yield GaugeMetricFamily(
            "smokejumper_active_freezes",
            "Autonomy freezes in force (fleet-wide or per service).",
            value=f.active_freezes,
        )
        for phase, doc in PHASES.items():
            yield _histogram(
                f"smokejumper_incident_time_to_{phase}_seconds", doc, f.durations.get(phase, [])
            )
        yield GaugeMetricFamily(
            "smokejumper_executed_actions",
            "Actions that reached an adapter (run by themselves or approved).",
            value=f.executed_actions,
        )
        yield GaugeMetricFamily(
            "smokejumper_autonomous_share",
            "Share of executed actions that the policy let run by themselves (0 when none).",
            value=f.autonomous_actions / f.executed_actions if f.executed_actions else 0.0,
        )
        feedback = CounterMetricFamily(
            "smokejumper_escalation_feedback",
            'Answers to "Was this escalation needed?" on handoffs (latest per escalation).',
            labels=["needed"],
        )
        for answer in ("yes", "no"):
            feedback.add_metric([answer], f.escalation_feedback.get(answer, 0))
        yield feedback
        answered = sum(f.escalation_feedback.values())
        yield GaugeMetricFamily(
            "smokejumper_escalation_precision",
            "Escalations responders marked as needed, of those answered (0 when none).",
            value=f.escalation_feedback.get("yes", 0) / answered if answered else 0.0,
        )
