"""Outbox job kinds of the ticket sync."""

from __future__ import annotations

CREATE = "ticket.create"
SYNC = "ticket.sync"
RESOLVE = "ticket.resolve"
# A failed ticket job waiting outside its incident's lane until its backoff is over.
RETRY = "ticket.retry"

# The kinds a parked retry may bring back.
RETRYABLE_KINDS = frozenset({CREATE, SYNC, RESOLVE})
