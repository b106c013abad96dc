"""What the ticket says when it is opened: from the incident and its latest triage."""

from __future__ import annotations

import logging
from datetime import UTC

from pydantic import ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.signals import Severity
from bot.domain.triage import Classification
from bot.ports.ticketing import TicketDraft
from bot.slack_text import clip
from bot.store.models import IncidentRow, TriageRow
from bot.tickets.notes import plain
from bot.triage.models import CheckedTriage, TriageReport
from policies.runbooks import classification_for

log = logging.getLogger(__name__)

MAX_DESCRIPTION = 4000
MAX_LINKS = 8


async def latest_report(session: AsyncSession, incident_id: int) -> TriageReport | None:
    """The report of the incident's newest finished triage, if any."""
    found = await session.exec(
        select(TriageRow)
        .where(TriageRow.incident_id == incident_id, TriageRow.status == "done")
        .order_by(col(TriageRow.id).desc())
        .limit(1)
    )
    row = found.first()
    if row is None:
        return None
    try:
        return CheckedTriage.model_validate(row.checked).report
    except ValidationError:
        log.warning("triage %s of incident %s is unreadable; ignored", row.id, incident_id)
        return None


def classification_of(incident: IncidentRow, report: TriageReport | None) -> str:
    """The triage's classification, or the one the incident's severity suggests."""
    if report is not None:
        return report.classification.value
    try:
        return classification_for(Severity(incident.severity)).value
    except ValueError:
        return Classification.MEDIUM.value


def _description(incident: IncidentRow, report: TriageReport | None, classification: str) -> str:
    origin = "from the triage" if report is not None else "from the alert severity"
    lines = [
        incident.title,
        "",
        f"Service: {incident.service} ({incident.environment})",
        f"Severity: {incident.severity}; classification {classification} ({origin})",
        f"Opened: {incident.triggered_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC "
        f"from {incident.source}",
    ]
    if report is not None:
        lines += [
            f"Recommended team: {report.recommended_team}",
            f"Hypothesis (confidence {report.confidence:.2f}): {report.hypothesis}",
        ]
    links = [
        f"- {link.get('title') or 'link'}: {link['url']}"
        for link in incident.links[:MAX_LINKS]
        if str(link.get("url", "")).startswith(("https://", "http://"))
    ]
    if links:
        lines += ["Links:", *links]
    lines += ["", f"smokejumper incident #{incident.id}, correlation id {incident.correlation_id}"]
    return plain(clip("\n".join(lines), MAX_DESCRIPTION))


def ticket_draft(
    incident: IncidentRow, report: TriageReport | None, channel_url: str
) -> TicketDraft:
    """The ticket for `incident`, keyed by its correlation id so a retry finds it."""
    classification = classification_of(incident, report)
    return TicketDraft(
        correlation_id=incident.correlation_id,
        short_description=plain(clip(f"[{incident.service}] {incident.title}", 160)),
        description=_description(incident, report, classification),
        classification=classification,
        team=report.recommended_team if report is not None else "",
        channel_url=channel_url,
    )
