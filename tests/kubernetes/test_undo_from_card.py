"""A restart approved and then undone from the triage card, against a Kubernetes API server."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator

import pytest
from kmock import KubernetesEmulator
from sqlmodel import col, select

from bot.actions.registry import Adapters
from bot.domain.clock import VirtualTime
from bot.incidents import service as incidents_service
from bot.store.models import ActionRow, IncidentRow
from bot.triage.assemble import assemble_context
from bot.triage.card import APPROVE_ACTION_ID, UNDO_ACTION_ID
from bot.triage.context import render_untrusted
from integrations.kubernetes.adapter import KubernetesRemediator
from integrations.kubernetes.client import KubernetesClient, build_api_client
from integrations.slack.emulator import SlackEmulator
from tests.commands.slash import slash
from tests.kubernetes.conftest import (
    PODS,
    config_for,
    controller_step,
    make_deployment,
    make_replica_set,
    seed_deployment,
    seed_replica_sets,
    stored_deployment,
)
from tests.kubernetes.test_diagnostics import crashed_pod, served_log
from tests.support.database import DatabaseTarget
from tests.support.harness import (
    Harness,
    generic_alert,
    post_signed,
    start_harness,
    stop_harness,
    wait_until,
)

IMAGE = "registry.local/payments:1.{}"
CRASH = {
    "alertname": "KubePodCrashLooping",
    "namespace": "prod",
    "pod": "payments-5d8f7c9b6d-x2x9z",
    "container": "api",
}


@pytest.fixture
async def rig(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    cluster: KubernetesEmulator,
    virtual_time: VirtualTime,
) -> AsyncIterator[Harness]:
    config = config_for(cluster)
    client = KubernetesClient(
        await build_api_client(config), timeout_seconds=config.request_timeout_seconds
    )
    remediator = KubernetesRemediator(client, config, clock=virtual_time.now)
    h = await start_harness(
        database,
        emulator,
        time=virtual_time,
        adapters=Adapters(remediators=[remediator]),
        action_retry_base_seconds=0,
        verify_poll_seconds=30,
    )
    yield h
    await stop_harness(h)
    await remediator.close()


async def click(
    harness: Harness, incident: IncidentRow, action_id: str, value: str, user: str
) -> str:
    assert incident.channel_id and incident.triage_card_ts
    state = harness.emulator.state
    before = len(state.response_posts)
    reply = await harness.driver.click_button(
        user_id=user,
        channel_id=incident.channel_id,
        message_ts=incident.triage_card_ts,
        action_id=action_id,
        value=value,
    )
    assert reply.status == 200
    await wait_until(lambda: len(state.response_posts) > before)
    return str(state.response_posts[before].payload.get("text", ""))


async def rows(harness: Harness) -> list[ActionRow]:
    async with harness.sessions() as session:
        return list((await session.exec(select(ActionRow).order_by(col(ActionRow.id)))).all())


async def test_a_restart_is_undone_from_the_card_and_the_revision_goes_back(
    rig: Harness, cluster: KubernetesEmulator
) -> None:
    harness = rig
    seed_deployment(cluster, make_deployment(revision=3))
    seed_replica_sets(cluster, *(make_replica_set(r, IMAGE.format(r)) for r in (2, 3)))
    template_before = copy.deepcopy(stored_deployment(cluster)["spec"]["template"])
    alert = generic_alert(
        service="payments",
        environment="prod",
        summary="Pod payments-5d8f7c9b6d-x2x9z is crash looping",
        labels=CRASH,
    )
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()
    [incident] = await harness.incidents()
    everything = await rows(harness)
    [restart] = [r for r in everything if r.action == "restart_deployment"]
    assert restart.target == "prod/payments" and restart.state == "awaiting_approval"

    for user in ("U0ALICE", "U0BOB")[: restart.approvals_needed]:
        await click(
            harness, incident, APPROVE_ACTION_ID, f"{restart.id}:{restart.params_hash}", user
        )
    await harness.drain_due()
    assert controller_step(cluster) == "payments-r4"  # the restart rolled a new ReplicaSet
    [restart] = [r for r in await rows(harness) if r.id == restart.id]
    assert restart.state == "succeeded"
    [channel] = harness.incident_channels()
    [card] = harness.triage_cards(channel.id)
    assert UNDO_ACTION_ID in json.dumps(card.blocks)

    answer = await click(harness, incident, UNDO_ACTION_ID, str(restart.id), "U0ALICE")
    assert "dry run" in answer
    await harness.drain_due()
    [undo] = [r for r in await rows(harness) if r.undo_of == restart.id]
    assert undo.state == "awaiting_approval" and undo.decision == restart.decision
    assert undo.plan and f"#{restart.id}" in undo.plan and "rollback" in undo.plan
    [card] = harness.triage_cards(channel.id)
    shown = json.dumps(card.blocks)
    assert f"undo of #{restart.id}" in shown and f"{undo.id}:{undo.params_hash}" in shown
    assert stored_deployment(cluster)["spec"]["template"] != template_before  # nothing ran yet

    # Whoever asked for the undo may not approve it alone.
    refused = await click(
        harness, incident, APPROVE_ACTION_ID, f"{undo.id}:{undo.params_hash}", "U0ALICE"
    )
    assert "Not approved" in refused
    await click(harness, incident, APPROVE_ACTION_ID, f"{undo.id}:{undo.params_hash}", "U0BOB")
    await harness.drain()

    assert stored_deployment(cluster)["spec"]["template"] == template_before
    assert controller_step(cluster) == "payments-h3abc"  # the revision before the restart
    [undo] = [r for r in await rows(harness) if r.id == undo.id]
    assert undo.state == "verified", undo
    assert undo.result["details"]["to_revision"] == "3"
    kinds = [e.kind for e in await harness.events(incident.id)]
    assert "action.requested" in kinds and kinds.count("action.verified") >= 1
    texts = " ".join(m.text for m in harness.emulator.state.messages_in(channel.id))
    assert f"Undo of action #{restart.id}" in texts
    # An undo is not offered twice.
    [card] = harness.triage_cards(channel.id)
    assert f'"value": "{restart.id}"' not in json.dumps(card.blocks)


async def test_diagnostics_are_posted_in_the_triage_thread_and_kept(
    rig: Harness, cluster: KubernetesEmulator
) -> None:
    harness = rig
    seed_deployment(cluster, make_deployment(revision=3))
    seed_replica_sets(cluster, make_replica_set(3, IMAGE.format(3)))
    cluster.objects[PODS, "prod", "payments-h3abc-zz"] = crashed_pod("payments-h3abc-zz", 7)
    log = "".join(f"step {i}\n" for i in range(500)) + "panic: nil map <@U0EVIL> ```\n"
    cluster[lambda r: r.url.path.endswith("/log")] << served_log(log)
    alert = generic_alert(
        service="payments",
        environment="prod",
        summary="Pod payments-5d8f7c9b6d-x2x9z is crash looping",
        labels=CRASH,
    )
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain_due()
    [incident] = await harness.incidents()
    [diagnostics] = [r for r in await rows(harness) if r.action == "collect_diagnostics"]
    value = f"{diagnostics.id}:{diagnostics.params_hash}"
    for user in ("U0ALICE", "U0BOB")[: diagnostics.approvals_needed]:
        await click(harness, incident, APPROVE_ACTION_ID, value, user)
    await harness.drain_due()

    assert incident.channel_id and incident.triage_card_ts
    [reply] = [
        m
        for m in harness.emulator.state.messages_in(incident.channel_id)
        if m.thread_ts == incident.triage_card_ts and m.ts != incident.triage_card_ts
    ]
    shown = json.dumps(reply.blocks)
    assert len(reply.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in reply.blocks if b["type"] == "section")
    assert "7 restarts, last terminated OOMKilled (exit 137)" in shown
    assert "payments-h3abc-zz/api" in shown and "panic: nil map" in shown
    assert "<@U0EVIL>" not in shown  # log text is data, never a mention
    [posted] = [e for e in await harness.events(incident.id) if e.kind == "diagnostics.posted"]
    assert posted.summary == (
        "Diagnostics of prod/payments: 7 container restarts, last OOMKilled, exit code 137;"
        " 1 previous log(s) kept"
    )
    # A triage from now on is given them, as delimited data.
    async with harness.sessions() as session:
        fresh = await incidents_service.get(session, incident.id)
        assert fresh is not None
        context = await assemble_context(
            session, fresh, runbooks=[], runbooks_version="", now=harness.app.runtime.clock()
        )
    rendered = render_untrusted(context, 4000)
    assert "## diagnostics" in rendered and f'"action:{diagnostics.id}"' in rendered
    assert "panic: nil map" in rendered and "7 container restarts" in rendered
    # The handoff carries it.
    await slash(harness, incident.channel_id, "handoff")
    await harness.drain_due()
    [handoff] = harness.messages_marked(incident.channel_id, "handoff-")
    assert "Diagnostics of prod/payments: 7 container restarts" in json.dumps(handoff.blocks)
