"""One read of everything the bot knows about an incident, for answers and tools."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.changes.service import recent_changes
from bot.domain.subject import Subject
from bot.eventlog import service as eventlog
from bot.incidents.service import incident_subject
from bot.store.models import ActionRow, ChangeRow, EventRow, IncidentRow
from bot.triage import service as triages
from bot.triage.assemble import ContextLimits, assemble_context
from bot.triage.context import TriageContext
from bot.triage.models import CheckedTriage
from policies.runbooks import Runbook

_SLACK_USER = re.compile(r"^U[A-Z0-9]{2,20}$")
MAX_CHANGES = 10


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """The incident, its event log, actions, triage and the context a triage would see."""

    incident: IncidentRow
    subject: Subject
    events: tuple[EventRow, ...]
    actions: tuple[ActionRow, ...]
    triage: CheckedTriage | None
    context: TriageContext
    changes: tuple[ChangeRow, ...]
    responders: tuple[str, ...]
    lookback: timedelta
    now: datetime

    @property
    def number(self) -> int:
        assert self.incident.id is not None
        return self.incident.id

    def allowed_users(self) -> frozenset[str]:
        """Slack users the record names: the only people a reply may mention."""
        users = set(self.responders)
        if self.incident.owner:
            users.add(self.incident.owner)
        for action in self.actions:
            users.update(action.approvers)
            for who in (action.decided_by, action.proposed_by):
                if who:
                    users.add(who)
        for event in self.events:
            actor = event.actor.removeprefix("slack:")
            if actor != event.actor:
                users.add(actor)
            for key in ("user", "approved_by", "denied_by", "owner"):
                value = event.data.get(key)
                if isinstance(value, str):
                    users.add(value)
        return frozenset(u for u in users if _SLACK_USER.match(u))

    def allowed_links(self) -> frozenset[str]:
        """Links the record holds in its structured fields: the only ones a reply may carry."""
        links = {link.get("url", "") for link in self.incident.links}
        if self.incident.ticket_url:
            links.add(self.incident.ticket_url)
        links.update(change.pointer for change in self.changes)
        for signal in self.context.signals:
            links.update(link.url for link in signal.links)
        return frozenset(u for u in links if u.startswith(("https://", "http://")))


async def load_record(
    session: AsyncSession,
    incident: IncidentRow,
    *,
    runbooks: list[Runbook],
    runbooks_version: str,
    responders: list[str],
    lookback: timedelta,
    now: datetime,
) -> IncidentRecord:
    """Everything about one incident, read in one session."""
    assert incident.id is not None
    events = await eventlog.timeline(session, incident.id)
    result = await session.exec(
        select(ActionRow).where(ActionRow.incident_id == incident.id).order_by(col(ActionRow.id))
    )
    actions = list(result.all())
    checked = None
    if incident.triage_id is not None:
        row = await triages.get(session, incident.triage_id)
        checked = triages.checked_of(row) if row is not None else None
    context = await assemble_context(
        session,
        incident,
        runbooks=runbooks,
        runbooks_version=runbooks_version,
        now=now,
        limits=ContextLimits(change_lookback=lookback),
    )
    changes = await recent_changes(
        session,
        service=incident.service,
        environment=incident.environment,
        since=incident.triggered_at - lookback,
        until=now,
        limit=MAX_CHANGES,
    )
    return IncidentRecord(
        incident=incident,
        subject=incident_subject(incident),
        events=tuple(events),
        actions=tuple(actions),
        triage=checked,
        context=context,
        changes=tuple(changes),
        responders=tuple(responders),
        lookback=lookback,
        now=now,
    )
