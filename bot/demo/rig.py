"""The sandbox bot: the real Smokejumper configured against the local peers."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from bot.app import Smokejumper
from bot.config import load_settings
from bot.demo.peers import ANNOUNCE_CHANNEL, BOT_TOKEN, SandboxPeers
from bot.domain.clock import TimeSource
from integrations.slack.emulator import SlackDriver

SIGNING_SECRET = "sandbox-signing-secret"  # noqa: S105  (the emulator's own, not a real one)
WEBHOOK_SECRET = "sandbox-webhook-secret"  # noqa: S105  (signs the sandbox's /changes)
# Alertmanager sends it as a bearer token, as a real receiver is configured to.
ALERTMANAGER_TOKEN = "sandbox-alertmanager-token"  # noqa: S105  (sandbox-only)
RESPONDERS = ["U0ALICE", "U0BOB"]


def build_bot(
    peers: SandboxPeers,
    time: TimeSource,
    database_url: str,
    *,
    run_outbox: bool,
    **overrides: Any,
) -> Smokejumper:
    """The bot, configured as a user would: settings, adapters file, services file."""
    settings = load_settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token="",
        slack_api_url=peers.slack.api_url,
        database_url=database_url,
        announce_channel=ANNOUNCE_CHANNEL,
        responders=RESPONDERS,
        generic_webhook_secret=WEBHOOK_SECRET,
        alertmanager_token=ALERTMANAGER_TOKEN,
        adapters_file=peers.adapters_file,
        services_file=peers.services_file,
        **overrides,
    )
    return Smokejumper(settings, time=time, run_outbox=run_outbox)


def driver_for(bot: Smokejumper, peers: SandboxPeers) -> SlackDriver:
    """Signs commands, clicks and events with the signing secret and posts them to the bot."""
    return SlackDriver(
        bot_url=f"{bot.url}/slack/events",
        signing_secret=SIGNING_SECRET,
        emulator=peers.slack,
        # The bot checks request timestamps on its own (virtual) clock.
        clock=lambda: bot.time.now().timestamp(),
    )


async def post_alert(http: aiohttp.ClientSession, bot: Smokejumper, body: bytes) -> dict[str, Any]:
    """POST an Alertmanager webhook body; the answer with its HTTP status."""
    async with http.post(
        f"{bot.url}/alerts/alertmanager",
        data=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {ALERTMANAGER_TOKEN}",
        },
    ) as response:
        result: dict[str, Any] = await response.json()
        result["http_status"] = response.status
        return result


def checkout_deploy(now: datetime) -> dict[str, Any]:
    """The change that broke checkout: an Argo CD sync twelve minutes before the alert."""
    return {
        "id": "checkout-rev-481",
        "source": "argocd",
        "service": "checkout",
        "environment": "production",
        "kind": "deploy",
        "subject": "v2.14.0",
        "description": "checkout v2.13.2 -> v2.14.0",
        "actor": "ci-bot",
        "url": "https://argocd.example.com/applications/checkout?revision=481",
        "at": (now - timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


async def post_changes(
    http: aiohttp.ClientSession, bot: Smokejumper, changes: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    """POST /changes signed like the generic webhook."""
    body = json.dumps(
        {"timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "changes": changes}
    ).encode()
    signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    async with http.post(
        f"{bot.url}/changes",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Smokejumper-Signature": f"sha256={signature}",
        },
    ) as response:
        result: dict[str, Any] = await response.json()
        result["http_status"] = response.status
        return result
