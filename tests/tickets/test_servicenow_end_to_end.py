"""The whole ticket life with the real ServiceNow adapter (pysnow) and a local Table API."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from bot.domain.events import EventKind
from bot.tickets.draft import latest_report
from bot.tickets.requests import request_ticket
from integrations.servicenow import ServiceNowConfig, ServiceNowTicketing
from integrations.servicenow.emulator import ServiceNowServer
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import stop_harness
from tests.tickets.support import (
    OUTAGE_TEXT,
    RECOVERY_TEXT,
    TicketHarness,
    attach_adapters,
    open_incident,
    start_ticket_harness,
)
from tests.tickets.test_resolve import resolve

CLOSE_CODE = "Solution provided"


@pytest.fixture
async def server() -> AsyncIterator[ServiceNowServer]:
    async with ServiceNowServer() as running:
        yield running


@pytest.fixture
async def live(
    database: DatabaseTarget, emulator: SlackEmulator, server: ServiceNowServer
) -> AsyncIterator[TicketHarness]:
    running = await start_ticket_harness(database, emulator)
    yield running
    ticketing = running.rt.adapters.ticketing
    if isinstance(ticketing, ServiceNowTicketing):
        await ticketing.close()
    await stop_harness(running.harness)


async def test_open_write_survive_an_outage_and_resolve(
    live: TicketHarness, server: ServiceNowServer
) -> None:
    incident = await open_incident(live)
    assert incident.id is not None and incident.channel_id is not None
    async with live.rt.sessions() as session:
        report = await latest_report(session, incident.id)
    assert report is not None
    group = server.add_record("sys_user_group", name="SRE Checkout", active="true")
    config = ServiceNowConfig.model_validate(
        {
            "instance_url": server.url,
            "user": server.user,
            "password": server.password,
            "timeout_seconds": 5.0,
            "assignment_groups": {report.recommended_team: "SRE Checkout"},
            "close_code": CLOSE_CODE,
        }
    )
    live.ticketing = ServiceNowTicketing(config)
    attach_adapters(live)

    # The create is stored, then the instance answers 503: the retry must find it.
    server.fail_next("commit_then_unavailable", method="POST", table="incident")
    async with live.rt.sessions() as session, session.begin():
        await request_ticket(session, incident.id, uuid.uuid4().hex, live.clock())
    await live.run_due()
    await live.wait_out_retries()

    [record] = server.incidents()
    assert record["correlation_id"] == incident.correlation_id
    priority = config.priority_for(report.classification.value)
    assert (record["urgency"], record["impact"]) == (str(priority.urgency), str(priority.impact))
    assert record["assignment_group"] == group["sys_id"]
    assert (
        f"Slack channel: https://{live.harness.emulator.state.team_domain}.slack.com/"
        in (record["description"])
    )
    stored = await live.incident(incident.id)
    assert stored.ticket_ref == record["number"] and stored.ticket_sys_id == record["sys_id"]
    [created] = await live.events(incident.id, EventKind.TICKET_CREATED)
    assert created.data["url"] == live.ticketing.ticket_url(record["sys_id"])
    assert live.told(incident.channel_id, OUTAGE_TEXT) == 1
    assert live.told(incident.channel_id, RECOVERY_TEXT) == 1

    await live.add_notes(incident.id, ["checked the payment provider: healthy"])
    await live.run_due()
    await server.go_offline()
    await live.add_notes(incident.id, [f"during the outage {n}" for n in range(3)])
    await live.run_due()
    await live.wait_out_retries()
    await server.go_online()
    await live.wait_out_retries()

    journal = server.journal(record["sys_id"])
    assert all(entry.startswith("[smokejumper batch timeline-") for entry in journal)
    lines = [line for entry in journal for line in entry.splitlines()[1:]]
    written = [line.rsplit(" | ", 1)[1] for line in lines if " | " in line]
    ordered = [t for t in written if t.startswith(("checked the payment", "during the outage"))]
    assert ordered == ["checked the payment provider: healthy"] + [
        f"during the outage {n}" for n in range(3)
    ]
    # A second outage, announced once more however many retries it took.
    assert live.told(incident.channel_id, OUTAGE_TEXT) == 2
    assert live.told(incident.channel_id, RECOVERY_TEXT) == 2

    await resolve(live, incident.id)
    await live.run_due()

    [resolved] = server.incidents()
    assert resolved["state"] == "6"
    assert resolved["close_code"] == CLOSE_CODE
    assert resolved["close_notes"].startswith(config.close_notes_prefix.strip())
    assert f"Handoff: incident #{incident.id}" in resolved["close_notes"]
    handoff_notes = [e for e in server.journal(record["sys_id"]) if "Handoff: incident #" in e]
    assert len(handoff_notes) == 1
    assert live.told(incident.channel_id, f"{record['number']} is resolved in ServiceNow") == 1
