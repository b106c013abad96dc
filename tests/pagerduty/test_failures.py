"""Retry is bounded and classified: 429/5xx/timeouts/connection retry, 4xx do not."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.ports.adapters import AdapterError
from integrations.pagerduty.client import PagerDutyError
from integrations.pagerduty.emulator import PagerDutyServer
from integrations.pagerduty.pager import PagerDutyPager
from tests.pagerduty.conftest import MakePager
from tests.pagerduty.test_events import T0, make_page


@pytest.mark.parametrize("max_attempts", [1, 3, 5])
async def test_rate_limit_is_retried_exactly_max_attempts(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float], max_attempts: int
) -> None:
    pager = await make_pager(max_attempts=max_attempts)
    pd_server.fail("enqueue", 429, times=100, retry_after=1)

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        "rate_limited",
        True,
        429,
    )
    assert pd_server.count("enqueue") == max_attempts
    # Retry-After is honoured between attempts, none after the last.
    assert sleeps == [1.0] * (max_attempts - 1)
    assert pd_server.incidents == []


async def test_rate_limit_then_success_delivers_once(
    pager: PagerDutyPager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pd_server.fail("enqueue", 429, times=2, retry_after=2)

    assert await pager.trigger(make_page()) == "smokejumper-inc-42"

    assert pd_server.count("enqueue") == 3
    assert sleeps == [2.0, 2.0]
    assert len(pd_server.incidents) == 1


async def test_retry_after_is_capped(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pager = await make_pager(max_backoff_seconds=3.0)
    pd_server.fail("enqueue", 429, times=1, retry_after=600)

    await pager.resolve("smokejumper-inc-42", T0)

    assert sleeps == [3.0]


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [
        (format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True), 4.0),
        (format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True), 0.0),
        ("soon", 0.5),  # unreadable: fall back to our own backoff
    ],
    ids=["future-date-capped", "past-date", "garbage"],
)
async def test_retry_after_as_an_http_date(
    pager: PagerDutyPager,
    pd_server: PagerDutyServer,
    sleeps: list[float],
    retry_after: str,
    delay: float,
) -> None:
    pd_server.fail("enqueue", 429, times=1, retry_after=retry_after)

    await pager.acknowledge("smokejumper-inc-42", T0)

    assert sleeps == [delay]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_retried_with_backoff_then_given_up(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float], status: int
) -> None:
    pager = await make_pager(max_attempts=4, backoff_seconds=0.5, max_backoff_seconds=1.5)
    pd_server.fail("enqueue", status, times=100)

    with pytest.raises(PagerDutyError) as caught:
        await pager.acknowledge("smokejumper-inc-42", T0)

    assert (caught.value.code, caught.value.retryable, caught.value.status) == (
        "server_error",
        True,
        status,
    )
    # The package alone would retry 503 six times; here it is exactly max_attempts.
    assert pd_server.count("enqueue") == 4
    assert sleeps == [0.5, 1.0, 1.5]


async def test_rest_rate_limit_uses_ratelimit_reset_and_is_bounded(
    pager: PagerDutyPager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    await pager.trigger(make_page())
    pd_server.fail("notes", 429, times=100, retry_after=2)

    with pytest.raises(PagerDutyError) as caught:
        await pager.add_note("smokejumper-inc-42", "note")

    assert (caught.value.code, caught.value.retryable) == ("rate_limited", True)
    assert pd_server.count("notes") == 3
    assert sleeps == [2.0, 2.0]
    assert pd_server.incidents[0].notes == []


async def test_rest_server_error_then_success(
    pager: PagerDutyPager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    await pager.trigger(make_page())
    pd_server.fail("incidents", 500, times=1)

    await pager.add_note("smokejumper-inc-42", "note")

    assert pd_server.count("incidents") == 2
    assert sleeps == [0.5]
    assert [n["content"] for n in pd_server.incidents[0].notes] == ["note"]


async def test_bad_request_is_not_retried(
    pager: PagerDutyPager, pd_server: PagerDutyServer, sleeps: list[float]
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
    assert sleeps == []


async def test_success_in_an_unexpected_shape_is_not_retried(
    pager: PagerDutyPager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pd_server.fail("enqueue", 202, body={"status": "success", "message": "Event processed"})

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("unexpected_response", False)
    assert pd_server.count("enqueue") == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "bad_request"), (401, "unauthorized"), (403, "forbidden"), (404, "not_found")],
)
async def test_rest_client_errors_are_not_retried(
    pager: PagerDutyPager,
    pd_server: PagerDutyServer,
    sleeps: list[float],
    status: int,
    code: str,
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
    assert sleeps == []


async def test_slow_server_times_out_and_is_retried_bounded(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pager = await make_pager(timeout=0.3, max_attempts=2)
    pd_server.stall("enqueue", 30, times=2)

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert pd_server.count("enqueue") == 2
    assert sleeps == [0.5]


async def test_slow_then_fast_succeeds(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pager = await make_pager(timeout=0.3)
    pd_server.stall("enqueue", 30, times=1)

    # Safe to resend: the dedup key folds a late first delivery into the same alert.
    assert await pager.trigger(make_page()) == "smokejumper-inc-42"
    assert pd_server.count("enqueue") == 2
    assert len(sleeps) == 1


async def test_unreachable_server_is_a_bounded_connection_error(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    pager = await make_pager(events_url=f"https://127.0.0.1:{closed_port}")

    with pytest.raises(PagerDutyError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)
    assert len(sleeps) == 2  # three attempts


async def test_dropped_connections_are_retried_exactly_max_attempts(
    make_pager: MakePager, sleeps: list[float]
) -> None:
    connections = 0

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        pager = await make_pager(events_url=f"https://127.0.0.1:{port}", max_attempts=4)
        with pytest.raises(PagerDutyError) as caught:
            await pager.trigger(make_page())
    finally:
        server.close()
        await server.wait_closed()

    assert (caught.value.code, caught.value.retryable) == ("connection_error", True)
    # The package's own network retries are off: one connection per attempt.
    assert connections == 4
    assert sleeps == [0.5, 1.0, 2.0]


async def test_untrusted_certificate_is_not_retried(
    make_pager: MakePager, pd_server: PagerDutyServer, sleeps: list[float]
) -> None:
    pager = await make_pager(ca_bundle=None)

    with pytest.raises(AdapterError) as caught:
        await pager.trigger(make_page())

    assert (caught.value.code, caught.value.retryable) == ("tls_error", False)
    assert sleeps == []
    # The handshake failed, so no request reached the server.
    assert pd_server.requests == []
