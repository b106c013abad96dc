"""The outbox's lanes, and which lane each job kind runs in.

A lane says which work a job is. An incident's Slack and ticket jobs share one order (the
ticket is resolved with the handoff the channel got first); adapters, the pager and
timers run beside it, so a slow pager or a verification window never holds up the
channel. The lane is stored on each job when it is queued.
"""

from __future__ import annotations

from bot.actions import jobs as action_jobs
from bot.paging import jobs as paging_jobs
from bot.storms import jobs as storm_jobs
from bot.tickets import jobs as ticket_jobs

# The incident's Slack side: channel, cards, notes, triage; one job at a time, in order.
SLACK = "slack"
# Remediation: dry runs, executions and verification windows, each action on its own.
ADAPTERS = "adapters"
# Paging and the notes sent to the pager.
PAGER = "pager"
# The incident's ticket: create, then work notes, then resolve, in the incident's order.
TICKET = "ticket"
# Jobs that wait for a time and then look again; they must not hold up their incident.
TIMERS = "timers"

LANES = frozenset({SLACK, ADAPTERS, PAGER, TICKET, TIMERS})
# Lanes whose jobs of one incident run one at a time, oldest first, in one order.
ORDERED = frozenset({SLACK, TICKET})

# What a given-up job of each lane failed to do, in the timeline's words.
WORK = {
    SLACK: "a Slack update",
    ADAPTERS: "an action step",
    PAGER: "paging",
    TICKET: "the ticket update",
    TIMERS: "a scheduled check",
}

_KIND_LANES: dict[str, str] = {
    action_jobs.EXECUTE: ADAPTERS,
    action_jobs.DESCRIBE: ADAPTERS,
    action_jobs.VERIFY: ADAPTERS,
    paging_jobs.PAGE: PAGER,
    paging_jobs.ACKNOWLEDGE: PAGER,
    paging_jobs.RESOLVE: PAGER,
    ticket_jobs.CREATE: TICKET,
    ticket_jobs.SYNC: TICKET,
    ticket_jobs.RESOLVE: TICKET,
    ticket_jobs.RETRY: TIMERS,
    storm_jobs.CHECK: TIMERS,
}


def lane_for(kind: str) -> str:
    """The lane a job kind runs in: listed above, else the incident's Slack lane (a kind
    whose domain package cannot be imported here passes its lane to `enqueue`)."""
    return _KIND_LANES.get(kind, SLACK)
