"""Outbox job kinds of storms."""

from __future__ import annotations

OPEN_CHANNEL = "storm.open_channel"
REFRESH_CARD = "storm.refresh_card"
# Looks again later whether the breaker has closed; carries the storm in its payload, so
# a check waiting for its time never holds up the storm's card edits.
CHECK = "storm.check"
REQUEST_PAGE = "storm.request_page"
