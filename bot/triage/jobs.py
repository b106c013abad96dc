"""Outbox job kinds of the triage domain."""

from __future__ import annotations

RUN_TRIAGE = "triage.run"
REFRESH_TRIAGE_CARD = "triage.refresh_card"
