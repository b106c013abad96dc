"""Outbox job kinds of the incident domain."""

from __future__ import annotations

OPEN_CHANNEL = "incident.open_channel"
REFRESH_CARD = "incident.refresh_card"
ANNOUNCE_SIGNAL_RESOLVED = "incident.announce_signal_resolved"
POST_NOTE = "incident.post_note"
