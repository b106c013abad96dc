"""A signed slash command or click sent again within the signature window is dropped."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.domain.clock import VirtualTime
from bot.store.models import SlackRequestReceipt
from tests.commands.slash import GENERAL
from tests.support.harness import Harness

FORM = "application/x-www-form-urlencoded"


def declare_body(harness: Harness, trigger: str) -> str:
    """A `/incident declare` exactly as Slack sends it; `trigger` makes it unique."""
    return urlencode(
        {
            "token": "verification-token",
            "team_id": harness.emulator.state.team_id,
            "channel_id": GENERAL,
            "user_id": "U0BOB",
            "user_name": "bob",
            "command": "/incident",
            "text": "declare service:payments Card payments failing",
            "response_url": harness.emulator.response_url(
                "commands", channel_id=GENERAL, user_id="U0BOB"
            ),
            "trigger_id": trigger,
        }
    )


async def receipts(harness: Harness) -> int:
    async with harness.sessions() as session:
        result = await session.exec(select(func.count()).select_from(SlackRequestReceipt))
        return int(result.one())


@pytest.mark.both_databases
async def test_a_replayed_declare_opens_one_incident(harness: Harness) -> None:
    body = declare_body(harness, "trigger-1")
    timestamp = int(harness.time.now().timestamp())

    answers = [
        await harness.driver.post_signed(body, content_type=FORM, timestamp=timestamp)
        for _ in range(4)
    ]

    # Every copy is acked (Slack must not retry), only the first is acted on.
    assert [a.status for a in answers] == [200, 200, 200, 200]
    await harness.settle()
    assert len(await harness.incidents()) == 1
    assert await receipts(harness) == 1


async def test_the_same_command_sent_anew_is_not_a_replay(harness: Harness) -> None:
    timestamp = int(harness.time.now().timestamp())
    for trigger in ("trigger-1", "trigger-2"):
        reply = await harness.driver.post_signed(
            declare_body(harness, trigger), content_type=FORM, timestamp=timestamp
        )
        assert reply.status == 200

    assert len(await harness.incidents()) == 2


async def test_a_request_nothing_handled_leaves_no_receipt(harness: Harness) -> None:
    body = declare_body(harness, "trigger-1").replace("%2Fincident", "%2Fnot-ours")

    reply = await harness.driver.post_signed(body, content_type=FORM)

    assert reply.status == 404
    assert await receipts(harness) == 0
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


async def test_receipts_older_than_the_window_are_swept(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    await harness.driver.post_signed(declare_body(harness, "trigger-1"), content_type=FORM)
    virtual_time.advance(minutes=11)

    await harness.driver.post_signed(declare_body(harness, "trigger-2"), content_type=FORM)

    # The old receipt could only match a request too stale to pass verification.
    assert await receipts(harness) == 1
