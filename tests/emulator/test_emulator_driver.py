"""SlackDriver: signed requests that slack_sdk's verifier and a real Bolt app accept."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import SlackDriver, SlackEmulator

from .conftest import TOKEN, wait_for

SECRET = "test-signing-secret"


@dataclass
class Received:
    """What the tiny receiving app saw."""

    requests: list[tuple[dict[str, str], str]] = field(default_factory=list)

    def last_form(self) -> dict[str, str]:
        return dict(parse_qsl(self.requests[-1][1]))

    def last_json(self) -> Any:
        return json.loads(self.requests[-1][1])


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}/slack/events"


@pytest.fixture
async def receiver(
    emulator: SlackEmulator,
) -> AsyncIterator[tuple[Received, SlackDriver]]:
    received = Received()
    verifier = SignatureVerifier(SECRET)

    async def handle(request: web.Request) -> web.Response:
        body = await request.text()
        headers = dict(request.headers)
        received.requests.append((headers, body))
        if not verifier.is_valid_request(body, headers):
            return web.json_response({"error": "invalid request"}, status=401)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner, url = await serve(app)
    driver = SlackDriver(bot_url=url, signing_secret=SECRET, emulator=emulator)
    yield received, driver
    await driver.close()
    await runner.cleanup()


async def test_signature_verifies(receiver: tuple[Received, SlackDriver]) -> None:
    received, driver = receiver

    response = await driver.slash_command(user_id="U0ALICE", channel_id="C0GENERAL", text="open db")

    assert response.status == 200 and response.json() == {"ok": True}
    headers, body = received.requests[-1]
    assert headers["X-Slack-Signature"].startswith("v0=")
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)


async def test_bad_and_stale_signatures_are_rejected(
    receiver: tuple[Received, SlackDriver],
) -> None:
    received, driver = receiver

    forged = await driver.slash_command(
        user_id="U0ALICE", channel_id="C0GENERAL", text="x", bad_signature=True
    )
    stale = await driver.send_event({"type": "app_mention"}, timestamp=int(time.time()) - 600)

    assert (forged.status, stale.status) == (401, 401)
    headers, body = received.requests[0]
    assert not SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert (
        SignatureVerifier("other-secret").generate_signature(
            timestamp=headers["X-Slack-Request-Timestamp"], body=body
        )
        != headers["X-Slack-Signature"]
    )


async def test_slash_command_fields(
    receiver: tuple[Received, SlackDriver], emulator: SlackEmulator
) -> None:
    received, driver = receiver

    await driver.slash_command(user_id="U0BOB", channel_id="C0GENERAL", text="open checkout down")

    form = received.last_form()
    assert form["command"] == "/incident" and form["text"] == "open checkout down"
    assert (form["user_id"], form["user_name"]) == ("U0BOB", "bob")
    assert (form["channel_id"], form["channel_name"]) == ("C0GENERAL", "general")
    assert (form["team_id"], form["team_domain"], form["api_app_id"]) == (
        "T0SANDBOX",
        "sandbox",
        "A0SMOKE",
    )
    assert form["response_url"].startswith(f"{emulator.base_url}/webhook/")
    assert form["trigger_id"] in emulator.state.triggers
    assert received.requests[-1][0]["Content-Type"] == "application/x-www-form-urlencoded"


async def test_click_button_payload(
    receiver: tuple[Received, SlackDriver], emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    received, driver = receiver
    await client.conversations_join(channel="C0GENERAL")
    blocks = [
        {
            "type": "actions",
            "block_id": "approval",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "value": "restart-db",
                    "style": "primary",
                }
            ],
        }
    ]
    posted = await client.chat_postMessage(channel="C0GENERAL", text="Approve?", blocks=blocks)

    await driver.click_button(
        user_id="U0CAROL", channel_id="C0GENERAL", message_ts=posted["ts"], action_id="approve"
    )

    payload = json.loads(received.last_form()["payload"])
    assert payload["type"] == "block_actions"
    assert payload["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0GENERAL",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == blocks
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "approve",
        "approval",
        "restart-db",
    )
    assert action["text"]["text"] == "Approve"
    assert payload["user"]["id"] == "U0CAROL"
    with pytest.raises(LookupError):
        await driver.click_button(
            user_id="U0CAROL", channel_id="C0GENERAL", message_ts=posted["ts"], action_id="nope"
        )


async def test_events_envelope_retries_and_stored_messages(
    receiver: tuple[Received, SlackDriver], emulator: SlackEmulator
) -> None:
    received, driver = receiver

    await driver.app_mention("U0ALICE", "C0GENERAL", "status?")
    first = received.last_json()
    await driver.send_event(first["event"], event_id=first["event_id"], retry_num=1)

    assert first["type"] == "event_callback"
    assert first["event"]["text"] == "<@U0BOT> status?"
    assert first["authorizations"][0]["user_id"] == "U0BOT"
    retry_headers, retry_body = received.requests[-1]
    assert json.loads(retry_body)["event_id"] == first["event_id"]
    assert (retry_headers["X-Slack-Retry-Num"], retry_headers["X-Slack-Retry-Reason"]) == (
        "1",
        "http_timeout",
    )
    [stored] = emulator.state.messages_in("C0GENERAL")
    assert (stored.user, stored.text, stored.ts) == (
        "U0ALICE",
        "<@U0BOT> status?",
        first["event"]["ts"],
    )


async def test_url_verification_and_reaction(
    receiver: tuple[Received, SlackDriver], emulator: SlackEmulator
) -> None:
    received, driver = receiver
    message = emulator.state.add_message("C0GENERAL", user="U0BOB", text="deploying")

    await driver.url_verification("abc123")
    challenge = received.last_json()
    await driver.reaction_added("U0ALICE", "C0GENERAL", message.ts, ":fire:")
    reaction = received.last_json()["event"]

    assert challenge == {
        "token": "sandbox-verification-token",
        "challenge": "abc123",
        "type": "url_verification",
    }
    assert reaction["item"] == {"type": "message", "channel": "C0GENERAL", "ts": message.ts}
    assert (reaction["reaction"], reaction["item_user"]) == ("fire", "U0BOB")
    assert message.reactions == {"fire": ["U0ALICE"]}


async def test_bolt_app_round_trip(emulator: SlackEmulator) -> None:
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=emulator.api_url),
        signing_secret=SECRET,
    )

    @app.command("/incident")
    async def open_incident(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack(text="On it")
        channel = (await client.conversations_create(name="inc-1-checkout"))["channel"]["id"]
        await client.conversations_invite(channel=channel, users=command["user_id"])
        await client.chat_postMessage(
            channel=channel,
            text="Restart checkout?",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "approve",
                            "text": {"type": "plain_text", "text": "Approve"},
                            "value": "restart",
                        }
                    ],
                }
            ],
        )

    @app.action("approve")
    async def approve(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(replace_original=True, text="Approved: restarting checkout")

    runner, url = await serve(app.web_app())
    driver = SlackDriver(bot_url=url, signing_secret=SECRET, emulator=emulator)
    try:
        acked = await driver.slash_command(
            user_id="U0ALICE", channel_id="C0GENERAL", text="open checkout"
        )
        assert (acked.status, acked.text) == (200, "On it")

        await wait_for(lambda: bool(emulator.state.calls_to("chat.postMessage")))
        channel = emulator.state.channel_by_name("inc-1-checkout")
        assert channel is not None and channel.members == ["U0BOT", "U0ALICE"]
        [message] = emulator.state.messages_in(channel.id)

        clicked = await driver.click_button(
            user_id="U0ALICE", channel_id=channel.id, message_ts=message.ts, action_id="approve"
        )
        assert clicked.status == 200
        await wait_for(lambda: bool(emulator.state.response_posts))

        assert message.text == "Approved: restarting checkout" and message.blocks == []
        assert emulator.state.response_posts[0].replace_original
        forged = await driver.slash_command(
            user_id="U0ALICE", channel_id="C0GENERAL", text="x", bad_signature=True
        )
        assert forged.status == 401
    finally:
        await driver.close()
        await runner.cleanup()
