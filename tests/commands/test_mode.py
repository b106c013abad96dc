"""`/incident mode`: only human_only approvers may lower the mode; status shows it."""

from __future__ import annotations

from bot.autonomy import load_freeze, mode_overrides
from bot.domain.events import EventKind
from policies.autonomy import effective_mode
from policies.policy_schema import AutonomyMode
from tests.approvals.factories import ALICE, BOB, CAROL, open_incident
from tests.commands.slash import GENERAL, slash
from tests.policies.factories import policy_with
from tests.support.harness import Harness


async def _overrides(harness: Harness) -> dict[str, AutonomyMode]:
    async with harness.sessions() as session:
        return await mode_overrides(session)


async def test_only_human_only_approvers_may_change_the_mode(harness: Harness) -> None:
    refused = await slash(harness, GENERAL, "mode shadow", CAROL)

    assert refused["response_type"] == "ephemeral"
    assert "only the approvers of human_only actions (<!subteam^S0ONCALL>)" in refused["text"]
    assert "may change the autonomy mode" in refused["text"]
    assert await _overrides(harness) == {}
    assert not [e for e in await harness.events() if e.kind == EventKind.AUTONOMY_MODE_SET]


async def test_a_mode_set_from_slack_caps_every_decision_and_shows_in_status(
    harness: Harness,
) -> None:
    opened = await open_incident(harness)

    reply = await slash(harness, GENERAL, "mode shadow", ALICE)

    assert reply["response_type"] == "in_channel"
    assert "set the autonomy mode of all services to `shadow`" in reply["text"]
    assert await _overrides(harness) == {"*": AutonomyMode.SHADOW}
    async with harness.sessions() as session:
        state = await load_freeze(session, harness.app.runtime.clock())
    limited = policy_with(mode="limited")
    assert effective_mode(limited, state, "checkout", "production") is AutonomyMode.SHADOW
    [logged] = [e for e in await harness.events() if e.kind == EventKind.AUTONOMY_MODE_SET]
    assert logged.actor == f"slack:{ALICE}"
    assert logged.data["scope"] == "*" and logged.data["mode"] == "shadow"
    assert logged.data["file_mode"] == "assist"
    status = await slash(harness, opened.channel_id or "", "status", BOB)
    assert "*Autonomy mode:* `shadow` (lowered from Slack)" in status["text"]

    reset = await slash(harness, GENERAL, "mode reset", BOB)
    assert "dropped the mode set from Slack for all services" in reset["text"]
    assert await _overrides(harness) == {}


async def test_a_mode_above_the_file_says_the_file_still_limits_it(harness: Harness) -> None:
    reply = await slash(harness, GENERAL, "mode limited service:checkout", BOB)

    assert "set the autonomy mode of `checkout` to `limited`" in reply["text"]
    assert "`assist` stays in force until the file allows more" in reply["text"]
    assert await _overrides(harness) == {"checkout": AutonomyMode.LIMITED}


async def test_mode_input_mistakes_get_the_usage(harness: Harness) -> None:
    unknown = await slash(harness, GENERAL, "mode turbo", ALICE)
    missing = await slash(harness, GENERAL, "mode", ALICE)
    nowhere = await slash(harness, GENERAL, "mode assist here", ALICE)

    assert "`turbo` is not a mode. Pick one of `shadow`, `assist`" in unknown["text"]
    assert missing["text"].startswith("Usage: `/incident mode")
    assert "`here` means this incident's service" in nowhere["text"]
    assert await _overrides(harness) == {}
