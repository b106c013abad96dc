"""User-group membership asked of the emulated Slack, cached briefly, failing closed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr

from bot.approvals.directory import MEMBERS_TTL, GroupDirectory
from bot.approvals.permissions import admit
from integrations.slack.adapter import SlackWorkspace
from integrations.slack.client import build_web_client
from integrations.slack.config import SlackConfig
from integrations.slack.emulator import SlackEmulator
from policies.policy_schema import ApproverSet
from tests.support.harness import BOT_TOKEN


class SteppedClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _directory(emulator: SlackEmulator, clock: SteppedClock) -> GroupDirectory:
    config = SlackConfig(bot_token=SecretStr(BOT_TOKEN), api_url=emulator.api_url)
    return GroupDirectory(SlackWorkspace(build_web_client(config), config), clock)


def _lookups(emulator: SlackEmulator) -> int:
    return len(emulator.state.calls_to("usergroups.users.list"))


async def test_members_are_cached_until_the_ttl_runs_out(emulator: SlackEmulator) -> None:
    clock = SteppedClock()
    directory = _directory(emulator, clock)

    first = await directory.groups_of("U0ALICE", ["S0ONCALL"])
    second = await directory.groups_of("U0BOB", ["S0ONCALL"])
    assert first.groups == second.groups == frozenset({"S0ONCALL"})
    assert _lookups(emulator) == 1

    emulator.state.usergroups["S0ONCALL"].users = ["U0BOB"]
    clock.now += MEMBERS_TTL - timedelta(seconds=1)
    assert (await directory.groups_of("U0ALICE", ["S0ONCALL"])).groups == {"S0ONCALL"}
    clock.now += timedelta(seconds=2)
    assert (await directory.groups_of("U0ALICE", ["S0ONCALL"])).groups == frozenset()
    assert _lookups(emulator) == 2


async def test_simultaneous_lookups_of_one_group_ask_slack_once(emulator: SlackEmulator) -> None:
    directory = _directory(emulator, SteppedClock())

    answers = await asyncio.gather(
        *(directory.groups_of(user, ["S0ONCALL"]) for user in ("U0ALICE", "U0BOB", "U0CAROL"))
    )

    assert [a.groups for a in answers] == [{"S0ONCALL"}, {"S0ONCALL"}, frozenset()]
    assert _lookups(emulator) == 1


async def test_a_group_slack_cannot_list_admits_nobody_and_is_asked_again(
    emulator: SlackEmulator,
) -> None:
    directory = _directory(emulator, SteppedClock())
    approvers = ApproverSet(groups=["S0GONE"])

    first = await admit(directory, approvers, "U0ALICE")
    second = await admit(directory, approvers, "U0ALICE")

    assert not first.admitted and first.unreadable == {"S0GONE"}
    assert "<!subteam^S0GONE>" in first.note()
    assert not second.admitted
    assert _lookups(emulator) == 2


async def test_a_user_named_directly_needs_no_lookup(emulator: SlackEmulator) -> None:
    directory = _directory(emulator, SteppedClock())

    admission = await admit(
        directory, ApproverSet(users=["U0CAROL"], groups=["S0ONCALL"]), "U0CAROL"
    )

    assert admission.admitted and admission.note() == ""
    assert _lookups(emulator) == 0
