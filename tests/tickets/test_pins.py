"""📌 on a channel message adds it to the timeline once, through real Bolt and signed events."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from bot.domain.events import EventKind
from bot.runtime import Runtime
from bot.tickets.pins import pin_message
from bot.tickets.requests import request_ticket
from handlers.slack import reactions
from handlers.slack.reactions import reaction_name
from tests.tickets.support import TicketHarness, attach_adapters, open_incident
from tests.tickets.test_sync import note_lines

ALICE, BOB = "U0ALICE", "U0BOB"


class PinSpy:
    """Wraps the real flow to learn when each listener Bolt runs after its ack is done."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.results: list[bool] = []
        monkeypatch.setattr(reactions, "pin_message", self._pin)

    async def _pin(self, rt: Runtime, *, channel_id: str, ts: str, pinned_by: str) -> bool:
        result = await pin_message(rt, channel_id=channel_id, ts=ts, pinned_by=pinned_by)
        self.results.append(result)
        return result

    async def finished(self, count: int) -> list[bool]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while len(self.results) < count:
            if loop.time() > deadline:
                raise AssertionError(f"{len(self.results)} of {count} pin listeners ran")
            await asyncio.sleep(0.01)
        return self.results


# The pin is recorded once by an ON CONFLICT insert: both backends.
@pytest.mark.both_databases
async def test_a_pinned_message_enters_the_timeline_once(
    th: TicketHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = PinSpy(monkeypatch)
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None
    attach_adapters(th)
    async with th.rt.sessions() as session, session.begin():
        await request_ticket(session, incident.id, uuid.uuid4().hex, th.clock())
    await th.run_due()
    driver = th.harness.driver
    said = await driver.message(ALICE, incident.channel_id, "Payments API is green again")
    assert said.status == 200
    ts = th.harness.emulator.state.messages_in(incident.channel_id)[-1].ts

    first = await driver.reaction_added(BOB, incident.channel_id, ts, ":pushpin:")
    # Events are handled after their ack, concurrently: Bob's is let finish first, so
    # the pin is his and Alice's finds it recorded.
    await th.harness.settle()
    second = await driver.reaction_added(ALICE, incident.channel_id, ts, "pushpin")
    assert first.status == 200 and second.status == 200
    assert sorted(await spy.finished(2)) == [False, True]

    [pinned] = await th.events(incident.id, EventKind.TIMELINE_PINNED)
    assert pinned.data["author"] == ALICE
    assert pinned.data["ts"] == ts
    assert pinned.data["text"] == "Payments API is green again"
    state = th.harness.emulator.state
    assert pinned.data["permalink"] == (
        f"https://{state.team_domain}.slack.com/archives/{incident.channel_id}"
        f"/p{ts.replace('.', '')}"
    )
    assert pinned.actor == f"slack:{BOB}"
    posted = datetime.fromtimestamp(float(ts), UTC)
    assert f"{posted:%Y-%m-%d %H:%M:%S} UTC" in pinned.summary

    await th.run_due()
    credit = f"<@{BOB}> pinned a message by <@{ALICE}>"
    assert pinned.summary.startswith(credit)
    pins_in_ticket = [line for line in note_lines(th) if credit in line]
    assert len(pins_in_ticket) == 1
    assert pins_in_ticket[0].endswith("Payments API is green again")


async def test_other_reactions_and_other_channels_are_ignored(
    th: TicketHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = PinSpy(monkeypatch)
    incident = await open_incident(th)
    assert incident.id is not None and incident.channel_id is not None
    driver, state = th.harness.driver, th.harness.emulator.state
    await driver.message(ALICE, incident.channel_id, "just a thought")
    ts = state.messages_in(incident.channel_id)[-1].ts
    lobby = state.channel_by_name("incidents")
    assert lobby is not None
    await driver.message(ALICE, lobby.id, "not an incident channel")
    lobby_ts = state.messages_in(lobby.id)[-1].ts

    assert (await driver.reaction_added(ALICE, incident.channel_id, ts, "eyes")).status == 200
    assert (await driver.reaction_added(BOB, lobby.id, lobby_ts, "pushpin")).status == 200
    # A pin afterwards shows the listener was running all along.
    assert (await driver.reaction_added(BOB, incident.channel_id, ts, "pushpin")).status == 200
    # The lobby pin reaches the flow and is turned away there; "eyes" never does.
    assert sorted(await spy.finished(2)) == [False, True]

    [pinned] = await th.events(incident.id, EventKind.TIMELINE_PINNED)
    assert pinned.data["text"] == "just a thought"
    assert pinned.actor == f"slack:{BOB}"
    everywhere = [e for e in await th.harness.events() if e.kind == EventKind.TIMELINE_PINNED]
    assert len(everywhere) == 1


def test_skin_tones_do_not_hide_the_reaction() -> None:
    assert reaction_name({"reaction": "pushpin::skin-tone-3"}) == "pushpin"
    assert reaction_name({"reaction": "round_pushpin"}) == "round_pushpin"
    assert reaction_name({}) == ""
