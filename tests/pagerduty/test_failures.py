"""One request per call, classified: 429/5xx/timeouts/connection errors say a retry can help
(with any wait PagerDuty asked for), 4xx and bad certificates say it cannot; the caller
retries, so every failure here is exactly one request."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta
from email.utils import format_datetime

import pytest

from bot.ports.adapters import AdapterError
from integrations.pagerduty.client import PagerDutyError
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager import PagerDutyPager
from tests.pagerduty.conftest import PAGER_NOW, MakePager
from tests.pagerduty.test_events import T0, make_page


@pytest.mark.parametrize("retry_after", [1, 7, 600])
async def test_rate_limit_is_one_request_reporting_the_wait_asked_for(
    pager: PagerDutyPager, pd_server: PagerDutyServer, retry_after: int
) -> None:
    pd_server.fail("enqueue", 429, times=100, retry_after=retry_after)

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        "rate_limited",
        True,
        429,
    )
    # Reported as asked; capping it is the business of whoever waits.
    assert caught.value.retry_after == float(retry_after)
    assert pd_server.count("enqueue") == 1
    assert pd_server.incidents == []


async def test_the_next_call_after_a_rate_limit_delivers_once(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    pd_server.fail("enqueue", 429, times=1, retry_after=2)

    with pytest.raises(PagerDutyError):
        await pager.trigger(make_page())
    # What the outbox does when it runs the paging job again.
    assert await pager.trigger(make_page()) == "smokejumper-inc-42"

    assert pd_server.count("enqueue") == 2
    assert len(pd_server.incidents) == 1


@pytest.mark.parametrize(
    ("retry_after", "seconds"),
    [
        (format_datetime(PAGER_NOW + timedelta(hours=1), usegmt=True), 3600.0),
        (format_datetime(PAGER_NOW - timedelta(hours=1), usegmt=True), 0.0),
        ("soon", None),  # unreadable: the caller's own backoff applies
    ],
    ids=["future-date", "past-date", "garbage"],
)
async def test_retry_after_as_an_http_date_is_read_on_the_pagers_clock(
    pager: PagerDutyPager, pd_server: PagerDutyServer, retry_after: str, seconds: float | None
) -> None:
    pd_server.fail("enqueue", 429, times=1, retry_after=retry_after)

    with pytest.raises(PagerDutyError) as caught:
        await pager.acknowledge("smokejumper-inc-42", T0)

    assert caught.value.retryable
    assert caught.value.retry_after == seconds


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_one_request_and_retryable(
    pager: PagerDutyPager, pd_server: PagerDutyServer, status: int
) -> None:
    pd_server.fail("enqueue", status, times=100)

    with pytest.raises(PagerDutyError) as caught:
        await pager.acknowledge("smokejumper-inc-42", T0)

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        "server_error",
        True,
        status,
    )
    assert caught.value.retry_after is None
    # The package alone would retry 503 six times.
    assert pd_server.count("enqueue") == 1


async def test_rest_rate_limit_reports_ratelimit_reset(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    pd_server.fail("notes", 429, times=100, retry_after=2)

    with pytest.raises(PagerDutyError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("rate_limited", True)
    assert caught.value.retry_after == 2.0
    assert pd_server.count("notes") == 1
    assert pd_server.incidents[0].notes == []


async def test_rest_server_error_then_the_next_call_succeeds(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    await pager.trigger(make_page())
    pd_server.fail("incidents", 500, times=1)

    with pytest.raises(PagerDutyError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")
    assert (caught.value.code, caught.value.retryable) == ("server_error", True)
    await pager.add_note("smokejumper-inc-42", "note")

    assert pd_server.count("incidents") == 2
    assert [n["content"] for n in pd_server.incidents[0].notes] == ["note"]


async def test_bad_request_is_not_retryable(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    pd_server.fail(
        "enqueue",
        400,
        body={
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["'payload.summary' is missing or blank"],
        },
    )

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        "bad_request",
        False,
        400,
    )
    assert "'payload.summary' is missing or blank" in caught.value.message
    assert pd_server.count("enqueue") == 1


async def test_success_in_an_unexpected_shape_is_not_retryable(
    pager: PagerDutyPager, pd_server: PagerDutyServer
) -> None:
    pd_server.fail("enqueue", 202, body={"status": "success", "message": "Event processed"})

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("unexpected_response", False)
    assert pd_server.count("enqueue") == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "bad_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found")],
)
async def test_rest_client_errors_are_not_retryable(
    pager: PagerDutyPager, pd_server: PagerDutyServer, status: int, code: str
) -> None:
    await pager.trigger(make_page())
    pd_server.fail("notes", status)

    with pytest.raises(PagerDutyError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        code,
        False,
        status,
    )
    assert pd_server.count("notes") == 1


async def test_slow_server_times_out_as_retryable(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(timeout=0.3)
    pd_server.stall("enqueue", 30, times=2)

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert pd_server.count("enqueue") == 1


async def test_a_timed_out_trigger_sent_again_succeeds(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(timeout=0.3)
    pd_server.stall("enqueue", 30, times=1)

    with pytest.raises(PagerDutyError):
        await pager.trigger(make_page())
    # Safe to resend: the dedup key folds a late first delivery into the same alert. The
    # resend (as the outbox's next attempt would) gets a timeout a loaded machine meets.
    patient = await make_pager(timeout=10)
    assert await patient.trigger(make_page()) == "smokejumper-inc-42"
    assert pd_server.count("enqueue") == 2


async def test_unreachable_server_is_one_retryable_connection_error(
    make_pager: MakePager,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    pager = await make_pager(events_url=f"https://127.0.0.1:{closed_port}")

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)


async def test_a_dropped_connection_is_one_connection(make_pager: MakePager) -> None:
    connections = 0

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        pager = await make_pager(events_url=f"https://127.0.0.1:{port}")
        with pytest.raises(PagerDutyError) as caught:
            await pager.trigger(make_page())
    finally:
        server.close()
        await server.wait_closed()

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)
    # The package's own network retries are off.
    assert connections == 1


async def test_untrusted_certificate_is_not_retryable(
    make_pager: MakePager, pd_server: PagerDutyServer
) -> None:
    pager = await make_pager(ca_bundle=None)

    with pytest.raises(AdapterError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("tls_error", False)
    # The handshake failed, so no request reached the server.
    assert pd_server.requests == []
