"""Block Kit for the storm card: one message, edited in place, listing what is alerting."""

from __future__ import annotations

from typing import Any

from bot.slack_text import clip, escape
from bot.store.models import IncidentRow
from bot.storms.tally import ServiceTally, StormTally

SPLIT_ACTION_ID = "storm_split"
# Slack allows 50 blocks a message; the busiest services get a line and a button each.
SERVICES_SHOWN = 15
ALERTNAMES_SHOWN = 3


def card_marker(incident_id: int) -> str:
    """The block_id that identifies a storm's card among the bot's messages."""
    return f"storm-card-{incident_id}"


def card_text(incident: IncidentRow, tally: StormTally) -> str:
    state = "subsided" if incident.storm_subsided_at else "active"
    return (
        f"Alert storm #{incident.id} in {incident.environment} ({state}): "
        f"{len(tally.services)} services, {tally.alerts} alerts"
    )


def split_value(incident_id: int, service: str) -> str:
    return f"{incident_id}|{service}"[:2000]


def parse_split_value(value: str) -> tuple[int, str] | None:
    number, _, service = value.partition("|")
    if not number.isdigit() or not service:
        return None
    return int(number), service


def _stamp(incident: IncidentRow) -> str:
    at = incident.storm_subsided_at or incident.triggered_at
    return f"<!date^{int(at.timestamp())}^{{time}}|{at.isoformat()}>"


def _state(incident: IncidentRow) -> str:
    if incident.storm_subsided_at is not None:
        return f"🌤️ *Subsided* at {_stamp(incident)}: new alerts open their own incidents again."
    return "🌩️ *Active*: every new alert in this environment joins this incident."


def _service_line(incident_id: int, entry: ServiceTally) -> dict[str, Any]:
    names = sorted(entry.alertnames.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{escape(clip(n, 60))} x{c}" for n, c in names[:ALERTNAMES_SHOWN])
    more = f" (+{len(names) - ALERTNAMES_SHOWN} more)" if len(names) > ALERTNAMES_SHOWN else ""
    return {
        "type": "section",
        "block_id": f"storm-service-{incident_id}-{clip(entry.service, 200)}",
        "text": {
            "type": "mrkdwn",
            "text": clip(f"*{escape(entry.service)}* — {entry.alerts} alerts: {shown}{more}", 3000),
        },
        "accessory": {
            "type": "button",
            "action_id": SPLIT_ACTION_ID,
            "text": {"type": "plain_text", "text": "Split out"},
            "value": split_value(incident_id, entry.service),
        },
    }


def storm_card(incident: IncidentRow, tally: StormTally) -> list[dict[str, Any]]:
    """Services, alert names and counts, the storm's state, and a split button per service."""
    assert incident.id is not None
    fields = [
        ("Environment", escape(incident.environment)),
        ("Status", f"{incident.status} · {'subsided' if incident.storm_subsided_at else 'active'}"),
        ("Services", str(len(tally.services))),
        ("Alerts", str(tally.alerts)),
        ("Alert names", str(tally.alertnames)),
        ("Severity", escape(incident.severity)),
    ]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "block_id": card_marker(incident.id),
            "text": {
                "type": "plain_text",
                "text": clip(f"#{incident.id} Alert storm in {incident.environment}", 150),
            },
        },
        {
            "type": "section",
            "block_id": f"storm-state-{incident.id}",
            "text": {"type": "mrkdwn", "text": _state(incident)},
        },
        {
            "type": "section",
            "block_id": f"storm-fields-{incident.id}",
            "fields": [{"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in fields],
        },
        {
            "type": "context",
            "block_id": f"storm-rules-{incident.id}",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": "Nothing runs by itself for a storm. Split a service out to give it "
                    "its own incident, channel and triage: `/incident split SERVICE`.",
                }
            ],
        },
    ]
    blocks += [_service_line(incident.id, entry) for entry in tally.services[:SERVICES_SHOWN]]
    hidden = tally.services[SERVICES_SHOWN:]
    if hidden:
        names = ", ".join(escape(s.service) for s in hidden[:40])
        blocks.append(
            {
                "type": "context",
                "block_id": f"storm-more-{incident.id}",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": clip(
                            f"…and {len(hidden)} more services "
                            f"({sum(s.alerts for s in hidden)} alerts): {names}",
                            2000,
                        ),
                    }
                ],
            }
        )
    if tally.split_out:
        links = ", ".join(
            f"{escape(service)} → " + (f"<#{channel}>" if channel else f"#{number}")
            for service, number, channel in tally.split_out[:40]
        )
        blocks.append(
            {
                "type": "context",
                "block_id": f"storm-split-{incident.id}",
                "elements": [{"type": "mrkdwn", "text": clip(f"*Split out:* {links}", 2000)}],
            }
        )
    return blocks


def topic(incident: IncidentRow) -> str:
    return clip(
        f"ALERT STORM · {incident.environment} · one incident for every new alert until it "
        "subsides; /incident split SERVICE",
        250,
    )


def announcement(incident: IncidentRow, channel_id: str, reason: str) -> str:
    return (
        f"🌩️ Alert storm in {escape(incident.environment)} (incident #{incident.id}): "
        f"{escape(clip(reason, 300))} New alerts join <#{channel_id}> instead of opening "
        "channels of their own."
    )
