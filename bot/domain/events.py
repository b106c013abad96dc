"""The kinds of entries in the event log (timeline and audit trail)."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    SIGNAL_RECEIVED = "signal.received"
    SIGNAL_DUPLICATE = "signal.duplicate"
    SIGNAL_RESOLVED = "signal.resolved"
    INCIDENT_OPENED = "incident.opened"
    INCIDENT_SIGNAL_ATTACHED = "incident.signal_attached"
    INCIDENT_TRANSITIONED = "incident.transitioned"
    INCIDENT_TRANSITION_REFUSED = "incident.transition_refused"
    SLACK_CHANNEL_CREATED = "slack.channel_created"
    SLACK_CHANNEL_ADOPTED = "slack.channel_adopted"
    SLACK_RESPONDERS_INVITED = "slack.responders_invited"
    SLACK_CARD_POSTED = "slack.card_posted"
    SLACK_ANNOUNCED = "slack.announced"
    SLACK_WRITE_FAILED = "slack.write_failed"
    NOTE_ADDED = "note.added"
