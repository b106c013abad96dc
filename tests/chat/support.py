"""Scenario helpers: an incident with a channel, a recorded deploy, threaded replies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.store.models import IncidentRow
from tests.support.harness import Harness, generic_alert, post_signed, wait_until

ALICE, BOB = "U0ALICE", "U0BOB"


def deploy(minutes_before: int = 9, **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": "rev-481",
        "source": "argocd",
        "service": "checkout",
        "environment": "production",
        "kind": "deploy",
        "subject": "v2.14.0",
        "description": "checkout v2.13.2 -> v2.14.0",
        "url": "https://argocd.example.com/app/checkout/481",
        "actor": "ci-bot",
        "at": (datetime.now(UTC) - timedelta(minutes=minutes_before)).isoformat(),
    }
    item.update(overrides)
    return item


async def open_incident(harness: Harness, *changes: dict[str, Any]) -> tuple[IncidentRow, str]:
    """An incident about deployment production/checkout, triaged, with its channel."""
    if changes:
        body = {"timestamp": datetime.now(UTC).isoformat(), "changes": list(changes)}
        assert (await post_signed(harness, "/changes", body)).status == 202
    alert = generic_alert(
        labels={
            "alertname": "KubePodCrashLooping",
            "namespace": "production",
            "deployment": "checkout",
        }
    )
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.channel_id is not None
    return incident, incident.channel_id


def thread_replies(harness: Harness, channel: str, parent_ts: str) -> list[Any]:
    return [
        m
        for m in harness.emulator.state.messages_in(channel)
        if m.thread_ts == parent_ts and m.ts != parent_ts
    ]


async def ask(harness: Harness, channel: str, text: str, user: str = ALICE) -> Any:
    """Mention the bot and wait for its first reply in the mention's thread."""
    await harness.driver.app_mention(user, channel, text)
    asked = harness.emulator.state.messages_in(channel)[-1]
    await wait_until(lambda: bool(thread_replies(harness, channel, asked.ts)))
    return thread_replies(harness, channel, asked.ts)[0]


def message_text(message: Any) -> str:
    parts = [message.text or ""]
    for block in message.blocks or []:
        text = block.get("text")
        if isinstance(text, dict):
            parts.append(str(text.get("text", "")))
        for element in block.get("elements", []) or []:
            if isinstance(element, dict) and "text" in element:
                value = element["text"]
                parts.append(str(value.get("text", "") if isinstance(value, dict) else value))
    return "\n".join(parts)


async def chat_events(harness: Harness, incident_id: int | None, kind: str) -> list[Any]:
    """Entries of one kind, waiting (briefly) for a background listener to write them."""
    for _ in range(500):
        found = [e for e in await harness.events(incident_id) if e.kind == kind]
        if found:
            return found
        await asyncio.sleep(0.01)
    return []
