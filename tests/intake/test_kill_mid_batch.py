"""Durability under group commit: kill -9 the real server mid-batch, lose no 2xx'd alert.

Runs on SQLite and on PostgreSQL: a commit acknowledged by either must outlive the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text

from bot.store.database import create_engine
from integrations.slack.emulator import RateLimits, SlackEmulator
from tests.support.database import DatabaseTarget

SERVER = Path(sys.executable).parent / "smokejumper"
TOKEN = "xoxb-kill-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _webhook(index: int) -> bytes:
    labels = {"alertname": f"Kill{index:05d}", "service": f"svc-{index % 7}", "severity": "warning"}
    alert = {
        "status": "firing",
        "labels": labels,
        "annotations": {"summary": f"alert {index}"},
        "startsAt": "2026-01-01T00:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": f"{index:016x}",
    }
    return json.dumps(
        {
            "receiver": "smokejumper",
            "status": "firing",
            "alerts": [alert],
            "groupLabels": {},
            "commonLabels": labels,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager",
            "version": "4",
            "groupKey": f"kill-{index}",
        }
    ).encode()


async def _wait_healthy(
    session: aiohttp.ClientSession, url: str, proc: asyncio.subprocess.Process
) -> None:
    for _ in range(600):
        assert proc.returncode is None, "the server exited during start-up"
        with contextlib.suppress(aiohttp.ClientError):
            async with session.get(url + "/healthz") as resp:
                if resp.status == 200:
                    return
        await asyncio.sleep(0.05)
    pytest.fail("the server did not answer /healthz")


def _server_env(api_url: str, database: DatabaseTarget) -> dict[str, str]:
    """The parent's environment without Slack/smokejumper settings, plus the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMOKEJUMPER_", "SLACK_"))}
    env.update(
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET="kill-secret",
        SMOKEJUMPER_SLACK_API_URL=api_url,
        SMOKEJUMPER_DATABASE_URL=database.url,
        SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED="true",
    )
    if database.schema:
        env["SMOKEJUMPER_DATABASE_SCHEMA"] = database.schema
    return env


async def _stored_fingerprints(database: DatabaseTarget) -> set[str]:
    """The fingerprints in the database the killed server wrote, read from its schema."""
    url = database.url
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    engine = create_engine(url, database.schema)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT fingerprint FROM signals"))
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


@pytest.mark.both_databases
async def test_every_acknowledged_alert_survives_kill_9(
    empty_database: DatabaseTarget, tmp_path: Path
) -> None:
    """The server migrates the empty database itself, as on a first start, then takes the load.

    On PostgreSQL the schema is the test's own and is dropped afterwards (`empty_database`).
    """
    if not SERVER.exists():
        pytest.skip(f"{SERVER} is not installed (pip install -e .)")
    emulator = SlackEmulator(bot_token=TOKEN, rate_limits=RateLimits.unlimited())
    await emulator.start()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = await asyncio.create_subprocess_exec(
        str(SERVER),
        "--log-level",
        "WARNING",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        env=_server_env(emulator.api_url, empty_database),
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    acknowledged: list[str] = []
    in_flight: set[int] = set()
    posted_at_kill: set[int] = set()  # the deliveries outstanding when the kill lands
    unanswered: list[int] = []  # posted before the kill, never answered
    enough = asyncio.Event()
    try:
        async with aiohttp.ClientSession() as session:
            await _wait_healthy(session, url, proc)

            async def sender(first: int) -> None:
                index = first
                while True:
                    body = _webhook(index)
                    in_flight.add(index)
                    try:
                        async with session.post(
                            url + "/alerts/alertmanager",
                            data=body,
                            headers={"Content-Type": "application/json"},
                        ) as resp:
                            if 200 <= resp.status < 300:
                                acknowledged.append(f"{index:016x}")
                    except aiohttp.ClientError:
                        if index in posted_at_kill:
                            unanswered.append(index)
                        return  # the server is gone
                    finally:
                        in_flight.discard(index)
                    if len(acknowledged) >= 200:
                        enough.set()
                    index += 20

            senders = [asyncio.create_task(sender(i)) for i in range(20)]
            await asyncio.wait_for(enough.wait(), 60)
            # Mid-batch: every sender has a delivery in flight whenever this runs.
            posted_at_kill.update(in_flight)
            proc.kill()
            await proc.wait()
            await asyncio.gather(*senders)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await emulator.stop()
    stored = await _stored_fingerprints(empty_database)
    missing = sorted(set(acknowledged) - stored)
    assert len(acknowledged) >= 200
    # The kill landed with deliveries outstanding, not between two quiet moments.
    assert unanswered, f"no delivery was left unanswered by the kill (in flight: {posted_at_kill})"
    assert missing == [], f"{len(missing)} alerts answered 2xx but not stored: {missing[:5]}"
