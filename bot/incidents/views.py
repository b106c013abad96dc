"""Block Kit for the incident card and the channel announcements."""

from __future__ import annotations

from typing import Any

from bot.incidents.service import incident_subject
from bot.slack_text import clip, escape
from bot.store.models import IncidentRow

SEVERITY_ICON = {"critical": "🔴", "error": "🟠", "warning": "🟡", "info": "🔵"}
STATUS_ICON = {
    "triggered": "🚨",
    "acknowledged": "👀",
    "mitigated": "🩹",
    "resolved": "✅",
    "closed": "📁",
}


# Buttons of the incident card; each runs the `/incident` subcommand of the same name.
CARD_ACK = "sj_card_ack"
CARD_RESOLVE = "sj_card_resolve"
CARD_COMMAND = "sj_card_commander"
CARD_PAGE = "sj_card_page"
CARD_TICKET = "sj_card_ticket"
OPEN = frozenset({"triggered", "acknowledged", "mitigated"})


def card_marker(incident_id: int) -> str:
    """The block_id that identifies an incident's card among the bot's messages."""
    return f"incident-card-{incident_id}"


def card_text(incident: IncidentRow) -> str:
    return f"Incident #{incident.id}: {incident.title} ({incident.severity}, {incident.status})"


def ticket_text(incident: IncidentRow) -> str:
    """The ticket number as mrkdwn, linked to the ticket when its address is known."""
    if not incident.ticket_ref:
        return "_no ticket yet_"
    number = escape(clip(incident.ticket_ref, 80))
    url = incident.ticket_url or ""
    if url.startswith(("https://", "http://")) and not any(c.isspace() for c in url):
        return f"<{escape(url).replace('|', '%7C')}|{number}>"
    return number


def incident_card(incident: IncidentRow) -> list[dict[str, Any]]:
    """The pinned card: title, severity, service, status, source links, ticket."""
    assert incident.id is not None
    status = incident.status + (" · signal resolved" if incident.signal_resolved else "")
    fields = [
        ("Severity", f"{SEVERITY_ICON.get(incident.severity, '')} {incident.severity}"),
        ("Status", f"{STATUS_ICON.get(incident.status, '')} {status}"),
        ("Service", escape(incident.service)),
        ("Subject", escape(clip(incident_subject(incident).describe(), 120))),
        ("Environment", escape(incident.environment)),
        ("Signals", str(incident.signal_count)),
        ("Commander", f"<@{incident.owner}>" if incident.owner else "_nobody yet_"),
        (
            "Triggered",
            f"<!date^{int(incident.triggered_at.timestamp())}^{{date_short_pretty}} "
            f"{{time}}|{incident.triggered_at.isoformat()}>",
        ),
    ]
    links = [
        f"<{escape(link['url'])}|{escape(clip(link['title'], 80))}>"
        for link in incident.links[:8]
        if link.get("url", "").startswith(("http://", "https://"))
    ]
    ticket = ticket_text(incident)
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "block_id": card_marker(incident.id),
            "text": {"type": "plain_text", "text": clip(f"#{incident.id} {incident.title}", 150)},
        },
        {
            "type": "section",
            "block_id": f"incident-fields-{incident.id}",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
        },
    ]
    if links:
        blocks.append(
            {
                "type": "section",
                "block_id": f"incident-links-{incident.id}",
                "text": {"type": "mrkdwn", "text": clip("*Sources* " + " · ".join(links), 3000)},
            }
        )
    blocks.append(
        {
            "type": "context",
            "block_id": f"incident-ticket-{incident.id}",
            "elements": [
                {"type": "mrkdwn", "text": f"*Ticket:* {ticket}"},
                {"type": "mrkdwn", "text": f"source: {escape(incident.source)}"},
                {"type": "mrkdwn", "text": f"id: `{incident.correlation_id}`"},
            ],
        }
    )
    if incident.status in OPEN:
        blocks.append(card_buttons(incident))
    return blocks


def _button(action_id: str, text: str, value: str, style: str = "") -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def card_buttons(incident: IncidentRow) -> dict[str, Any]:
    """What a responder does from the card; each is checked and recorded like its command."""
    assert incident.id is not None
    value = str(incident.id)
    elements = []
    if incident.status == "triggered":
        elements.append(_button(CARD_ACK, "Acknowledge", value, "primary"))
    resolve = _button(CARD_RESOLVE, "Resolve", value)
    resolve["confirm"] = {
        "title": {"type": "plain_text", "text": "Resolve the incident?"},
        "text": {
            "type": "plain_text",
            "text": clip(f"Mark incident #{incident.id} resolved: {incident.title}", 300),
        },
        "confirm": {"type": "plain_text", "text": "Resolve"},
        "deny": {"type": "plain_text", "text": "Cancel"},
    }
    elements += [
        resolve,
        _button(CARD_COMMAND, "Take command", value),
        _button(CARD_PAGE, "Page on-call", value),
    ]
    if not incident.ticket_ref:
        elements.append(_button(CARD_TICKET, "Create ticket", value))
    return {"type": "actions", "block_id": f"incident-actions-{incident.id}", "elements": elements}


def topic(incident: IncidentRow) -> str:
    """Severity, service, commander (when someone took command) and title, within 250."""
    commander = f" · IC <@{incident.owner}>" if incident.owner else ""
    head = f"{incident.severity.upper()} · {incident.service}{commander} · "
    return head + clip(incident.title, 250 - len(head))


def announcement(incident: IncidentRow, channel_id: str) -> str:
    icon = SEVERITY_ICON.get(incident.severity, "")
    return (
        f"{icon} Incident #{incident.id} opened: {escape(clip(incident.title, 200))} "
        f"({incident.severity}, {escape(incident.service)}) → <#{channel_id}>"
    )


def announcement_marker(incident_id: int) -> str:
    """The block_id that finds an incident's announcement among the bot's messages."""
    return f"incident-announce-{incident_id}"


def announcement_blocks(incident_id: int, text: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "section",
            "block_id": announcement_marker(incident_id),
            "text": {"type": "mrkdwn", "text": text},
        }
    ]


def signal_resolved_message(alertname: str, summary: str) -> str:
    return (
        f"✅ Signal resolved: *{escape(clip(alertname, 150))}* — {escape(clip(summary, 300))}\n"
        "The incident stays open until a responder resolves it."
    )
