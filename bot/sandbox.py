"""`smokejumper sandbox`: the real bot, SQLite, the Slack emulator, and a demo alert."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import Smokejumper
from bot.config import load_settings
from integrations.slack.emulator import SlackDriver, SlackEmulator, render_transcript

BOT_TOKEN = "xoxb-sandbox"  # noqa: S105  (the emulator's own token)
SIGNING_SECRET = "sandbox-signing-secret"  # noqa: S105  (the emulator's own, not a real one)
ANNOUNCE_CHANNEL = "incidents"
RESPONDERS = ["U0ALICE", "U0BOB"]


def demo_payload(name: str) -> bytes:
    """A webhook body captured from a real Alertmanager 0.25."""
    return resources.files("bot.sandbox_data").joinpath(name).read_bytes()


async def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the sandbox conversation did not finish in time")
        await asyncio.sleep(0.02)


async def _post_alert(session: aiohttp.ClientSession, url: str, body: bytes) -> dict[str, Any]:
    async with session.post(
        url, data=body, headers={"Content-Type": "application/json"}
    ) as response:
        result: dict[str, Any] = await response.json()
        result["http_status"] = response.status
        return result


async def run_sandbox(database_url: str | None = None) -> str:
    """Fire the demo alert through the whole bot; return the conversation as text."""
    workdir = Path(tempfile.mkdtemp(prefix="smokejumper-sandbox-"))
    emulator = SlackEmulator(bot_token=BOT_TOKEN)
    await emulator.start()
    app: Smokejumper | None = None
    driver: SlackDriver | None = None
    log: list[str] = []
    try:
        setup = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url)
        await setup.conversations_create(name=ANNOUNCE_CHANNEL)
        settings = load_settings(
            slack_bot_token=BOT_TOKEN,
            slack_signing_secret=SIGNING_SECRET,
            slack_app_token="",
            slack_api_url=emulator.api_url,
            database_url=database_url or f"sqlite+aiosqlite:///{workdir / 'smokejumper.db'}",
            announce_channel=ANNOUNCE_CHANNEL,
            responders=RESPONDERS,
        )
        app = Smokejumper(settings, run_outbox=False)
        await app.start("127.0.0.1", 0)
        driver = SlackDriver(
            bot_url=f"{app.url}/slack/events", signing_secret=SIGNING_SECRET, emulator=emulator
        )
        alerts_url = f"{app.url}/alerts/alertmanager"
        async with aiohttp.ClientSession() as http:
            for label, name in (
                ("firing alert", "alertmanager_0.25_firing.json"),
                ("same alert again (Alertmanager HA duplicate)", "alertmanager_0.25_firing.json"),
            ):
                result = await _post_alert(http, alerts_url, demo_payload(name))
                log.append(
                    f"POST /alerts/alertmanager ({label}) → {result['http_status']} "
                    f"{json.dumps(result['outcomes'])}"
                )
            await app.worker.drain()
            incident_channel = next(
                c.id for c in emulator.state.channels.values() if c.name.startswith("inc-")
            )
            answered = len(emulator.state.response_posts)
            slash = await driver.slash_command(
                user_id="U0ALICE", channel_id=incident_channel, text="ack"
            )
            log.append(f"/incident ack by @alice → {slash.status}")
            await wait_for(lambda: len(emulator.state.response_posts) > answered)
            await app.worker.drain()
            result = await _post_alert(
                http, alerts_url, demo_payload("alertmanager_0.25_resolved.json")
            )
            log.append(
                f"POST /alerts/alertmanager (resolved alert) → {result['http_status']} "
                f"{json.dumps(result['outcomes'])}"
            )
            await app.worker.drain()
        return "\n".join(
            [
                "== smokejumper sandbox ==",
                "",
                *log,
                "",
                "== the Slack conversation ==",
                "",
                render_transcript(emulator.state),
            ]
        )
    finally:
        if driver is not None:
            await driver.close()
        if app is not None:
            await app.stop()
        await emulator.stop()
