"""The rendered handoff goes through chat.postMessage of the Slack emulator, over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.handoff import HandoffDocument, notification_text, render_blocks
from integrations.slack.emulator import SlackEmulator
from tests.handoff.test_render import oversized_doc, recorded_doc
from tests.support.harness import BOT_TOKEN


@pytest.mark.parametrize("make", [recorded_doc, oversized_doc], ids=["recorded", "oversized"])
async def test_slack_accepts_the_handoff(
    emulator: SlackEmulator, make: Callable[[], HandoffDocument]
) -> None:
    doc = make()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    channel = emulator.add_channel("inc-42-checkout").id
    blocks = render_blocks(doc)

    posted = await client.chat_postMessage(
        channel=channel, text=notification_text(doc), blocks=blocks
    )

    message = emulator.state.find_message(channel, posted["ts"])
    assert message is not None
    assert message.blocks == blocks


async def test_the_emulator_would_refuse_a_section_over_the_limit(
    emulator: SlackEmulator,
) -> None:
    # Shows the check above can fail: the same path refuses what Slack refuses.
    client = AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url)
    channel = emulator.add_channel("inc-43").id
    blocks = render_blocks(recorded_doc())
    blocks[1]["text"]["text"] = "x" * 3001
    with pytest.raises(SlackApiError) as refused:
        await client.chat_postMessage(channel=channel, text="handoff", blocks=blocks)
    assert refused.value.response["error"] == "invalid_blocks"
