"""An alert in, a triage card out: context from the store, runbook triage, events, card."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.domain.events import EventKind
from bot.outbox.service import Job
from bot.store.models import IncidentRow, TriageRow
from bot.triage import flows as triage_flows
from bot.triage.assemble import assemble_context
from bot.triage.models import CheckedTriage, TriageSource
from tests.support.harness import Harness, generic_alert, post_signed


async def triage_rows(harness: Harness) -> list[TriageRow]:
    async with harness.sessions() as session:
        return list((await session.exec(select(TriageRow))).all())


async def test_alert_gets_a_placeholder_then_the_runbook_triage_in_place(harness: Harness) -> None:
    reply = await post_signed(
        harness,
        "/alerts/generic",
        generic_alert(labels={"alertname": "KubePodCrashLooping", "pod": "checkout-7d9"}),
    )
    assert reply.status == 202
    await harness.drain()

    [channel] = harness.incident_channels()
    [triage_card] = harness.triage_cards(channel.id)
    # Posted once as a placeholder, then edited in place with the report.
    posts = [
        c
        for c in harness.emulator.state.calls_to("chat.postMessage")
        if "triage-card-" in json.dumps(c.params.get("blocks", ""))
    ]
    assert len(posts) == 1 and "in progress" in json.dumps(posts[0].params["blocks"])
    assert triage_card.edits >= 1
    card = json.dumps(triage_card.blocks)
    assert "crash_looping_service" in card
    assert "restart_deployment" in card and "collect_diagnostics" in card
    assert "Hypothesis" in card and "runbooks" in card

    [incident] = await harness.incidents()
    assert incident.triage_card_ts == triage_card.ts
    [row] = await triage_rows(harness)
    assert incident.triage_id == row.id
    checked = CheckedTriage.model_validate(row.checked)
    assert checked.source is TriageSource.RUNBOOK
    assert checked.report.incident_class == "crash_looping_service"

    events = await harness.events(incident.id)
    kinds = [e.kind for e in events]
    assert EventKind.TRIAGE_COMPLETED in kinds and EventKind.TRIAGE_CHECKED in kinds
    assert EventKind.TRIAGE_MODEL_FAILED not in kinds  # no model configured: not a failure
    completed = next(e for e in events if e.kind == EventKind.TRIAGE_COMPLETED)
    opened = next(e for e in events if e.kind == EventKind.INCIDENT_OPENED)
    assert completed.correlation_id == opened.correlation_id
    assert completed.data["incident_class"] == "crash_looping_service"
    assert completed.data["answer_sha256"] == checked.answer_sha256
    assert 0 < completed.data["context_tokens"] <= 2000


async def test_a_recent_deploy_reaches_the_triage_as_evidence(harness: Harness) -> None:
    now = datetime.now(UTC)
    change = {
        "timestamp": now.isoformat(),
        "changes": [
            {
                "id": "rev-481",
                "source": "argocd",
                "service": "checkout",
                "kind": "deploy",
                "subject": "v2.14.0",
                "description": "checkout v2.13.2 -> v2.14.0",
                "url": "https://argocd.example.com/app/checkout/481",
                "at": (now - timedelta(minutes=10)).isoformat(),
            }
        ],
    }
    assert (await post_signed(harness, "/changes", change)).status == 202
    alert = generic_alert(
        dedup_key="checkout-5xx",
        summary="checkout 5xx rate above 5% since the deploy",
        labels={"alertname": "HighErrorRate"},
        starts_at=(now - timedelta(minutes=2)).isoformat(),
    )
    assert (await post_signed(harness, "/alerts/generic", alert)).status == 202
    await harness.drain()

    [row] = await triage_rows(harness)
    report = CheckedTriage.model_validate(row.checked).report
    assert report.incident_class == "bad_deploy"
    assert "https://argocd.example.com/app/checkout/481" in [e.pointer for e in report.evidence]
    assert [a.action for a in report.proposed_actions][:1] == ["rollback_deployment"]


async def test_context_holds_similar_past_incidents_with_their_ending(harness: Harness) -> None:
    assert (await post_signed(harness, "/alerts/generic", generic_alert())).status == 202
    await harness.drain()
    [first] = await harness.incidents()
    async with harness.sessions() as session, session.begin():
        row = await session.get(IncidentRow, first.id)
        assert row is not None
        row.status, row.open_group_key = "resolved", None
        row.resolved_at = datetime.now(UTC)

    second = generic_alert(dedup_key="checkout-crashloop-2")
    assert (await post_signed(harness, "/alerts/generic", second)).status == 202
    incidents = await harness.incidents()
    assert len(incidents) == 2
    async with harness.sessions() as session:
        context = await assemble_context(
            session,
            incidents[1],
            runbooks=harness.app.runtime.runbooks,
            runbooks_version=harness.app.runtime.runbooks_version,
            now=datetime.now(UTC),
        )
    [past] = context.past_incidents
    assert past.pointer == f"incident:{first.correlation_id}"
    assert "resolved" in past.resolution and "crash_looping_service" in past.resolution
    assert [s.fingerprint for s in context.signals] == ["checkout-crashloop-2"]


async def test_running_the_triage_job_twice_triages_once(harness: Harness) -> None:
    assert (await post_signed(harness, "/alerts/generic", generic_alert())).status == 202
    await harness.drain()
    [incident] = await harness.incidents()
    assert incident.id is not None
    job = Job(
        id=0, kind="triage.run", incident_id=incident.id, payload={}, correlation_id="x", attempts=0
    )
    await triage_flows.run_triage_job(harness.app.runtime, job)
    await harness.drain()
    assert len(await triage_rows(harness)) == 1
    completed = [
        e for e in await harness.events(incident.id) if e.kind == EventKind.TRIAGE_COMPLETED
    ]
    assert len(completed) == 1
