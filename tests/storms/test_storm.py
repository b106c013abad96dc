"""A storm becomes one incident: one channel and card, no autonomy, split, subsiding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.domain.clock import VirtualTime
from bot.domain.events import EventKind
from bot.store.models import ActionRow, IncidentRow, SignalRow, TriageRow
from bot.storms.card import SPLIT_ACTION_ID
from integrations.pagerduty.fake import FakePager
from integrations.slack.emulator import SlackEmulator
from tests.actions.support import CountingRemediator, fake_adapters
from tests.commands.slash import slash
from tests.storms.support import paging_policy, send
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness, wait_until

pytestmark = pytest.mark.both_databases

SERVICES = [f"svc{n}" for n in range(10)]
# The shipped breaker opens at 5 services: the first four open incidents of their own.
BEFORE_BREAKER = SERVICES[:4]


@pytest.fixture
async def rig(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime, tmp_path: Path
) -> AsyncIterator[tuple[Harness, CountingRemediator, FakePager]]:
    adapters, remediator, pager = fake_adapters()
    h = await start_harness(
        database,
        emulator,
        time=virtual_time,
        adapters=adapters,
        policy_file=paging_policy(tmp_path),
    )
    yield h, remediator, pager
    await stop_harness(h)


async def _signals(h: Harness) -> list[SignalRow]:
    async with h.sessions() as session:
        return list((await session.exec(select(SignalRow).order_by(SignalRow.id))).all())


async def _rows(h: Harness, model: type[Any]) -> list[Any]:
    async with h.sessions() as session:
        return list((await session.exec(select(model))).all())


async def _storm(h: Harness) -> IncidentRow:
    [storm] = [i for i in await h.incidents() if i.kind == "storm"]
    return storm


def _card_text(h: Harness, storm: IncidentRow) -> str:
    assert storm.channel_id is not None and storm.card_ts is not None
    message = h.emulator.state.find_message(storm.channel_id, storm.card_ts)
    assert message is not None
    return str(message.blocks)


async def _thirty_alerts(h: Harness, time: VirtualTime) -> None:
    """30 alerts from 10 services within a minute: three rounds over the services."""
    for round_ in range(3):
        for service in SERVICES:
            await send(h, service, f"Alert{round_}")
            time.advance(1.5)


async def test_thirty_alerts_from_ten_services_make_one_storm_channel(
    rig: tuple[Harness, CountingRemediator, FakePager], virtual_time: VirtualTime
) -> None:
    h, remediator, pager = rig
    await _thirty_alerts(h, virtual_time)
    await h.drain_due()

    incidents = await h.incidents()
    normal = [i for i in incidents if i.kind != "storm"]
    storm = await _storm(h)
    assert sorted(i.service for i in normal) == BEFORE_BREAKER
    # One channel per incident opened before the breaker tripped, and one for the storm.
    channels = h.incident_channels()
    assert len(channels) == len(BEFORE_BREAKER) + 1
    assert storm.channel_id in {c.id for c in channels}
    # Nothing lost: every alert is a row attached to an incident.
    signals = await _signals(h)
    assert len(signals) == 30
    assert all(s.incident_id is not None for s in signals)
    in_storm = [s for s in signals if s.incident_id == storm.id]
    assert {s.service for s in in_storm} == set(SERVICES[4:])
    assert len(in_storm) == storm.signal_count == 18
    # The card is edited in place: one card, counting every service and alert.
    assert len(h.messages_marked(storm.channel_id or "", "storm-card-")) == 1
    card = _card_text(h, storm)
    assert all(s in card for s in SERVICES[4:])
    assert "'*Alerts*\\n18'" in card and "'*Services*\\n6'" in card
    # No autonomous action, no triage for the storm, and at most one page.
    assert remediator.execute_calls == 0
    actions: list[ActionRow] = await _rows(h, ActionRow)
    assert not [a for a in actions if a.incident_id == storm.id]
    assert not [a for a in actions if a.state in ("executing", "succeeded", "verified")]
    triages: list[TriageRow] = await _rows(h, TriageRow)
    assert storm.id not in {t.incident_id for t in triages}
    assert len(pager.pages) <= 1
    kinds = [e.kind for e in await h.events(storm.id)]
    assert kinds.count(EventKind.PAGE_REQUESTED) + kinds.count(EventKind.PAGE_HELD) == 1
    # One announcement for the storm, none per alert.
    announced = h.emulator.state.messages_in(h.emulator.state.channel_by_name("incidents").id)
    assert sum("Alert storm" in m.text for m in announced) == 1


async def test_split_gives_a_service_its_own_incident_channel_and_triage(
    rig: tuple[Harness, CountingRemediator, FakePager], virtual_time: VirtualTime
) -> None:
    h, _, _ = rig
    await _thirty_alerts(h, virtual_time)
    await h.drain_due()
    storm = await _storm(h)
    assert storm.channel_id is not None

    reply = await slash(h, storm.channel_id, "split svc7")
    assert "svc7" in reply["text"] and reply["response_type"] == "in_channel"
    await h.drain_due()
    [split] = [i for i in await h.incidents() if i.service == "svc7"]
    assert split.split_from_id == storm.id and split.channel_id is not None
    moved = [s for s in await _signals(h) if s.service == "svc7"]
    assert len(moved) == 3 and {s.incident_id for s in moved} == {split.id}
    assert split.id in {t.incident_id for t in await _rows(h, TriageRow)}
    storm = await _storm(h)
    assert storm.signal_count == 15
    assert "'*Alerts*\\n15'" in _card_text(h, storm)

    # The card's button does the same.
    clicked = await h.driver.click_button(
        user_id="U0BOB",
        channel_id=storm.channel_id,
        message_ts=storm.card_ts or "",
        action_id=SPLIT_ACTION_ID,
        value=f"{storm.id}|svc5",
    )
    assert clicked.status == 200
    await wait_until(
        lambda: any("svc5" in p.payload.get("text", "") for p in h.emulator.state.response_posts)
    )
    await h.drain_due()
    [svc5] = [i for i in await h.incidents() if i.service == "svc5"]
    assert svc5.channel_id is not None

    # A later alert of a split-out service joins its incident, not the storm.
    later = await send(h, "svc7", "AlertLater")
    assert later.body["incidents"] == [split.id]
    # A name the storm does not hold changes nothing and says why.
    before = await h.counts()
    unknown = await slash(h, storm.channel_id, "split nosuch")
    assert "No alerts from `nosuch`" in unknown["text"]
    assert await h.counts() == before
    usage = await slash(h, storm.channel_id, "split")
    assert "Usage" in usage["text"]


async def test_the_storm_subsides_and_alerts_open_incidents_again(
    rig: tuple[Harness, CountingRemediator, FakePager], virtual_time: VirtualTime
) -> None:
    h, _, _ = rig
    await _thirty_alerts(h, virtual_time)
    await h.drain_due()
    # A recovery of an alert in the storm joins the storm, like its firing did.
    resolved = await send(h, "svc8", "Alert0", status="resolved")
    assert resolved.body["outcomes"] == {"resolved": 1}

    # The breaker's window passes with no new alert; the storm's own check notices.
    virtual_time.advance(minutes=11)
    await h.drain()
    storm = await _storm(h)
    assert storm.storm_subsided_at is not None and storm.open_group_key is None
    assert storm.status == "triggered"  # it stays open for the responders
    assert "Subsided" in _card_text(h, storm)
    texts = [m.text for m in h.emulator.state.messages_in(storm.channel_id or "")]
    assert sum("storm has subsided" in t for t in texts) == 1

    opened = await send(h, "svc-new", "AfterTheStorm")
    assert opened.body["outcomes"] == {"opened": 1}
    await h.drain_due()
    [fresh] = [i for i in await h.incidents() if i.service == "svc-new"]
    assert fresh.kind == "incident" and fresh.channel_id is not None


async def test_a_storm_tripped_while_alerts_race_is_still_one_incident(
    rig: tuple[Harness, CountingRemediator, FakePager],
) -> None:
    h, _, _ = rig
    replies = await asyncio.gather(*(send(h, f"race{n}", "Down") for n in range(20)))
    assert all(r.status == 202 for r in replies)
    await h.drain_due()
    storms = [i for i in await h.incidents() if i.kind == "storm"]
    assert len(storms) == 1
    assert all(s.incident_id is not None for s in await _signals(h))
    # Decisions are serialized: the first four open their own, the rest join the storm.
    assert len(h.incident_channels()) == len(BEFORE_BREAKER) + 1
