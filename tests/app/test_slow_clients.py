"""Slow and stalled clients are cut off: a header deadline, a body deadline, bounded slots.

These use real sockets against a server configured with deadlines of a fraction of a
second; the assertions are about what the server did, never about how fast it was.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

NOTHING = {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}
MIB = 1024 * 1024


@pytest.fixture
async def strict(database: DatabaseTarget, emulator: SlackEmulator) -> AsyncIterator[Harness]:
    h = await start_harness(
        database,
        emulator,
        header_timeout_seconds=0.3,
        body_timeout_seconds=0.3,
        max_concurrent_bodies=2,
    )
    yield h
    await stop_harness(h)


async def stalled_upload(
    h: Harness, path: str = "/alerts/alertmanager"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A POST announcing 1 MiB that sends 1 KiB of it and then nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", h.app.port)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {MIB}\r\n\r\n".encode()
        + b"{" * 1024
    )
    await writer.drain()
    return reader, writer


def status_and_body(response: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


async def test_a_stalled_body_is_answered_408_and_the_connection_closed(strict: Harness) -> None:
    reader, writer = await stalled_upload(strict)

    # read() returns only once the server has closed the connection.
    response = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()

    status, body = status_and_body(response)
    assert status == 408 and body["error"] == "body_timeout"
    assert await strict.counts() == NOTHING


async def test_a_request_head_that_never_ends_is_closed(strict: Harness) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", strict.app.port)
    writer.write(b"POST /alerts/alertmanager HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    await writer.drain()

    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    writer.close()


async def test_bodies_beyond_the_slots_are_refused_until_a_slot_frees(
    database: DatabaseTarget, emulator: SlackEmulator
) -> None:
    h = await start_harness(database, emulator, body_timeout_seconds=30, max_concurrent_bodies=2)
    try:
        stalled = [await stalled_upload(h), await stalled_upload(h, "/slack/events")]
        # Both slots are taken once the server is reading both bodies.
        await asyncio.sleep(0.05)
        reader, writer = await stalled_upload(h)
        response = await asyncio.wait_for(reader.read(), timeout=10)
        writer.close()
        assert b"\r\nRetry-After: 1\r\n" in response
        assert status_and_body(response)[0] == 503
        assert status_and_body(response)[1]["error"] == "busy"

        # A body that arrived whole with its headers waits on nothing and takes no slot.
        url = h.app.url + "/alerts/alertmanager"
        async with h.http.post(url, json={}) as response:
            assert response.status == 422

        for _, stalled_writer in stalled:
            stalled_writer.close()
        await asyncio.sleep(0.05)
        reader, writer = await stalled_upload(h)
        # The slot is free again: this upload is read to its end and judged on its merits.
        writer.write(b"{" * (MIB - 1024))
        await writer.drain()
        status, body = status_and_body(await asyncio.wait_for(reader.readuntil(b"}"), timeout=10))
        writer.close()
        assert status == 400 and body["error"] == "invalid_json"
    finally:
        await stop_harness(h)
