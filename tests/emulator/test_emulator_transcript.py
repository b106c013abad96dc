"""render_transcript: the conversation as a human reads it."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from integrations.slack.emulator import SlackEmulator, render_transcript

BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "SEV1: checkout down"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Commander: <@U0ALICE>\nPage <!subteam^S0ONCALL>"},
        "fields": [
            {"type": "mrkdwn", "text": "*Service*\ncheckout"},
            {"type": "mrkdwn", "text": "*Runbook*: <https://runbooks/checkout|checkout runbook>"},
        ],
    },
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "opened via /incident"}]},
    {"type": "divider"},
    {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "ack",
                "text": {"type": "plain_text", "text": "Acknowledge"},
            },
            {
                "type": "button",
                "action_id": "resolve",
                "style": "danger",
                "text": {"type": "plain_text", "text": "Resolve"},
            },
        ],
    },
]

EXPECTED = """\
[#inc-42-checkout] @smokejumper created #inc-42-checkout
[#inc-42-checkout] @smokejumper set the topic: SEV1 - commander @alice
[#inc-42-checkout] @smokejumper invited @alice, @bob
[#inc-42-checkout] @smokejumper:
    == SEV1: checkout down ==
    Commander: @alice
    Page @oncall
    *Service*
    checkout
    *Runbook*: checkout runbook (https://runbooks/checkout)
    opened via /incident
    ------------------------
    [Acknowledge] [Resolve]
[#inc-42-checkout] @alice: looking at the DB now
[#inc-42-checkout] @smokejumper (in thread): Noted, thanks @alice
[#inc-42-checkout] @smokejumper edited a message: SEV1: checkout down (resolved)
[#inc-42-checkout] @smokejumper pinned a message: "SEV1: checkout down (resolved)"
[#inc-42-checkout] @smokejumper reacted :white_check_mark: to "looking at the DB now"
[#inc-42-checkout] @smokejumper bookmarked "Runbook" (https://runbooks/checkout)
[#inc-42-checkout] @smokejumper (only visible to @bob): You were paged
[#inc-42-checkout] @smokejumper (via response_url): Status posted for everyone
[#inc-42-checkout] @smokejumper (only visible to @alice) (via response_url): Only you see this
"""


async def test_transcript_renders_conversation_in_order(
    client: AsyncWebClient, emulator: SlackEmulator
) -> None:
    channel = (await client.conversations_create(name="inc-42-checkout"))["channel"]["id"]
    await client.conversations_setTopic(channel=channel, topic="SEV1 - commander <@U0ALICE>")
    await client.conversations_invite(channel=channel, users="U0ALICE,U0BOB")
    kickoff = await client.chat_postMessage(channel=channel, text="SEV1", blocks=BLOCKS)
    human = emulator.state.add_message(channel, user="U0ALICE", text="looking at the DB now")
    await client.chat_postMessage(
        channel=channel, text="Noted, thanks <@U0ALICE>", thread_ts=kickoff["ts"]
    )
    await client.chat_update(
        channel=channel, ts=kickoff["ts"], text="SEV1: checkout down (resolved)", blocks=[]
    )
    await client.pins_add(channel=channel, timestamp=kickoff["ts"])
    await client.reactions_add(channel=channel, timestamp=human.ts, name="white_check_mark")
    await client.bookmarks_add(
        channel_id=channel, title="Runbook", type="link", link="https://runbooks/checkout"
    )
    await client.chat_postEphemeral(channel=channel, user="U0BOB", text="You were paged")
    url = emulator.response_url("commands", channel_id=channel, user_id="U0ALICE")
    webhook = AsyncWebhookClient(url)
    shared = await webhook.send(text="Status posted for everyone", response_type="in_channel")
    private = await webhook.send(text="Only you see this")

    assert (shared.status_code, shared.body, private.status_code) == (200, "ok", 200)
    assert render_transcript(emulator.state) == EXPECTED
    assert emulator.transcript() == EXPECTED
    assert [p.response_type for p in emulator.state.response_posts] == ["in_channel", "ephemeral"]
    assert [m.text for m in emulator.state.messages_in(channel)][-1] == "Status posted for everyone"


async def test_response_url_can_be_used_five_times(emulator: SlackEmulator) -> None:
    url = emulator.response_url("commands", channel_id="C0GENERAL", user_id="U0ALICE")
    webhook = AsyncWebhookClient(url)

    statuses = [(await webhook.send(text=f"reply {n}")).status_code for n in range(6)]

    assert statuses == [200, 200, 200, 200, 200, 404]
    assert len(emulator.state.response_posts) == 5
