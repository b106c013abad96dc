"""declare, handoff, status, ack/resolve with the pager and what a resolve queues, help."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.domain.events import EventKind
from bot.incidents import service as incidents
from bot.store.models import IncidentRow, OutboxRow
from integrations.pagerduty.fake import FakePager
from policies.policy import PolicyProblem, fallback_policy
from tests.approvals.factories import ALICE, BOB, add_action, open_incident
from tests.commands.slash import GENERAL, slash
from tests.support.harness import Harness, wait_until


async def _jobs(harness: Harness, kind: str) -> list[OutboxRow]:
    async with harness.sessions() as session:
        return list((await session.exec(select(OutboxRow).where(OutboxRow.kind == kind))).all())


async def test_declare_opens_an_incident_with_its_channel_and_triage(harness: Harness) -> None:
    reply = await slash(
        harness, GENERAL, "declare service:payments sev:critical Card payments failing", BOB
    )

    assert reply["response_type"] == "in_channel"
    assert "declared incident #1: *Card payments failing*" in reply["text"]
    [declared] = await harness.incidents()
    assert declared.source == "manual" and declared.service == "payments"
    assert declared.severity == "critical" and declared.status == "triggered"
    opened = [e for e in await harness.events(declared.id) if e.kind == EventKind.INCIDENT_OPENED]
    assert [e.actor for e in opened] == [f"slack:{BOB}"]
    assert opened[0].data["title"] == "Card payments failing"
    await harness.drain()
    [channel] = harness.incident_channels()
    assert "payments" in channel.name
    [fresh] = await harness.incidents()
    assert fresh.channel_id == channel.id and fresh.triage_id is not None
    assert harness.triage_cards(channel.id)


async def test_declare_input_mistakes_get_the_usage(harness: Harness) -> None:
    untitled = await slash(harness, GENERAL, "declare service:payments", BOB)
    bad_level = await slash(harness, GENERAL, "declare sev:apocalyptic Everything is down", BOB)

    assert "Give the incident a title." in untitled["text"]
    assert "`apocalyptic` is not a severity" in bad_level["text"]
    assert untitled["response_type"] == bad_level["response_type"] == "ephemeral"
    assert await harness.incidents() == []


async def test_handoff_queues_a_post_naming_the_new_owner(harness: Harness) -> None:
    opened = await open_incident(harness)
    channel = opened.channel_id or ""

    named = await slash(harness, channel, "handoff <@U0BOB|bob>", ALICE)
    plain = await slash(harness, channel, "handoff", ALICE)
    unclear = await slash(harness, channel, "handoff @bob", ALICE)

    posts = await _jobs(harness, "handoff.post")
    assert [job.payload for job in posts] == [
        {"owner": BOB, "actor": f"slack:{ALICE}", "why": f"requested by <@{ALICE}>"},
        {"owner": None, "actor": f"slack:{ALICE}", "why": f"requested by <@{ALICE}>"},
    ]
    # In the incident's lane, so the post follows whatever the channel is still owed.
    assert {job.incident_id for job in posts} == {opened.id}
    assert named["response_type"] == "in_channel" and "handoff of incident" in named["text"]
    assert "to <@U0BOB>" in named["text"] and "to <@" not in plain["text"]
    assert "I cannot tell who `@bob` is" in unclear["text"]


async def test_status_says_loudly_when_the_policy_file_is_invalid(harness: Harness) -> None:
    problem = PolicyProblem("/etc/smokejumper/policy.yml", "approvers: field required", 12)
    rt = harness.app.runtime
    rt.policy, rt.policy_problem = fallback_policy(problem.message), problem
    opened = await open_incident(harness)

    for channel in (GENERAL, opened.channel_id or ""):
        text = (await slash(harness, channel, "status", BOB))["text"]
        assert text.startswith("🚨 *POLICY FILE INVALID — the safe fallback is in force:*")
        assert "/etc/smokejumper/policy.yml, line 12: approvers: field required" in text
        assert "Fix the YAML at line 12" in text
        assert f"`{rt.policy.version}`" in text and "built-in fallback" in text


async def test_status_in_an_incident_channel_shows_what_waits(harness: Harness) -> None:
    opened = await open_incident(harness)
    await add_action(harness, opened, action="run_webhook", params={"webhook": "flush"})

    text = (await slash(harness, opened.channel_id or "", "status", BOB))["text"]

    assert "🚨" not in text
    assert f"*#{opened.id} " in text and "triggered" in text and "checkout (production)" in text
    assert "*Autonomy mode:* `assist` (policy file)" in text
    assert f"*Policy:* `{harness.app.runtime.policy.version}`" in text
    assert "`run_webhook` → `production/checkout` — 0 of 2 approval(s)" in text


async def _paged(harness: Harness, incident: IncidentRow) -> None:
    assert incident.id is not None
    async with harness.sessions() as session, session.begin():
        await incidents.set_fields(session, incident.id, pager_dedup_key="smokejumper-x")


async def test_ack_and_resolve_keep_the_page_in_step(harness: Harness) -> None:
    harness.app.runtime.adapters.pager = FakePager()
    opened = await open_incident(harness)
    await _paged(harness, opened)
    channel = opened.channel_id or ""

    await slash(harness, channel, "ack", ALICE)
    await slash(harness, channel, "resolve", BOB)

    [ack] = await _jobs(harness, "pager.acknowledge")
    [resolve] = await _jobs(harness, "pager.resolve")
    for job in (ack, resolve):
        assert job.payload == {"incident_id": opened.id}
        assert (job.incident_id, job.lane) == (opened.id, "pager")
    # The resolve also queues its handoff and the ticket's resolution, in that order.
    [handoff] = await _jobs(harness, "handoff.post")
    [ticket] = await _jobs(harness, "ticket.resolve")
    assert handoff.payload == {"owner": None, "actor": f"slack:{BOB}", "why": "resolved"}
    assert handoff.incident_id == ticket.incident_id == opened.id and handoff.id < ticket.id


async def test_an_incident_that_never_paged_leaves_the_pager_alone(harness: Harness) -> None:
    harness.app.runtime.adapters.pager = FakePager()
    opened = await open_incident(harness)

    reply = await slash(harness, opened.channel_id or "", "resolve", ALICE)

    assert "set incident" in reply["text"] and "*resolved*" in reply["text"]
    assert await _jobs(harness, "pager.resolve") == []


async def test_help_lists_the_autonomy_commands(harness: Harness) -> None:
    text = (await slash(harness, GENERAL, "help", BOB))["text"]

    for word in ("`freeze", "`unfreeze", "`mode", "`declare", "`handoff", "`status`"):
        assert word in text


async def test_app_home_shows_policy_autonomy_and_a_banner_when_invalid(
    harness: Harness,
) -> None:
    await open_incident(harness)
    await slash(harness, GENERAL, "freeze service:checkout for 1h db failover", ALICE)
    await slash(harness, GENERAL, "mode shadow service:payments", ALICE)

    await harness.driver.app_home_opened(BOB)
    await _home_published(harness, BOB)
    home = json.dumps(harness.emulator.state.home_views[BOB])
    assert "POLICY FILE INVALID" not in home
    assert "`checkout` frozen until" in home and "db failover" in home
    assert "`payments`: shadow" in home and "assist` by default" in home
    assert harness.app.runtime.policy.version in home
    assert "Open incidents:* 1" in home and "frozen" in home

    rt = harness.app.runtime
    rt.policy_problem = PolicyProblem("policy.yml", "invalid YAML at column 3: bad indent", 7)
    rt.policy = fallback_policy(rt.policy_problem.message)
    del harness.emulator.state.home_views[BOB]
    await harness.driver.app_home_opened(BOB)
    await _home_published(harness, BOB)
    banner = json.dumps(harness.emulator.state.home_views[BOB]["blocks"][1])
    assert "POLICY FILE INVALID" in banner and "policy.yml, line 7" in banner


async def _home_published(harness: Harness, user: str) -> None:
    await wait_until(lambda: user in harness.emulator.state.home_views, timeout=10)
