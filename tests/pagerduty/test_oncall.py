"""Who is on call: REST `GET /oncalls` against the local PagerDuty, and in a chat answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.actions.registry import Adapters
from bot.chat.ports import OnCallLookup
from bot.domain.clock import VirtualTime
from bot.ports.adapters import AdapterError
from integrations.pagerduty.emulator import REST_ACCEPT, OnCallEntry, PagerDutyServer
from integrations.pagerduty.pager import PagerDutyPager
from integrations.slack.emulator import SlackEmulator
from tests.chat.support import ask, message_text, open_incident
from tests.pagerduty.conftest import API_TOKEN, MakePager
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

END = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def roster(server: PagerDutyServer) -> None:
    server.oncalls = [
        OnCallEntry("PU1", "Dana Ops", "PEPSRE", "SRE escalation", 1, None, END, "PSCH1", "SRE"),
        OnCallEntry("PU2", "Lee Backup", "PEPSRE", "SRE escalation", 2, None, END),
        # Dana is on the second level too: listed once, at the first.
        OnCallEntry("PU1", "Dana Ops", "PEPSRE", "SRE escalation", 2, None, END),
        OnCallEntry("PU3", "Sam Payments", "PEPPAY", "Payments escalation", 1, None, END),
    ]


async def test_on_call_asks_for_the_teams_escalation_policy(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    roster(pd_server)
    pager = await make_pager(oncall_escalation_policies={"sre": "PEPSRE"})
    assert isinstance(pager, OnCallLookup)

    people = await pager.on_call("sre")

    assert [(p.who, p.schedule) for p in people] == [
        ("Dana Ops", "SRE, level 1"),
        ("Lee Backup", "SRE escalation, level 2"),
    ]
    assert people[0].until == "2026-03-02T09:00:00Z"
    [request] = [r for r in pd_server.requests if r.route == "oncalls"]
    assert request.query["escalation_policy_ids[]"] == "PEPSRE"
    assert request.query["earliest"] == "true"
    assert request.headers["Authorization"] == f"Token token={API_TOKEN}"
    assert request.headers["Accept"] == REST_ACCEPT


async def test_a_schedule_or_the_default_policy_stands_in(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    roster(pd_server)
    pager = await make_pager(
        oncall_schedules={"sre": "PSCH1"}, oncall_default_escalation_policy="PEPPAY"
    )
    assert [p.who for p in await pager.on_call("sre")] == ["Dana Ops"]
    assert [p.who for p in await pager.on_call("payments")] == ["Sam Payments"]


async def test_without_a_mapping_or_a_token_it_says_so(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(oncall_escalation_policies={"sre": "PEPSRE"})
    with pytest.raises(AdapterError) as unmapped:
        await pager.on_call("databases")
    assert unmapped.value.code == "no_oncall_mapping"
    no_token = await make_pager(api_token=None, from_email=None)
    with pytest.raises(AdapterError) as missing:
        await no_token.on_call("sre")
    assert missing.value.code == "not_configured"
    assert pd_server.count("oncalls") == 0


async def test_a_refusal_is_an_adapter_error_with_the_status(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(oncall_escalation_policies={"sre": "PEPSRE"})
    pd_server.fail("oncalls", 403)
    with pytest.raises(AdapterError) as refused:
        await pager.on_call("sre")
    assert refused.value.code == "forbidden" and not refused.value.retryable


@pytest.fixture
async def chat_rig(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    virtual_time: VirtualTime,
    make_pager: MakePager,
    pd_server: PagerDutyServer,
) -> AsyncIterator[tuple[Harness, PagerDutyPager]]:
    roster(pd_server)
    pager = await make_pager(oncall_default_escalation_policy="PEPSRE")
    h = await start_harness(database, emulator, time=virtual_time, adapters=Adapters(pager=pager))
    yield h, pager
    await stop_harness(h)


async def test_who_is_on_call_in_chat_answers_from_pagerduty(
    chat_rig: tuple[Harness, PagerDutyPager], pd_server: PagerDutyServer
) -> None:
    harness, _ = chat_rig
    _, channel = await open_incident(harness)
    text = message_text(await ask(harness, channel, "who is on call?"))
    assert "Dana Ops (SRE, level 1)" in text and "Lee Backup" in text
    assert "No on-call lookup is configured" not in text
    assert pd_server.count("oncalls") == 1
