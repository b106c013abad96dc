"""The handoff document from a recorded event log: sections, traceability, determinism."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import pytest

from bot.domain.events import EventKind as K
from bot.handoff import (
    ActionOutcome,
    Fact,
    HandoffDocument,
    LinkKind,
    build_handoff,
)
from bot.handoff.models import slack_user_id
from bot.store.models import EventRow
from tests.handoff.factories import (
    ALICE,
    BOB,
    CAROL,
    DAVE,
    GRAFANA,
    NOW,
    PROMETHEUS,
    RUNBOOK,
    TICKET,
    Log,
    incident_row,
    recorded_incident,
)

CHANNEL_URL = "https://example.slack.com/archives/C0INC42"


def _build(events: Sequence[EventRow] | None = None, **kwargs: Any) -> HandoffDocument:
    incident, recorded = recorded_incident()
    return build_handoff(
        incident,
        recorded if events is None else events,
        now=NOW,
        owner=kwargs.pop("owner", DAVE),
        channel_url=kwargs.pop("channel_url", CHANNEL_URL),
        **kwargs,
    )


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield str(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _said(event: EventRow) -> set[str]:
    """Every value an entry records: actor (and the user id in it), summary, data."""
    values = {event.actor, event.summary, *(_strings(event.data))}
    return values | {u for v in values if (u := slack_user_id(v))}


def _by_id() -> dict[int, EventRow]:
    _, events = recorded_incident()
    return {e.id: e for e in events if e.id is not None}


def test_every_section_is_present() -> None:
    doc = _build()

    assert doc.title.text == "HighErrorRate: checkout 5xx above 5%"
    assert doc.status.text == "acknowledged"
    assert doc.severity.text == "critical"
    assert doc.classification is not None and doc.classification.text == "high (bad_deploy)"
    assert "checkout in production" in doc.impact.text
    assert "2 alerts (HighErrorRate, HighLatencyP99), 2 still firing" in doc.impact.text
    assert "open since 2026-11-21 07:43 UTC (1h 17m)" in doc.impact.text
    assert doc.summary and doc.summary_origin.value == "template"
    assert len(doc.timeline) == 13 and doc.earlier_entries == 0
    assert [(a.action, a.outcome) for a in doc.actions] == [
        ("restart_deployment", ActionOutcome.FAILED),
        ("rollback_deployment", ActionOutcome.AWAITING_APPROVAL),
    ]
    assert doc.actions[0].approvers == (ALICE, CAROL)
    assert doc.actions[0].error_code == "rollout_timeout"
    assert doc.hypothesis is not None
    assert doc.hypothesis.text.startswith("The 5xx spike began four minutes after")
    assert doc.hypothesis.confidence == pytest.approx(0.72)
    assert [e.pointer for e in doc.hypothesis.evidence] == [
        "argocd:checkout/1207",
        "signal:d40fc7db",
    ]
    assert [q.text for q in doc.open_questions] == [
        "Whether the payment provider is degraded too",
        "Why did restart_deployment on production/checkout not help? "
        "Last outcome: failed (rollout_timeout).",
    ]
    assert doc.next_step.text == (
        "Escalate to payments-oncall and do not repeat restart_deployment on "
        "production/checkout; last outcome: failed (rollout_timeout)."
    )
    assert [(p.user_id, p.roles) for p in doc.people] == [
        (ALICE, ("changed status", "approved an action")),
        (BOB, ("added notes",)),
        (CAROL, ("approved an action", "pinned messages")),
    ]
    assert [(link.kind, link.url) for link in doc.links] == [
        (LinkKind.CHANNEL, CHANNEL_URL),
        (LinkKind.TICKET, TICKET),
        (LinkKind.ALERT, GRAFANA),
        (LinkKind.ALERT, PROMETHEUS),
        (LinkKind.RUNBOOK, RUNBOOK),
        (LinkKind.RUNBOOK, None),
    ]
    assert doc.owner == DAVE
    assert doc.generated_at == NOW


def test_every_fact_names_real_entries() -> None:
    doc = _build()
    events = _by_id()

    facts = doc.facts()
    assert {section for section, _ in facts} == {
        "title",
        "impact",
        "status",
        "severity",
        "next_step",
        "classification",
        "timeline",
        "actions",
        "hypothesis",
        "evidence",
        "open_questions",
        "people",
        "links",
    }
    for section, fact in facts:
        assert fact.sources, f"{section}: {fact.text!r} has no source"
        assert set(fact.sources) <= set(events), f"{section}: {fact.sources} not in the log"


def _recorded(fact: Fact, *values: str) -> None:
    """Each value is recorded by at least one of the fact's source entries."""
    said = set().union(*(_said(_by_id()[i]) for i in fact.sources))
    for value in values:
        assert value in said, f"{value!r} is in no source of {fact.text!r}"


def test_each_fact_is_what_its_sources_recorded() -> None:
    doc = _build()
    events = _by_id()

    _recorded(doc.title, doc.title.text)
    _recorded(doc.severity, doc.severity.text)
    _recorded(doc.status, doc.status.text)
    assert doc.classification is not None
    _recorded(doc.classification, "high", "bad_deploy")
    _recorded(doc.impact, "checkout", "production", "HighErrorRate", "HighLatencyP99")
    for entry in doc.timeline:
        event = events[entry.event_id]
        assert (entry.at, entry.kind) == (event.at, event.kind)
        assert entry.actor in _said(event)
    for action in doc.actions:
        _recorded(Fact(action.text, action.sources), action.action_id, action.action)
        _recorded(Fact(action.text, action.sources), action.target)
        for approver in action.approvers:
            _recorded(Fact(action.text, action.sources), approver)
        if action.error_code:
            _recorded(Fact(action.text, action.sources), action.error_code)
        assert all(events[i].kind.startswith("action.") for i in action.sources)
    assert doc.hypothesis is not None
    _recorded(Fact(doc.hypothesis.text, doc.hypothesis.sources), doc.hypothesis.text)
    for item in doc.hypothesis.evidence:
        _recorded(Fact(item.claim, item.sources), item.claim, item.pointer, item.source)
    _recorded(doc.open_questions[0], doc.open_questions[0].text)
    _recorded(doc.open_questions[1], "restart_deployment", "rollout_timeout")
    _recorded(doc.next_step, "payments-oncall", "restart_deployment", "rollout_timeout")
    for person in doc.people:
        for source in person.sources:
            assert person.user_id in _said(events[source])
    channel, ticket, *others = doc.links
    # The channel's address is the caller's; its name is the log's.
    _recorded(Fact(channel.title, channel.sources), "inc-42-checkout")
    _recorded(Fact(ticket.title, ticket.sources), "INC0012345", TICKET)
    for link in others:
        _recorded(Fact(link.title, link.sources), link.url or link.title)


def test_links_the_caller_gives_carry_no_sources_without_a_log_entry() -> None:
    log = Log()
    log.add(K.INCIDENT_OPENED, actor="alertmanager", data={"title": "Disk full"})
    doc = build_handoff(
        incident_row(),
        log.events,
        now=NOW,
        channel_url=CHANNEL_URL,
        ticket_url="https://tickets.example.com/INC1",
    )
    assert [(link.kind, link.url, link.sources) for link in doc.links] == [
        (LinkKind.CHANNEL, CHANNEL_URL, ()),
        (LinkKind.TICKET, "https://tickets.example.com/INC1", ()),
    ]


def test_caller_links_that_are_not_web_addresses_are_dropped() -> None:
    doc = _build(channel_url="javascript:alert(1)", ticket_url="slack://open")
    channel, ticket = doc.links[0], doc.links[1]
    assert (channel.kind, channel.url) == (LinkKind.CHANNEL, None)
    assert (ticket.kind, ticket.url) == (LinkKind.TICKET, TICKET)


def test_same_log_in_any_order_gives_the_same_document() -> None:
    incident, events = recorded_incident()
    first = build_handoff(incident, events, now=NOW, owner=DAVE)
    shuffled = list(events)
    random.Random(7).shuffle(shuffled)
    assert shuffled != events
    assert build_handoff(incident, shuffled, now=NOW, owner=DAVE) == first
    assert build_handoff(incident, list(reversed(events)), now=NOW, owner=DAVE) == first


def test_entries_of_another_incident_are_ignored() -> None:
    incident, events = recorded_incident()
    other = Log(incident_id=7, next_id=5000)
    other.add(
        K.INCIDENT_TRANSITIONED,
        actor="slack:U09MALLORY",
        data={"from": "acknowledged", "to": "closed"},
    )
    doc = build_handoff(incident, [*events, *other.events], now=NOW)
    assert doc.status.text == "acknowledged"
    assert "U09MALLORY" not in {p.user_id for p in doc.people}
    assert all(5000 not in fact.sources for _, fact in doc.facts())


def test_timeline_keeps_the_newest_important_entries() -> None:
    incident, events = recorded_incident()
    doc = build_handoff(incident, events, now=NOW, max_timeline=4)

    assert [e.kind for e in doc.timeline] == [
        K.ACTION_FAILED,
        K.TICKET_CREATED,
        K.PAGED,
        K.TIMELINE_PINNED,
    ]
    # 17 entries, of which the channel, card, triage start and executing ones are plumbing.
    assert doc.earlier_entries == 13 - 4


def test_plumbing_entries_stay_out_of_the_timeline() -> None:
    doc = _build()
    kinds = {e.kind for e in doc.timeline}
    assert not kinds & {
        K.SLACK_CHANNEL_CREATED,
        K.SLACK_CARD_POSTED,
        K.TRIAGE_STARTED,
        K.ACTION_EXECUTING,
    }


def test_timeline_actor_of_a_pin_is_its_author() -> None:
    doc = _build()
    pin = next(e for e in doc.timeline if e.kind == K.TIMELINE_PINNED)
    assert pin.actor == CAROL
    assert pin.what.startswith("Pinned: Rollback looks like the safer bet")


def test_a_long_note_is_clipped_in_the_timeline() -> None:
    incident, events = recorded_incident()
    log = Log(next_id=2000, at=events[-1].at)
    log.add(K.NOTE_ADDED, actor=f"slack:{BOB}", summary="word\n" * 5000)
    doc = build_handoff(incident, [*events, *log.events], now=NOW)
    note = doc.timeline[-1]
    assert note.kind == K.NOTE_ADDED
    assert len(note.what) <= 300 and "\n" not in note.what and note.what.endswith("…")


def test_status_follows_the_newest_transition() -> None:
    incident, events = recorded_incident()
    log = Log(next_id=2000, at=events[-1].at)
    mitigated = log.add(
        K.INCIDENT_TRANSITIONED,
        actor=f"slack:{CAROL}",
        data={"from": "acknowledged", "to": "mitigated"},
    )
    doc = build_handoff(incident, [*events, *log.events], now=NOW)
    assert doc.status == Fact("mitigated", (mitigated.id or 0,))


def test_resolved_incident_states_how_long_it_lasted() -> None:
    incident, events = recorded_incident()
    log = Log(next_id=2000, at=events[-1].at)
    log.add(
        K.INCIDENT_TRANSITIONED,
        actor=f"slack:{CAROL}",
        data={"from": "acknowledged", "to": "resolved"},
        after=timedelta(minutes=27),
    )
    log.add(K.SIGNAL_RESOLVED, actor="alertmanager", data={"fingerprint": "d40fc7db"})
    log.add(K.SIGNAL_RESOLVED, actor="alertmanager", data={"fingerprint": "7a11be55"})
    doc = build_handoff(incident, [*events, *log.events], now=NOW)
    assert "all resolved" in doc.impact.text
    assert "from 2026-11-21 07:43 to 08:30 UTC (47m)" in doc.impact.text
    assert doc.next_step.text == "Finish the review and close the incident."


def test_a_signal_that_fires_again_counts_as_firing() -> None:
    incident, events = recorded_incident()
    log = Log(next_id=2000, at=events[-1].at)
    log.add(K.SIGNAL_RESOLVED, actor="alertmanager", data={"fingerprint": "d40fc7db"})
    log.add(K.SIGNAL_RESOLVED, actor="alertmanager", data={"fingerprint": "7a11be55"})
    log.add(
        K.SIGNAL_RECEIVED,
        actor="alertmanager",
        data={"fingerprint": "7a11be55", "alertname": "HighLatencyP99"},
    )
    doc = build_handoff(incident, [*events, *log.events], now=NOW)
    assert "2 alerts (HighErrorRate, HighLatencyP99), 1 still firing" in doc.impact.text


def test_newest_triage_wins() -> None:
    incident, events = recorded_incident()
    log = Log(next_id=2000, at=events[-1].at)
    retriage = log.add(
        K.TRIAGE_COMPLETED,
        data={
            "classification": "sev1",
            "incident_class": "dependency_outage",
            "hypothesis": "The payment provider is failing requests.",
            "confidence": 0.4,
            "source": "llm",
            "model": "gpt-5.1",
            "unknowns": [],
        },
    )
    doc = build_handoff(incident, [*events, *log.events], now=NOW)
    assert doc.hypothesis is not None
    assert doc.hypothesis.text == "The payment provider is failing requests."
    assert doc.hypothesis.origin == "llm, model gpt-5.1"
    assert doc.hypothesis.sources == (retriage.id,)
    assert doc.classification == Fact("sev1 (dependency_outage)", (retriage.id or 0,))
    # The new triage names no team; the paged one is who to escalate to.
    assert doc.next_step.text.startswith("Escalate to payments-oncall")
    assert 1016 in doc.next_step.sources


def test_actions_fold_by_id_and_keep_every_approver() -> None:
    log = Log()
    log.add(K.INCIDENT_OPENED, data={"title": "Queue backlog"})
    log.add(
        K.ACTION_PROPOSED,
        data={"action_id": "a", "action": "scale_deployment", "target": "prod/queue"},
    )
    log.add(K.ACTION_APPROVED, actor=f"slack:{ALICE}", data={"action_id": "a"})
    log.add(
        K.ACTION_APPROVED,
        actor=f"slack:{BOB}",
        data={"action_id": "a", "approvers": [f"slack:{CAROL}", "not a user"]},
    )
    # A decision logged late must not undo the approval.
    log.add(K.ACTION_DECIDED, data={"action_id": "a", "decision": "needs_approval"})
    log.add(K.ACTION_FAILED, data={"action_id": "a", "error_code": "timeout"})
    log.add(K.ACTION_SUCCEEDED, data={"action_id": "a"})
    log.add(K.ACTION_VERIFIED, data={"action_id": "a", "outcome": "healthy"})
    doc = build_handoff(incident_row(), log.events, now=NOW)

    (action,) = doc.actions
    assert action.approvers == (ALICE, CAROL, BOB)
    assert action.outcome is ActionOutcome.VERIFIED
    assert action.error_code is None
    assert action.text == "scale_deployment on prod/queue: verified (healthy)"
    assert action.sources == tuple(e.id for e in log.events[1:])


@pytest.mark.parametrize(
    ("decision", "outcome"),
    [
        # The policy lets it run by itself.
        ("auto_execute", ActionOutcome.ALLOWED),
        # The policy refuses it.
        ("forbidden", ActionOutcome.BLOCKED),
        # The policy hands it to people without a button to approve.
        ("escalate", ActionOutcome.ESCALATED),
        # The policy only records what would have happened.
        ("shadow_only", ActionOutcome.SHADOWED),
        # A person must approve, or two.
        ("needs_approval", ActionOutcome.AWAITING_APPROVAL),
        ("needs_two_approvals", ActionOutcome.AWAITING_APPROVAL),
        # A word nobody taught us reads as "a person must decide".
        ("maybe_later", ActionOutcome.AWAITING_APPROVAL),
    ],
)
def test_policy_decision_sets_the_first_outcome(decision: str, outcome: ActionOutcome) -> None:
    log = Log()
    log.add(
        K.ACTION_PROPOSED,
        data={"action_id": "a", "action": "restart_deployment", "decision": decision},
    )
    (action,) = build_handoff(incident_row(), log.events, now=NOW).actions
    assert action.outcome is outcome


def test_a_denial_names_who_denied() -> None:
    log = Log()
    log.add(K.ACTION_PROPOSED, data={"action_id": "a", "action": "rollback_deployment"})
    log.add(K.ACTION_DENIED, actor=f"slack:{BOB}", data={"action_id": "a"})
    (action,) = build_handoff(incident_row(), log.events, now=NOW).actions
    assert (action.outcome, action.denied_by, action.approvers) == (
        ActionOutcome.DENIED,
        (BOB,),
        (),
    )


def test_missing_and_mistyped_keys_are_tolerated() -> None:
    log = Log()
    log.add(K.INCIDENT_OPENED, data={"title": 7, "severity": None, "links": "nope"})
    log.add(K.INCIDENT_SIGNAL_ATTACHED, data={"links": [{"url": 3}, "x", {"title": "t"}]})
    log.add(K.TRIAGE_COMPLETED, data={"hypothesis": ["not", "text"], "evidence": "none"})
    log.add(K.ACTION_PROPOSED, data={"action": "restart_deployment"})
    log.add(K.ACTION_FAILED, data={})
    log.add(K.INCIDENT_TRANSITIONED, data={"from": "triggered"})
    log.add(K.PAGED, data={"team": ""})
    log.add(K.HANDOFF_POSTED, data={"owner": None})
    incident = incident_row(title="Row title", severity="warning")
    doc = build_handoff(incident, log.events, now=NOW)

    assert doc.title.text == "7"
    assert doc.severity.text == "warning"
    assert doc.status.text == "triggered"
    assert doc.hypothesis is None and doc.classification is None
    assert [a.text for a in doc.actions] == [
        "restart_deployment on unknown target: awaiting approval"
    ]
    assert doc.links == ()
    assert doc.next_step.text.startswith("Decide on restart_deployment")


def test_an_empty_log_still_gives_every_section() -> None:
    doc = build_handoff(incident_row(status="triggered"), [], now=NOW)
    assert doc.title.text == "HighErrorRate: checkout 5xx above 5%"
    assert doc.status == Fact("triggered", ())
    assert "no alerts recorded" in doc.impact.text
    assert doc.next_step.text == "Review the alerts and triage the incident."
    assert (doc.timeline, doc.actions, doc.people, doc.links) == ((), (), (), ())


def test_an_unsaved_incident_is_refused() -> None:
    with pytest.raises(ValueError, match="not been saved"):
        build_handoff(incident_row(incident_id=None), [], now=NOW)


def test_owner_is_read_as_a_slack_user_id() -> None:
    assert _build(owner=f"slack:{DAVE}").owner == DAVE
    assert _build(owner=None).owner is None
