"""The recommended next step: rules over the facts, the first that applies wins."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.lifecycle import IncidentStatus
from bot.handoff.models import (
    DID_NOT_HELP,
    IN_FLIGHT,
    ActionOutcome,
    ActionRecord,
    Fact,
    Hypothesis,
)

FALLBACK_TEAM = "the service owners"


def _merge(*groups: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(sorted({i for group in groups for i in group}))


def _unhelpful(actions: Sequence[ActionRecord]) -> ActionRecord | None:
    """The newest action that did not help, unless a later one was verified."""
    for action in reversed(actions):
        if action.outcome is ActionOutcome.VERIFIED:
            return None
        if action.outcome in DID_NOT_HELP:
            return action
    return None


def _verified(actions: Sequence[ActionRecord]) -> ActionRecord | None:
    return next((a for a in reversed(actions) if a.outcome is ActionOutcome.VERIFIED), None)


def recommend(
    status: str,
    status_sources: tuple[int, ...],
    actions: Sequence[ActionRecord],
    hypothesis: Hypothesis | None,
    team: Fact | None,
) -> Fact:
    """What the new owner should do first, with the entries that call for it."""
    if status == IncidentStatus.CLOSED:
        return Fact("Nothing to do: the incident is closed.", status_sources)
    if status == IncidentStatus.RESOLVED:
        return Fact("Finish the review and close the incident.", status_sources)
    unhelpful = _unhelpful(actions)
    if unhelpful is not None:
        who = team.text if team else FALLBACK_TEAM
        return Fact(
            f"Escalate to {who} and do not repeat {unhelpful.action} on "
            f"{unhelpful.target}; last outcome: {unhelpful.outcome_text}.",
            _merge(unhelpful.sources, team.sources if team else ()),
        )
    pending = [a for a in actions if a.outcome is ActionOutcome.AWAITING_APPROVAL]
    if pending:
        first = pending[0]
        more = f" ({len(pending) - 1} more awaiting)" if len(pending) > 1 else ""
        return Fact(
            f"Decide on {first.action} for {first.target}: it is awaiting approval{more}.",
            _merge(*(a.sources for a in pending)),
        )
    if status == IncidentStatus.MITIGATED:
        return Fact("Confirm recovery and resolve the incident.", status_sources)
    verified = _verified(actions)
    if verified is not None:
        return Fact(
            f"Confirm recovery after {verified.action} and mark the incident mitigated.",
            verified.sources,
        )
    running = next((a for a in reversed(actions) if a.outcome in IN_FLIGHT), None)
    if running is not None:
        return Fact(
            f"Watch {running.action} on {running.target} until it is verified.", running.sources
        )
    if hypothesis is not None:
        return Fact("Review the triage and choose what to try first.", hypothesis.sources)
    return Fact("Review the alerts and triage the incident.", status_sources)
