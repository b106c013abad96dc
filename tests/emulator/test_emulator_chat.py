"""chat.*, pins, reactions, bookmarks, users and views against the real AsyncWebClient."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import RateLimits, SlackEmulator

from .conftest import TOKEN, FakeClock

BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "Incident 42"}},
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": "restart",
            }
        ],
    },
]


async def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return str(info.value.response["error"])


@pytest.fixture
async def channel_id(client: AsyncWebClient) -> str:
    response = await client.conversations_create(name="inc-42")
    await client.conversations_invite(channel=response["channel"]["id"], users="U0ALICE")
    return str(response["channel"]["id"])


async def test_post_update_pin(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    posted = await client.chat_postMessage(channel=channel_id, text="Incident 42", blocks=BLOCKS)
    again = await client.chat_postMessage(channel=channel_id, text="second")

    assert posted["channel"] == channel_id
    assert float(again["ts"]) > float(posted["ts"])
    assert posted["message"]["bot_id"] == "B0BOT"
    assert posted["message"]["blocks"][1]["block_id"] == "decide"
    assert posted["message"]["blocks"][0]["block_id"]  # Slack fills in missing block_ids

    await client.chat_update(channel=channel_id, ts=posted["ts"], text="Resolved", blocks=[])
    await client.pins_add(channel=channel_id, timestamp=posted["ts"])

    message = emulator.state.find_message(channel_id, posted["ts"])
    assert message is not None
    assert (message.text, message.blocks, message.edits) == ("Resolved", [], 1)
    pins = await client.pins_list(channel=channel_id)
    assert [item["message"]["ts"] for item in pins["items"]] == [posted["ts"]]
    assert await error_of(client.pins_add(channel=channel_id, timestamp=posted["ts"])) == (
        "already_pinned"
    )
    assert await error_of(client.pins_add(channel=channel_id, timestamp="1.000001")) == (
        "message_not_found"
    )


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
async def test_post_errors(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    assert await error_of(client.chat_postMessage(channel="C0GENERAL", text="x")) == (
        "not_in_channel"
    )
    assert await error_of(client.chat_postMessage(channel="C404", text="x")) == (
        "channel_not_found"
    )
    assert await error_of(client.chat_postMessage(channel=channel_id)) == "no_text"
    too_many = [{"type": "divider"}] * 51
    assert await error_of(client.chat_postMessage(channel=channel_id, blocks=too_many)) == (
        "invalid_blocks"
    )
    malformed = [{"text": "no type"}]
    assert await error_of(client.chat_postMessage(channel=channel_id, blocks=malformed)) == (
        "invalid_blocks"
    )
    long_blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "y" * 2900}} for _ in range(5)
    ]
    assert await error_of(client.chat_postMessage(channel=channel_id, blocks=long_blocks)) == (
        "msg_blocks_too_long"
    )
    await client.conversations_archive(channel=channel_id)
    assert await error_of(client.chat_postMessage(channel=channel_id, text="x")) == "is_archived"
    assert emulator.state.messages_in(channel_id) == []


async def test_post_by_name_with_blocks_as_form_json(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    response = await client.api_call(
        "chat.postMessage",
        data={"channel": "#inc-42", "text": "hi", "blocks": json.dumps(BLOCKS)},
    )

    assert response["channel"] == channel_id
    [message] = emulator.state.messages_in(channel_id)
    assert message.blocks[1]["elements"][0]["action_id"] == "approve"
    bad = client.api_call("chat.postMessage", data={"channel": channel_id, "blocks": "[{"})
    assert await error_of(bad) == "invalid_blocks_format"


async def test_thread_replies(client: AsyncWebClient, channel_id: str) -> None:
    parent = await client.chat_postMessage(channel=channel_id, text="parent")
    await client.chat_postMessage(channel=channel_id, text="reply", thread_ts=parent["ts"])

    history = await client.conversations_history(channel=channel_id)
    replies = await client.conversations_replies(channel=channel_id, ts=parent["ts"])

    assert [m["text"] for m in history["messages"]] == ["parent"]
    assert history["messages"][0]["reply_count"] == 1
    assert [m["text"] for m in replies["messages"]] == ["parent", "reply"]


async def test_update_errors(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    posted = await client.chat_postMessage(channel=channel_id, text="hello")
    human = emulator.state.add_message(channel_id, user="U0ALICE", text="mine")

    assert await error_of(client.chat_update(channel=channel_id, ts="1.000002", text="x")) == (
        "message_not_found"
    )
    assert await error_of(client.chat_update(channel=channel_id, ts=human.ts, text="x")) == (
        "cant_update_message"
    )
    assert await error_of(
        client.chat_update(channel=channel_id, ts=posted["ts"], text="x" * 4001)
    ) == ("msg_too_long")
    message = emulator.state.find_message(channel_id, posted["ts"])
    assert message is not None and message.text == "hello" and message.edits == 0


async def test_ephemeral_permalink_reactions(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    posted = await client.chat_postMessage(channel=channel_id, text="hello")

    ephemeral = await client.chat_postEphemeral(channel=channel_id, user="U0ALICE", text="psst")
    link = await client.chat_getPermalink(channel=channel_id, message_ts=posted["ts"])
    await client.reactions_add(channel=channel_id, timestamp=posted["ts"], name="eyes")

    assert ephemeral["message_ts"]
    assert [m.text for m in emulator.state.ephemerals_for("U0ALICE")] == ["psst"]
    bob_not_in = client.chat_postEphemeral(channel=channel_id, user="U0BOB", text="psst")
    assert await error_of(bob_not_in) == "user_not_in_channel"
    assert link["permalink"] == (
        f"https://sandbox.slack.com/archives/{channel_id}/p{posted['ts'].replace('.', '')}"
    )
    again = client.reactions_add(channel=channel_id, timestamp=posted["ts"], name=":eyes:")
    assert await error_of(again) == "already_reacted"
    message = emulator.state.find_message(channel_id, posted["ts"])
    assert message is not None and message.reactions == {"eyes": ["U0BOT"]}


async def test_bookmarks_views_users_usergroups(
    client: AsyncWebClient, emulator: SlackEmulator, channel_id: str
) -> None:
    bookmark = await client.bookmarks_add(
        channel_id=channel_id, title="Runbook", type="link", link="https://runbooks/db"
    )
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    await client.views_publish(user_id="U0ALICE", view=home)

    assert bookmark["bookmark"]["title"] == "Runbook"
    assert [b.link for b in emulator.state.bookmarks[channel_id]] == ["https://runbooks/db"]
    assert emulator.state.home_views["U0ALICE"]["blocks"] == home["blocks"]
    assert (await client.users_info(user="U0BOB"))["user"]["profile"]["email"] == "bob@example.com"
    assert await error_of(client.users_info(user="U0NOPE")) == "user_not_found"
    found = await client.users_lookupByEmail(email="Carol@Example.com")
    assert found["user"]["id"] == "U0CAROL"
    assert await error_of(client.users_lookupByEmail(email="x@example.com")) == "users_not_found"
    groups = await client.usergroups_list(include_users=True)
    assert [(g["handle"], g["users"]) for g in groups["usergroups"]] == [
        ("oncall", ["U0ALICE", "U0BOB"])
    ]
    members = await client.usergroups_users_list(usergroup="S0ONCALL")
    assert members["users"] == ["U0ALICE", "U0BOB"]
    assert await error_of(client.usergroups_users_list(usergroup="S404")) == "no_such_subteam"


async def test_views_open_trigger_is_single_use_and_short_lived() -> None:
    clock = FakeClock()
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Declare"}, "blocks": []}
    async with SlackEmulator(rate_limits=RateLimits.unlimited(), clock=clock) as emulator:
        client = AsyncWebClient(token=TOKEN, base_url=emulator.api_url)
        fresh = emulator.state.new_trigger("U0ALICE")
        stale = emulator.state.new_trigger("U0ALICE")

        opened = await client.views_open(trigger_id=fresh.id, view=modal)
        reused = client.views_open(trigger_id=fresh.id, view=modal)
        assert await error_of(reused) == "exchanged_trigger_id"
        clock.advance(3.5)
        assert await error_of(client.views_open(trigger_id=stale.id, view=modal)) == (
            "expired_trigger_id"
        )

        assert opened["view"]["id"].startswith("V")
        assert [v["title"]["text"] for v in emulator.state.modal_views["U0ALICE"]] == ["Declare"]
