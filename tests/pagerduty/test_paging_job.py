"""The paging job with the real PagerDuty pager: the outbox retries what the pager reports
as recoverable, and stops at once on what it reports as not."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.actions.registry import Adapters
from bot.domain.clock import VirtualTime
from bot.domain.events import EventKind
from bot.paging.flows_human import page_by_hand
from bot.store.models import IncidentRow
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import open_incident
from tests.pagerduty.conftest import MakePager
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness


@pytest.fixture
async def harness(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    virtual_time: VirtualTime,
    make_pager: MakePager,
) -> AsyncIterator[Harness]:
    adapters = Adapters(pager=await make_pager())
    running = await start_harness(database, emulator, time=virtual_time, adapters=adapters)
    yield running
    await stop_harness(running)


async def _page(harness: Harness) -> IncidentRow:
    incident = await open_incident(harness, dedup_key="db-down", severity="warning")
    assert incident.id is not None
    await page_by_hand(harness.app.runtime, "U0ALICE", incident.id, "database is down")
    return incident


async def _paged(harness: Harness, incident: IncidentRow) -> int:
    return sum(1 for e in await harness.events(incident.id) if e.kind == EventKind.PAGED)


async def test_a_page_refused_for_a_while_is_sent_by_the_outbox_retries(
    harness: Harness, pd_server: PagerDutyServer, virtual_time: VirtualTime
) -> None:
    before = pd_server.count("enqueue")
    pd_server.fail("enqueue", 503, times=2)
    waited = len(virtual_time.sleeps)

    incident = await _page(harness)
    await harness.drain()

    # Two refusals, each one request, then the page; the waits were the outbox's backoff.
    assert pd_server.count("enqueue") - before == 3
    assert len(pd_server.incidents_for(f"smokejumper-{incident.correlation_id}")) == 1
    assert await _paged(harness, incident) == 1
    assert len(virtual_time.sleeps) > waited


async def test_a_refused_page_is_not_sent_again(
    harness: Harness, pd_server: PagerDutyServer
) -> None:
    before = pd_server.count("enqueue")
    pd_server.fail("enqueue", 400)

    incident = await _page(harness)
    await harness.drain()

    assert pd_server.count("enqueue") - before == 1
    assert pd_server.incidents_for(f"smokejumper-{incident.correlation_id}") == []
    assert await _paged(harness, incident) == 0
