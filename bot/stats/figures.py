"""Figures shared by /metrics, App Home and `smokejumper report`, computed from stored rows."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.states import ActionState
from bot.domain.events import EventKind
from bot.store.models import ActionRow, EventRow, IncidentRow

# Who decides an action the policy let run by itself (bot.actions.common.POLICY_ACTOR).
POLICY_ACTOR = "policy"
EXECUTED_STATES = frozenset(
    {
        ActionState.EXECUTING,
        ActionState.SUCCEEDED,
        ActionState.FAILED,
        ActionState.VERIFIED,
        ActionState.UNVERIFIED,
        ActionState.INTERRUPTED,
    }
)


def executed(row: ActionRow) -> bool:
    """The action reached its adapter (or its paging/ticket job)."""
    return row.state in EXECUTED_STATES


def is_autonomous(row: ActionRow) -> bool:
    """Nobody clicked: the policy let it run by itself."""
    return row.decided_by == POLICY_ACTOR and not row.approvers


def phase_durations(incidents: Iterable[IncidentRow]) -> dict[str, list[float]]:
    """Seconds from trigger to acknowledgement, mitigation and resolution, per incident."""
    out: dict[str, list[float]] = {"acknowledge": [], "mitigate": [], "resolve": []}
    for incident in incidents:
        for phase, stamp in (
            ("acknowledge", incident.acknowledged_at),
            ("mitigate", incident.mitigated_at),
            ("resolve", incident.resolved_at),
        ):
            if stamp is not None:
                out[phase].append(max(0.0, (stamp - incident.triggered_at).total_seconds()))
    return out


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..100); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def escalation_answers(
    session: AsyncSession, since: datetime | None = None
) -> dict[int, bool]:
    """Was each answered escalation needed? The latest answer per escalation counts."""
    query = select(EventRow).where(EventRow.kind == EventKind.ESCALATION_FEEDBACK.value)
    if since is not None:
        query = query.where(col(EventRow.at) >= since)
    answers: dict[int, bool] = {}
    for event in (await session.exec(query.order_by(col(EventRow.id)))).all():
        escalation = event.data.get("escalation_event_id")
        if isinstance(escalation, int):
            answers[escalation] = bool(event.data.get("needed"))
    return answers


@dataclass(frozen=True)
class PeriodStats:
    """One period (the last N days) as App Home and the report show it."""

    days: int
    incidents: int
    mtta: tuple[float | None, float | None]
    mttm: tuple[float | None, float | None]
    mttr: tuple[float | None, float | None]
    executed: int
    autonomous: int
    escalations_answered: int
    escalations_needed: int
    busiest: list[tuple[str, int]]

    @property
    def autonomous_share(self) -> float | None:
        return self.autonomous / self.executed if self.executed else None

    @property
    def escalation_precision(self) -> float | None:
        if not self.escalations_answered:
            return None
        return self.escalations_needed / self.escalations_answered


async def period_stats(session: AsyncSession, now: datetime, days: int) -> PeriodStats:
    """Incidents triggered in the last `days` days, and the actions and answers about them."""
    since = now - timedelta(days=days)
    incidents = list(
        (
            await session.exec(select(IncidentRow).where(col(IncidentRow.triggered_at) >= since))
        ).all()
    )
    durations = phase_durations(incidents)
    ids = [i.id for i in incidents if i.id is not None]
    rows: list[ActionRow] = []
    if ids:
        rows = list(
            (await session.exec(select(ActionRow).where(col(ActionRow.incident_id).in_(ids)))).all()
        )
    ran = [r for r in rows if executed(r)]
    answers = await escalation_answers(session, since)
    services = Counter(i.service for i in incidents)

    def p50_p90(phase: str) -> tuple[float | None, float | None]:
        values = durations[phase]
        return percentile(values, 50), percentile(values, 90)

    return PeriodStats(
        days=days,
        incidents=len(incidents),
        mtta=p50_p90("acknowledge"),
        mttm=p50_p90("mitigate"),
        mttr=p50_p90("resolve"),
        executed=len(ran),
        autonomous=sum(1 for r in ran if is_autonomous(r)),
        escalations_answered=len(answers),
        escalations_needed=sum(1 for needed in answers.values() if needed),
        busiest=services.most_common(5),
    )
