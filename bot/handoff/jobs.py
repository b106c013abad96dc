"""Outbox job kinds of the handoff."""

from __future__ import annotations

POST = "handoff.post"
# Runs outside the incident's lane, like paging: a slow pager never holds up the channel.
PAGER_NOTE = "handoff.pager_note"
