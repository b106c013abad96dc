"""`/incident freeze` and `unfreeze`: instant, stored, seen by every replica, announced."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import select

from bot.autonomy import load_freeze
from bot.domain.events import EventKind
from bot.store.models import AutonomyRow, OutboxRow
from integrations.slack.emulator import SlackEmulator
from policies.decisions import Outcome, ReasonCode
from policies.engine import decide
from policies.engine_inputs import FreezeState, History
from tests.approvals.factories import ALICE, BOB, CAROL, open_incident
from tests.commands.slash import GENERAL, channel_of, slash
from tests.policies.factories import incident, policy_with, proposal, triage
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness


async def _freeze_state(harness: Harness) -> FreezeState:
    async with harness.sessions() as session:
        return await load_freeze(session, harness.app.runtime.clock())


def _restart_decided(freeze: FreezeState, now: datetime) -> Outcome:
    """What a limited-mode policy decides for a safe restart under `freeze` at `now`."""
    decided = decide(
        proposal("restart_deployment", proposed_at=now),
        incident(),
        triage(),
        History(),
        freeze,
        policy_with(mode="limited"),
        now,
    )
    if decided.outcome is Outcome.NEEDS_APPROVAL:
        assert decided.has(ReasonCode.FROZEN)
    return decided.outcome


async def _kinds(harness: Harness, kind: str) -> list[dict[str, object]]:
    return [e.data for e in await harness.events() if e.kind == kind]


# Replicas sharing one database, and the autonomy upsert: both backends.
@pytest.mark.both_databases
async def test_a_freeze_holds_on_every_replica_from_the_next_decision(
    harness: Harness, database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    incidents_channel = channel_of(harness, "incidents")
    replica = await start_harness(database, emulator)
    try:
        now = harness.app.runtime.clock()
        assert _restart_decided(await _freeze_state(replica), now) is Outcome.AUTO_EXECUTE

        reply = await slash(harness, incidents_channel, "freeze all for 2h deploy review")

        assert reply["response_type"] == "in_channel"
        assert "froze autonomy for all services until" in reply["text"]
        assert "(2h): deploy review" in reply["text"]
        seen = await _freeze_state(replica)
        assert seen.fleet is not None and seen.fleet.reason == "deploy review"
        assert seen.fleet.set_by == ALICE and seen.fleet.until is not None
        assert timedelta(minutes=119) < seen.fleet.until - now <= timedelta(hours=2, minutes=1)
        assert _restart_decided(seen, replica.app.runtime.clock()) is Outcome.NEEDS_APPROVAL
        status = await slash(replica, GENERAL, "status", BOB, driver=replica.driver)
        assert "🧊 all services frozen until" in status["text"]
        assert "deploy review" in status["text"]

        lifted = await slash(replica, GENERAL, "unfreeze", ALICE, driver=replica.driver)
        assert lifted["response_type"] == "in_channel"
        assert "lifted the freeze of all services" in lifted["text"]
        after = await _freeze_state(harness)
        assert after.fleet is None
        assert _restart_decided(after, harness.app.runtime.clock()) is Outcome.AUTO_EXECUTE
    finally:
        await stop_harness(replica)
    [frozen] = await _kinds(harness, EventKind.AUTONOMY_FROZEN)
    [unfrozen] = await _kinds(harness, EventKind.AUTONOMY_UNFROZEN)
    assert frozen["scope"] == "*" and frozen["duration_minutes"] == 120
    assert frozen["reason"] == "deploy review" and frozen["set_by"] == ALICE
    assert unfrozen["scope"] == "*" and unfrozen["was_set_by"] == ALICE


async def test_a_freeze_of_one_service_leaves_the_others_running(harness: Harness) -> None:
    opened = await open_incident(harness)
    channel = opened.channel_id or ""

    here = await slash(harness, channel, "freeze here for 30m db migration", BOB)
    named = await slash(harness, GENERAL, "freeze service:payments", CAROL)

    assert "froze autonomy for `checkout`" in here["text"] and "db migration" in here["text"]
    assert "froze autonomy for `payments` until lifted" in named["text"]
    state = await _freeze_state(harness)
    now = harness.app.runtime.clock()
    assert state.fleet is None and set(state.services) == {"checkout", "payments"}
    assert state.is_frozen("checkout", now) and not state.is_frozen("cart", now)
    # A service the bot knows from an incident is recognised without `service:`.
    again = await slash(harness, GENERAL, "freeze checkout for 1h still migrating", BOB)
    assert "froze autonomy for `checkout`" in again["text"]
    state = await _freeze_state(harness)
    assert state.services["checkout"].reason == "still migrating"
    events = await harness.events(opened.id)
    assert [e.kind for e in events].count(EventKind.AUTONOMY_FROZEN) == 1


async def test_a_bare_word_is_a_service_never_the_fleet(harness: Harness) -> None:
    reply = await slash(harness, GENERAL, "freeze payments", CAROL)

    assert "froze autonomy for `payments` until lifted" in reply["text"]
    assert "No incident or policy entry names a service `payments`" in reply["text"]
    state = await _freeze_state(harness)
    assert state.fleet is None and set(state.services) == {"payments"}


async def test_the_freeze_examples_do_what_they_say_outside_an_incident_channel(
    harness: Harness,
) -> None:
    await open_incident(harness)  # the bot now knows the service checkout
    reply = await slash(harness, GENERAL, "freeze checkout for 10m load test", BOB)

    # Scope, end and reason, all stated.
    assert "froze autonomy for `checkout` until" in reply["text"]
    assert "(10m): load test" in reply["text"]
    state = await _freeze_state(harness)
    assert state.fleet is None and state.services["checkout"].reason == "load test"
    status = await slash(harness, GENERAL, "status", BOB)
    assert "checkout" in status["text"] and "load test" in status["text"]

    lifted = await slash(harness, GENERAL, "unfreeze checkout", BOB)
    assert "lifted the freeze of `checkout`" in lifted["text"]
    assert not (await _freeze_state(harness)).services


async def test_a_freeze_with_no_scope_names_this_incident_or_asks(harness: Harness) -> None:
    opened = await open_incident(harness)
    outside = await slash(harness, GENERAL, "freeze for 30m", BOB)
    assert outside["text"].startswith("Not frozen: say what to freeze: `all`")
    assert (await _freeze_state(harness)).fleet is None

    inside = await slash(harness, opened.channel_id or "", "freeze for 30m db work", BOB)
    assert "froze autonomy for `checkout` until" in inside["text"]
    # A bare unfreeze lifts the one freeze in force, in either syntax.
    lifted = await slash(harness, GENERAL, "unfreeze", BOB)
    assert "lifted the freeze of `checkout`" in lifted["text"]
    fleet = await slash(harness, GENERAL, "freeze all for 1h", BOB)
    assert "froze autonomy for all services until" in fleet["text"]
    assert (
        "lifted the freeze of all services"
        in (await slash(harness, GENERAL, "unfreeze all", BOB))["text"]
    )


async def test_bad_durations_get_a_reply_that_says_what_to_fix(harness: Harness) -> None:
    cases = {
        "freeze all for 5x bad": "`5x` is not a duration. Write it like 30m, 2h or 1d",
        "freeze all for": "`for` needs a duration after it",
        "freeze all 90 reason": "`90` has no unit: write 90m",
        "freeze all for 0m": "at least one minute",
        "freeze all for 45d": "at most 30 days",
        "freeze for 30m": "say what to freeze: `all` for every service, or a service",
        "freeze service:bad/name": "is not a service name",
    }
    for text, says in cases.items():
        reply = await slash(harness, GENERAL, text, BOB)
        assert reply["response_type"] == "ephemeral", text
        assert reply["text"].startswith("Not frozen:"), text
        assert says in reply["text"], text
        assert "Usage: `/incident freeze" in reply["text"], text
    async with harness.sessions() as session:
        assert (await session.exec(select(AutonomyRow))).all() == []


async def test_a_freeze_is_lifted_by_its_setter_or_an_approver_only(harness: Harness) -> None:
    await slash(harness, GENERAL, "freeze all incident review", CAROL)
    await slash(harness, GENERAL, "freeze service:payments flag cleanup", CAROL)
    await slash(harness, GENERAL, "freeze service:cart load test", ALICE)

    refused = await slash(harness, GENERAL, "unfreeze service:cart", CAROL)
    assert refused["response_type"] == "ephemeral"
    assert (
        "only <@U0ALICE>, who set this freeze, or the approvers of human_only actions"
        in (refused["text"])
    )
    assert "<!subteam^S0ONCALL>" in refused["text"]
    assert set((await _freeze_state(harness)).services) == {"payments", "cart"}

    own = await slash(harness, GENERAL, "unfreeze service:payments", CAROL)
    by_approver = await slash(harness, GENERAL, "unfreeze all", BOB)
    assert "lifted the freeze of `payments`" in own["text"]
    assert "lifted the freeze of all services" in by_approver["text"]
    assert "Still in force" in by_approver["text"] and "`cart` frozen" in by_approver["text"]
    state = await _freeze_state(harness)
    assert state.fleet is None and set(state.services) == {"cart"}

    nothing = await slash(harness, GENERAL, "unfreeze service:payments", BOB)
    assert nothing["text"].startswith("Nothing to lift: `payments` is not frozen.")
    assert len(await _kinds(harness, EventKind.AUTONOMY_UNFROZEN)) == 2


async def test_a_freeze_is_told_to_the_open_incidents_it_stops(harness: Harness) -> None:
    opened = await open_incident(harness)
    incidents_channel = channel_of(harness, "incidents")

    reply = await slash(harness, incidents_channel, "freeze all for 1h vendor outage", BOB)

    assert reply["response_type"] == "in_channel"
    async with harness.sessions() as session:
        notes = (
            await session.exec(select(OutboxRow).where(OutboxRow.kind == "incident.post_note"))
        ).all()
    # The incident's own triage already told its channel it escalated; the freeze adds one.
    freeze_notes = [n for n in notes if "froze autonomy" in n.payload["text"]]
    assert [n.incident_id for n in freeze_notes] == [opened.id]
    await harness.drain()
    told = [m.text for m in harness.emulator.state.messages_in(opened.channel_id or "")]
    assert any("froze autonomy for all services" in t and "vendor outage" in t for t in told)
    [frozen] = await _kinds(harness, EventKind.AUTONOMY_FROZEN)
    assert frozen["incidents_told"] == [opened.id]
