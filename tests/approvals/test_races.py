"""Double clicks, simultaneous clicks and two replicas: the action changes state once."""

from __future__ import annotations

import asyncio

import pytest

from bot.domain.events import EventKind
from integrations.slack.emulator import SlackDriver, SlackEmulator
from tests.approvals.factories import (
    ALICE,
    BOB,
    action_events,
    action_row,
    add_action,
    click,
    ephemeral_count,
    ephemerals,
    execute_jobs,
    open_incident,
)
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

# Races between connections and replicas are what PostgreSQL must get right.
pytestmark = pytest.mark.both_databases


async def test_a_double_click_approves_once(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await click(harness, incident, row, ALICE)
    await ephemeral_count(harness, ALICE, 1)
    await click(harness, incident, row, ALICE)

    first, second = await ephemeral_count(harness, ALICE, 2)
    assert "You approved" in first
    assert "You already approved this" in second
    assert len(await action_events(harness, row.id, EventKind.ACTION_APPROVED)) == 1
    assert len(await execute_jobs(harness, row.id)) == 1
    stored = await action_row(harness, row.id)
    assert stored.state == "approved" and stored.approvers == [ALICE]
    [refused] = await action_events(harness, row.id, EventKind.ACTION_CLICK_REFUSED)
    assert refused.data["refusal"] == "already_approved"


async def test_simultaneous_clicks_by_two_people_approve_once(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await asyncio.gather(click(harness, incident, row, ALICE), click(harness, incident, row, BOB))

    [to_alice] = await ephemeral_count(harness, ALICE, 1)
    [to_bob] = await ephemeral_count(harness, BOB, 1)
    outcomes = sorted([to_alice, to_bob])
    assert sum("You approved" in t for t in outcomes) == 1
    assert sum("Already approved by" in t for t in outcomes) == 1
    [approved] = await action_events(harness, row.id, EventKind.ACTION_APPROVED)
    assert len(await execute_jobs(harness, row.id)) == 1
    stored = await action_row(harness, row.id)
    assert stored.approvers == [approved.data["approved_by"]]
    assert stored.version == row.version + 1


async def test_the_same_person_clicking_twice_at_once_approves_once(harness: Harness) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)

    await asyncio.gather(click(harness, incident, row, ALICE), click(harness, incident, row, ALICE))

    told = await ephemeral_count(harness, ALICE, 2)
    assert sum("You approved" in t for t in told) == 1
    assert sum("You already approved this" in t for t in told) == 1
    assert len(await action_events(harness, row.id, EventKind.ACTION_APPROVED)) == 1
    assert len(await execute_jobs(harness, row.id)) == 1


async def test_two_replicas_taking_clicks_at_once_approve_once(
    harness: Harness, database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    incident = await open_incident(harness)
    row = await add_action(harness, incident)
    replica = await start_harness(database, emulator)
    try:
        second_driver: SlackDriver = replica.driver
        assert second_driver.bot_url != harness.driver.bot_url
        await asyncio.gather(
            click(harness, incident, row, ALICE),
            click(harness, incident, row, BOB, driver=second_driver),
            click(harness, incident, row, ALICE, driver=second_driver),
            click(harness, incident, row, BOB),
        )
        await ephemeral_count(harness, ALICE, 2)
        await ephemeral_count(harness, BOB, 2)
    finally:
        await stop_harness(replica)

    told = ephemerals(harness, ALICE) + ephemerals(harness, BOB)
    assert sum("You approved" in t for t in told) == 1
    assert len(await action_events(harness, row.id, EventKind.ACTION_APPROVED)) == 1
    assert len(await execute_jobs(harness, row.id)) == 1
    assert len(await action_events(harness, row.id, EventKind.ACTION_CLICK_REFUSED)) == 3
    assert (await action_row(harness, row.id)).state == "approved"
