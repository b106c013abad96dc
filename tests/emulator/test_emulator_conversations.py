"""conversations.* against the real AsyncWebClient."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from integrations.slack.emulator import SlackEmulator


async def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as info:
        await call  # type: ignore[misc]
    return str(info.value.response["error"])


async def test_create_returns_channel_and_bot_is_member(
    client: AsyncWebClient, emulator: SlackEmulator
) -> None:
    response = await client.conversations_create(name="inc-42-db-down")

    channel = response["channel"]
    assert channel["id"].startswith("C")
    assert channel["name"] == "inc-42-db-down"
    assert channel["creator"] == "U0BOT"
    assert channel["is_private"] is False and channel["is_archived"] is False
    assert set(channel["topic"]) == {"value", "creator", "last_set"}
    stored = emulator.state.channel_by_name("inc-42-db-down")
    assert stored is not None and stored.members == ["U0BOT"]


async def test_private_channel(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    response = await client.conversations_create(name="inc-secret", is_private=True)

    assert response["channel"]["is_private"] is True
    stored = emulator.state.channels[response["channel"]["id"]]
    assert stored.is_private


async def test_name_taken_includes_archived_channels(client: AsyncWebClient) -> None:
    first = await client.conversations_create(name="inc-1")
    assert await error_of(client.conversations_create(name="inc-1")) == "name_taken"

    await client.conversations_archive(channel=first["channel"]["id"])

    assert await error_of(client.conversations_create(name="inc-1")) == "name_taken"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Inc-Upper", "invalid_name_specials"),
        ("inc 1", "invalid_name_specials"),
        ("inc.1", "invalid_name_specials"),
        ("---", "invalid_name_punctuation"),
    ],
)
async def test_invalid_names(
    client: AsyncWebClient, emulator: SlackEmulator, name: str, error: str
) -> None:
    assert await error_of(client.conversations_create(name=name)) == error
    assert len(emulator.state.channels) == 1  # only #general


async def test_longest_valid_name(client: AsyncWebClient) -> None:
    response = await client.conversations_create(name="a_" * 40)
    assert len(response["channel"]["name"]) == 80


async def test_invite_and_its_errors(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    channel_id = (await client.conversations_create(name="inc-7"))["channel"]["id"]

    await client.conversations_invite(channel=channel_id, users=["U0ALICE", "U0BOB"])

    assert emulator.state.channels[channel_id].members == ["U0BOT", "U0ALICE", "U0BOB"]
    assert await error_of(client.conversations_invite(channel=channel_id, users="U0ALICE")) == (
        "already_in_channel"
    )
    assert await error_of(client.conversations_invite(channel=channel_id, users="U0BOT")) == (
        "cant_invite_self"
    )
    assert await error_of(client.conversations_invite(channel=channel_id, users="U0NOPE")) == (
        "user_not_found"
    )
    assert await error_of(client.conversations_invite(channel="C999", users="U0CAROL")) == (
        "channel_not_found"
    )
    # A failed invite leaves membership untouched.
    assert "U0CAROL" not in emulator.state.channels[channel_id].members


async def test_invite_needs_membership_and_live_channel(
    client: AsyncWebClient, emulator: SlackEmulator
) -> None:
    assert await error_of(client.conversations_invite(channel="C0GENERAL", users="U0CAROL")) == (
        "not_in_channel"
    )
    channel_id = (await client.conversations_create(name="inc-8"))["channel"]["id"]
    await client.conversations_archive(channel=channel_id)
    assert await error_of(client.conversations_invite(channel=channel_id, users="U0CAROL")) == (
        "is_archived"
    )


async def test_set_topic_and_purpose(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    channel_id = (await client.conversations_create(name="inc-9"))["channel"]["id"]

    await client.conversations_setTopic(channel=channel_id, topic="SEV1: checkout down")
    await client.conversations_setPurpose(channel=channel_id, purpose="Coordinate the fix")

    stored = emulator.state.channels[channel_id]
    assert (stored.topic, stored.purpose) == ("SEV1: checkout down", "Coordinate the fix")
    info = await client.conversations_info(channel=channel_id)
    assert info["channel"]["topic"]["value"] == "SEV1: checkout down"
    too_long = client.conversations_setTopic(channel=channel_id, topic="x" * 251)
    assert await error_of(too_long) == "too_long"
    assert stored.topic == "SEV1: checkout down"


async def test_list_paginates_with_cursor(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    for number in range(5):
        await client.conversations_create(name=f"inc-{number}")
    archived = await client.conversations_create(name="inc-old")
    await client.conversations_archive(channel=archived["channel"]["id"])

    first = await client.conversations_list(limit=2, exclude_archived=True)
    assert len(first["channels"]) == 2 and first["response_metadata"]["next_cursor"]
    names: list[str] = []
    pages = 0
    async for page in first:
        pages += 1
        names.extend(c["name"] for c in page["channels"])

    assert pages == 3
    assert names == ["general", "inc-0", "inc-1", "inc-2", "inc-3", "inc-4"]
    everything = await client.conversations_list(limit=100)
    assert "inc-old" in [c["name"] for c in everything["channels"]]
    assert everything["response_metadata"]["next_cursor"] == ""
    bad = client.conversations_list(cursor="not-a-cursor")
    assert await error_of(bad) == "invalid_cursor"


async def test_list_hides_private_channels_the_bot_is_not_in(
    client: AsyncWebClient, emulator: SlackEmulator
) -> None:
    emulator.add_channel("secret", members=["U0ALICE"], is_private=True, bot_is_member=False)
    emulator.add_channel("visible", members=["U0ALICE"], is_private=True)

    response = await client.conversations_list(types="public_channel,private_channel")

    assert [c["name"] for c in response["channels"]] == ["general", "visible"]


async def test_join_members_history(client: AsyncWebClient, emulator: SlackEmulator) -> None:
    assert await error_of(client.conversations_history(channel="C0GENERAL")) == "not_in_channel"

    await client.conversations_join(channel="C0GENERAL")
    first = await client.chat_postMessage(channel="C0GENERAL", text="one")
    second = await client.chat_postMessage(channel="C0GENERAL", text="two")

    history = await client.conversations_history(channel="C0GENERAL")
    assert [m["ts"] for m in history["messages"]] == [second["ts"], first["ts"]]
    members = await client.conversations_members(channel="C0GENERAL")
    assert members["members"] == ["U0ALICE", "U0BOB", "U0CAROL", "U0BOT"]
    assert await error_of(client.conversations_archive(channel="C0GENERAL")) == (
        "cant_archive_general"
    )
