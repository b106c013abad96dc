"""Outages, refusals and recovery: which failures are retried, and nothing lost or doubled."""

from __future__ import annotations

import pytest

from bot.ports.adapters import AdapterError, NotReady
from integrations.servicenow import ServiceNowTicketing
from integrations.servicenow.emulator import FaultKind, ServiceNowServer
from tests.servicenow.conftest import draft, make_config


class RecordedSleep:
    """Stands in for asyncio.sleep so backoff delays can be read instead of waited."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


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


@pytest.mark.parametrize("kind", ["unavailable", "internal_error", "rate_limited", "drop"])
async def test_transient_failures_are_retried_then_succeed(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, kind: FaultKind
) -> None:
    server.fail_next(kind, times=2, retry_after=0 if kind == "rate_limited" else None)
    ref = await ticketing.find_or_create(draft())
    assert len(server.incidents()) == 1
    assert ref.sys_id == server.incidents()[0]["sys_id"]
    assert [r.fault for r in server.requests[:2]] == [kind, kind]


@pytest.mark.parametrize(
    ("kind", "code"),
    [
        ("unavailable", "server_error"),
        ("rate_limited", "rate_limited"),
        ("drop", "connection_error"),
    ],
)
async def test_a_failure_outlasting_the_attempts_is_raised_as_retryable(
    ticketing: ServiceNowTicketing, server: ServiceNowServer, kind: FaultKind, code: str
) -> None:
    server.fail_next(kind, times=3)
    with pytest.raises(AdapterError) as caught:
        await ticketing.find_or_create(draft())
    assert (caught.value.code, caught.value.retryable) == (code, True)
    assert len(server.requests) == 3  # max_attempts, each a lookup that failed
    assert server.incidents() == []


async def test_a_stalled_instance_times_out_as_retryable(server: ServiceNowServer) -> None:
    adapter = ServiceNowTicketing(make_config(server, timeout_seconds=0.2, max_attempts=1))
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


async def test_backoff_grows_and_honours_retry_after(server: ServiceNowServer) -> None:
    sleep = RecordedSleep()
    config = make_config(server, backoff_seconds=1.0, max_backoff_seconds=10.0, max_attempts=4)
    adapter = ServiceNowTicketing(config, sleep=sleep)
    server.fail_next("unavailable", times=2)
    server.fail_next("rate_limited", retry_after=7)
    await adapter.find_or_create(draft())
    await adapter.close()
    first, second, third = sleep.delays
    assert 0.5 <= first <= 1.0
    assert 1.0 <= second <= 2.0
    assert third == 7.0  # Retry-After beats the exponential delay of 2-4 s


async def test_retry_after_is_capped(server: ServiceNowServer) -> None:
    sleep = RecordedSleep()
    adapter = ServiceNowTicketing(make_config(server, max_backoff_seconds=5.0), sleep=sleep)
    server.fail_next("rate_limited", retry_after=3600)
    await adapter.find_or_create(draft())
    await adapter.close()
    assert sleep.delays == [5.0]
    assert len(server.incidents()) == 1


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

    server.fail_next("unavailable", times=3)
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
