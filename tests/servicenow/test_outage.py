"""Outages, refusals and recovery: one request per operation, each failure saying whether
running the operation again can help, and nothing lost or doubled when it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.domain.clock import VirtualTime
from bot.ports.adapters import AdapterError, NotReady
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.emulator import FaultKind, ServiceNowServer
from tests.servicenow.conftest import draft, make_config


async def test_probe_reads_one_incident(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    await ticketing.probe()
    (probe,) = server.requests
    assert (probe.method, probe.path) == ("GET", "/api/now/table/incident")
    assert probe.query["sysparm_limit"] == "1"
    assert probe.authorized


async def test_probe_with_wrong_password_is_not_ready(server: ServiceNowServer) -> None:
    adapter = ServiceNowTicketing(make_config(server, password="wrong"))
    with pytest.raises(NotReady) as caught:
        await adapter.probe()
    await adapter.close()
    assert caught.value.reason == "unauthorized"
    assert caught.value.adapter == "servicenow"
    assert [r.authorized for r in server.requests] == [False]


async def test_probe_of_an_unreachable_instance_is_not_ready(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    await server.go_offline()
    with pytest.raises(NotReady) as caught:
        await ticketing.probe()
    assert caught.value.reason == "connection_error"


async def test_wrong_credentials_fail_at_once_without_retries(server: ServiceNowServer) -> None:
    adapter = ServiceNowTicketing(make_config(server, password="wrong"))
    with pytest.raises(AdapterError) as caught:
        await adapter.find_or_create(draft())
    await adapter.close()
    assert (caught.value.code, caught.value.retryable) == ("unauthorized", False)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("unavailable", "server_error"),
        ("internal_error", "server_error"),
        ("rate_limited", "rate_limited"),
        ("drop", "connection_error"),
    ],
)
async def test_a_transient_failure_is_one_request_reported_as_retryable(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, kind: FaultKind, code: str
) -> None:
    server.fail_next(kind, times=2)
    with pytest.raises(AdapterError) as caught:
        await ticketing.find_or_create(draft())
    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert [r.fault for r in server.requests] == [kind]
    assert server.incidents() == []


async def test_running_the_operation_again_after_transient_failures_succeeds_once(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    server.fail_next("unavailable", times=2)
    for _ in range(2):
        with pytest.raises(AdapterError):
            await ticketing.find_or_create(draft())
    # What the ticket job does when the outbox brings it back.
    ref = await ticketing.find_or_create(draft())
    (incident,) = server.incidents()
    assert ref.sys_id == incident["sys_id"]


async def test_a_stalled_instance_times_out_as_retryable(server: ServiceNowServer) -> None:
    adapter = ServiceNowTicketing(make_config(server, timeout_seconds=0.2))
    server.fail_next("commit_then_stall", method="GET", stall_seconds=1.0)
    with pytest.raises(AdapterError) as caught:
        await adapter.probe()
    with pytest.raises(AdapterError) as stalled_again:
        server.fail_next("commit_then_stall", method="GET", stall_seconds=1.0)
        await adapter.find_or_create(draft())
    await adapter.close()
    assert isinstance(caught.value, NotReady)
    assert caught.value.reason == "timeout"
    assert (stalled_again.value.code, stalled_again.value.retryable) == ("timeout", True)


@pytest.mark.parametrize("seconds", [0, 7, 3600])
async def test_a_rate_limit_reports_the_wait_the_instance_asked_for(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, seconds: int
) -> None:
    server.fail_next("rate_limited", retry_after=seconds)
    with pytest.raises(AdapterError) as caught:
        await ticketing.find_or_create(draft())
    # As asked: capping it is the business of whoever waits.
    assert caught.value.retry_after == float(seconds)
    assert len(server.requests) == 1


async def test_a_retry_after_date_is_read_on_the_adapters_clock(server: ServiceNowServer) -> None:
    now = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    adapter = ServiceNowTicketing(make_config(server), clock=VirtualTime(now))
    server.fail_next("rate_limited", retry_after=format_datetime(now + timedelta(minutes=2), True))
    with pytest.raises(AdapterError) as caught:
        await adapter.find_or_create(draft())
    await adapter.close()
    assert caught.value.retry_after == 120.0


async def test_outage_then_recovery_delivers_everything_once_and_in_order(
    ticketing: ServiceNowTicketing, server: ServiceNowServer
) -> None:
    ref = await ticketing.find_or_create(draft())
    await ticketing.append_work_notes(ref, "b1", "before the outage")

    await server.go_offline()
    with pytest.raises(AdapterError) as refused:
        await ticketing.append_work_notes(ref, "b2", "during the outage")
    assert (refused.value.code, refused.value.retryable) == ("connection_error", True)
    await server.go_online()

    server.fail_next("unavailable")
    with pytest.raises(AdapterError) as unavailable:
        await ticketing.append_work_notes(ref, "b2", "during the outage")
    assert (unavailable.value.code, unavailable.value.retryable) == ("server_error", True)

    # The caller's outbox re-delivers everything still pending, oldest first.
    for batch, text in [("b1", "before the outage"), ("b2", "during the outage")]:
        await ticketing.append_work_notes(ref, batch, text)
    await ticketing.append_work_notes(ref, "b3", "after the outage")
    await ticketing.resolve(ref, "recovered")

    assert server.journal(ref.sys_id) == [
        "[smokejumper batch b1]\nbefore the outage",
        "[smokejumper batch b2]\nduring the outage",
        "[smokejumper batch b3]\nafter the outage",
    ]
    assert server.incidents()[0]["state"] == "6"
    assert len(server.incidents()) == 1
