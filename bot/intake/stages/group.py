"""Stage: find the open incident each new signal belongs to (dedup/group, storms)."""

from __future__ import annotations

from bot.domain.signals import SignalStatus
from bot.incidents import service as incidents
from bot.intake.context import IntakeContext, SignalOutcome
from bot.storms import service as storms
from bot.storms.keys import split_key, storm_key
from policies.decisions import Reason
from policies.policy import Policy


class Group:
    name = "group"

    def __init__(self, policy: Policy | None = None) -> None:
        # Without a policy there is no breaker, so no storm: every group opens its own.
        self._policy = policy

    async def __call__(self, ctx: IntakeContext) -> None:
        session = ctx.db()
        # Whether each environment is in a storm, decided once per delivery: the whole
        # delivery is already stored, so every alert of it counts towards the breaker.
        storm_by_environment: dict[str, Reason | None] = {}
        for outcome in ctx.outcomes:
            if outcome.disposition is not None:
                continue
            found = await open_incident_id(ctx, outcome.group_key)
            if found is not None:
                outcome.incident_id = found
                continue
            if outcome.signal.status is SignalStatus.RESOLVED:
                if ctx.pending_links is not None:
                    # Its firing signal may be linked earlier in this very batch.
                    await ctx.pending_links.write(session)
                # Its firing signal may sit in a storm, or in a service split out of one.
                held = await storms.incident_of_fingerprint(
                    session, outcome.signal.source, outcome.signal.fingerprint
                )
                outcome.incident_id = held.id if held is not None else None
                continue
            await self._route_new(ctx, outcome, storm_by_environment)

    async def _route_new(
        self,
        ctx: IntakeContext,
        outcome: SignalOutcome,
        storm_by_environment: dict[str, Reason | None],
    ) -> None:
        """A firing alert with no open group: its split-out service, the storm, or its own."""
        session, signal = ctx.db(), outcome.signal
        split = split_key(signal.environment, signal.service)
        if await open_incident_id(ctx, split) is not None:
            outcome.attach_key = split
            return
        if self._policy is None:
            return
        environment = signal.environment
        if environment not in storm_by_environment:
            storm_id = await open_incident_id(ctx, storm_key(environment))
            if storm_id is not None:
                # Already in a storm: joining it needs neither the lock nor the count.
                # Only the storm's own check (bot/storms/flows.check_storm) decides it
                # subsided.
                storm_by_environment[environment] = storms.joining(environment)
                outcome.storm_incident_id = storm_id
        if environment not in storm_by_environment:
            await storms.serialize_decision(session)
            reason = await storms.breaker(
                session, self._policy, environment, ctx.received_at, ctx.signals_ahead
            )
            storm_by_environment[environment] = reason
            if reason is None:
                current = await storms.active(session, environment)
                if current is not None:
                    await storms.subside(
                        session,
                        current,
                        "fewer services alerting than the breaker's threshold",
                        ctx.correlation_id,
                        ctx.received_at,
                    )
                    if ctx.open_incidents is not None:
                        ctx.open_incidents.closed(storm_key(environment))
        outcome.storm = storm_by_environment[environment]


async def open_incident_id(ctx: IntakeContext, key: str) -> int | None:
    """The open incident holding `key`: from the batch's answers when it has them."""
    known = ctx.open_incidents
    if known is not None and known.knows(key):
        return known.get(key)
    return await incidents.find_open_id(ctx.db(), key)
