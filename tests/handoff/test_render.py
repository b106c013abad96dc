"""Block Kit and plain text: every section, Slack's limits whatever the size, escaping."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bot.domain.events import EventKind as K
from bot.handoff import HandoffDocument, build_handoff, render_blocks, render_text
from bot.handoff.render import MAX_TEXT, notification_text
from integrations.slack.emulator.blocks import MAX_TOTAL_BLOCK_TEXT, validate_blocks
from tests.handoff.factories import (
    ALICE,
    CAROL,
    DAVE,
    GRAFANA,
    NOW,
    TICKET,
    Log,
    incident_row,
    recorded_incident,
)

SECTIONS = (
    "Summary",
    "Recommended next step",
    "Impact",
    "Current hypothesis",
    "Actions taken",
    "Open questions",
    "Timeline (UTC)",
    "People involved",
    "Links",
)
HOSTILE = "<!channel> & <https://evil.example|click> <@U0EVIL> <#C0GENERAL> [code]<b>[/code]"


def recorded_doc() -> HandoffDocument:
    incident, events = recorded_incident()
    return build_handoff(
        incident,
        events,
        now=NOW,
        owner=DAVE,
        channel_url="https://example.slack.com/archives/C0INC42",
    )


def oversized_doc() -> HandoffDocument:
    """Hundreds of entries, huge notes and names, hostile text everywhere."""
    log = Log()
    log.add(
        K.INCIDENT_OPENED,
        actor="alertmanager",
        data={"title": f"{HOSTILE} " * 300, "severity": "critical" * 50, "service": "s" * 900},
    )
    for n in range(200):
        log.add(
            K.INCIDENT_SIGNAL_ATTACHED,
            actor="alertmanager",
            data={
                "fingerprint": f"fp{n}",
                "alertname": f"Alert{n}_{'x' * 300}",
                "summary": HOSTILE * 20,
                "links": [
                    {"url": f"https://grafana.example.com/d/{n}?a=1&b=2|x", "title": HOSTILE}
                ],
            },
        )
    log.add(
        K.TRIAGE_COMPLETED,
        data={
            "classification": "sev1" * 100,
            "incident_class": HOSTILE * 10,
            "hypothesis": HOSTILE * 100,
            "confidence": 0.5,
            "evidence": [{"source": "log", "claim": HOSTILE * 50, "pointer": "`" + "p" * 400}] * 12,
            "unknowns": [HOSTILE * 30] * 10,
            "runbook_pointers": [f"https://runbooks.example.com/{n}" for n in range(40)],
            "recommended_team": HOSTILE,
        },
    )
    for n in range(150):
        log.add(
            K.ACTION_PROPOSED,
            data={"action_id": f"a{n}", "action": HOSTILE, "target": "t" * 2000},
        )
        log.add(
            K.ACTION_APPROVED,
            actor=f"slack:U{n:04d}APPROVER",
            data={"action_id": f"a{n}", "approvers": [f"U{n:04d}X{m}" for m in range(20)]},
        )
        log.add(K.ACTION_FAILED, data={"action_id": f"a{n}", "error_code": HOSTILE * 5})
    for n in range(100):
        log.add(K.NOTE_ADDED, actor=f"slack:U{n:04d}NOTE", summary=HOSTILE * 1500)
        log.add(
            K.TIMELINE_PINNED,
            data={"author": "slack:<!here>", "text": HOSTILE * 200, "permalink": "x"},
        )
    log.add(K.TICKET_CREATED, data={"number": HOSTILE, "url": TICKET + "|" + "q" * 1000})
    incident = incident_row(title=HOSTILE * 50, correlation_id="c" * 64)
    return build_handoff(incident, log.events, now=NOW, owner=HOSTILE, max_timeline=500)


def texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= 50
    validate_blocks(blocks)
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text"
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            if "text" in block:
                assert len(block["text"]["text"]) <= 3000
            fields = block.get("fields", [])
            assert len(fields) <= 10 and all(len(f["text"]) <= 2000 for f in fields)
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    assert sum(len(t) for t in texts(blocks)) <= MAX_TOTAL_BLOCK_TEXT
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids))


def section_texts(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        b["block_id"]: b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b
    }


def test_recorded_handoff_has_every_section() -> None:
    doc = recorded_doc()
    blocks = render_blocks(doc)

    assert_within_limits(blocks)
    assert blocks[0]["text"]["text"] == "Handoff: #42 HighErrorRate: checkout 5xx above 5%"
    sections = section_texts(blocks)
    joined = "\n".join(sections.values())
    for heading in SECTIONS:
        assert f"*{heading}*" in joined
    fields = next(b for b in blocks if b["block_id"] == "handoff-42-fields")["fields"]
    assert [f["text"] for f in fields] == [
        "*Status*\n👀 acknowledged",
        "*Severity*\n🔴 critical",
        "*Classification*\nhigh (bad_deploy)",
        f"*New owner*\n<@{DAVE}>",
    ]
    assert sections["handoff-42-next"] == f"*Recommended next step*\n{doc.next_step.text}"
    actions = sections["handoff-42-actions"]
    assert (
        f"• `restart_deployment` on production/checkout — failed (rollout_timeout) · "
        f"approved by <@{ALICE}>, <@{CAROL}>"
    ) in actions
    timeline = sections["handoff-42-timeline"].splitlines()
    assert timeline[0] == "*Timeline (UTC)*" and len(timeline) == 1 + len(doc.timeline)
    assert timeline[4] == f"• `11-21 07:48` <@{ALICE}> — Status triggered → acknowledged"
    links = sections["handoff-42-links"]
    assert f"<{GRAFANA.replace('&', '&amp;')}|HighErrorRate graph>" in links
    assert "• Runbook: runbooks/checkout.yml#bad_deploy" in links
    assert all(t["verbatim"] for b in blocks for t in _mrkdwn_objects(b))


def _mrkdwn_objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn":
            yield value
        for item in value.values():
            yield from _mrkdwn_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _mrkdwn_objects(item)


def test_empty_sections_say_so() -> None:
    doc = build_handoff(incident_row(status="triggered"), [], now=NOW)
    blocks = render_blocks(doc)
    assert_within_limits(blocks)
    sections = section_texts(blocks)
    for name in ("hypothesis", "actions", "questions", "timeline", "people", "links"):
        assert sections[f"handoff-42-{name}"].endswith("_None recorded._"), name
    fields = next(b for b in blocks if b["block_id"] == "handoff-42-fields")["fields"]
    assert fields[3]["text"] == "*New owner*\n_not named_"


def test_an_oversized_log_stays_within_block_kit_limits() -> None:
    doc = oversized_doc()
    assert len(doc.timeline) > 400 and len(doc.actions) == 150

    blocks = render_blocks(doc)

    assert_within_limits(blocks)
    sections = section_texts(blocks)
    joined = "\n".join(sections.values())
    for heading in SECTIONS:
        assert f"*{heading}*" in joined
    # Histories keep their newest lines and say how many earlier ones are missing.
    timeline = sections["handoff-42-timeline"].splitlines()
    shown = len(timeline) - 2
    missing = doc.earlier_entries + len(doc.timeline) - shown
    assert timeline[1] == f"_{missing} earlier entries not shown_"
    assert timeline[-1].endswith("[code]&lt;b&gt;[/code] created")
    actions = sections["handoff-42-actions"].splitlines()
    assert actions[1] == f"_{150 - (len(actions) - 2)} earlier actions not shown_"
    assert "<@U0149X0>" in actions[-1]
    # Other lists keep their first lines and count the rest.
    assert re.search(r"…and \d+ more$", sections["handoff-42-people"])


def test_untrusted_text_is_escaped_everywhere() -> None:
    blocks = render_blocks(oversized_doc())
    for text in texts(blocks):
        if text.startswith("Handoff: #"):
            continue  # plain_text is never parsed for mentions or links
        for token in re.findall(r"<[^<>]*>", text):
            # The only tokens left are ours: user mentions of real ids and web links.
            assert re.fullmatch(r"<@[UW][A-Z0-9]+>|<https?://[^|<>\s]+\|[^<>|]*>", token), token
        assert "<!" not in text and "<#" not in text and "<@U0EVIL>" not in text
    payload = json.dumps(blocks)
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in payload


def test_escaping_never_cuts_an_entity_in_half() -> None:
    blocks = render_blocks(oversized_doc())
    for text in texts([b for b in blocks if b["type"] != "header"]):
        for match in re.finditer(r"&", text):
            assert re.match(r"&(amp|lt|gt);", text[match.start() :]), text[match.start() :][:8]


def test_links_are_web_addresses_with_a_safe_separator() -> None:
    log = Log()
    log.add(
        K.INCIDENT_SIGNAL_ATTACHED,
        data={
            "fingerprint": "f",
            "links": [
                {"url": "https://grafana.example.com/d/1?x=a|b", "title": "a|b"},
                {"url": "javascript:alert(1)", "title": "bad"},
                {"url": "https://has space.example", "title": "bad"},
            ],
        },
    )
    blocks = render_blocks(build_handoff(incident_row(), log.events, now=NOW))
    links = section_texts(blocks)["handoff-42-links"]
    assert links == "*Links*\n• Alert: <https://grafana.example.com/d/1?x=a%7Cb|a/b>"


def test_a_non_user_actor_is_escaped_not_mentioned() -> None:
    log = Log()
    log.add(K.NOTE_ADDED, actor="slack:<!everyone>", summary="hello")
    blocks = render_blocks(build_handoff(incident_row(), log.events, now=NOW))
    timeline = section_texts(blocks)["handoff-42-timeline"]
    assert "slack:&lt;!everyone&gt; — Note: hello" in timeline


def test_plain_text_has_every_section() -> None:
    doc = recorded_doc()
    text = render_text(doc)
    lines = text.splitlines()
    assert lines[0] == "Handoff: incident #42: HighErrorRate: checkout 5xx above 5%"
    assert "Status: acknowledged | Severity: critical | Classification: high (bad_deploy)" in lines
    assert f"New owner: {DAVE}" in lines
    for heading in SECTIONS:
        assert any(line.startswith(heading) for line in lines), heading
    assert (
        f"- restart_deployment on production/checkout: failed (rollout_timeout); "
        f"approved by {ALICE}, {CAROL}"
    ) in lines
    assert f"- ticket: Ticket INC0012345 {TICKET}" in lines
    assert "- 2026-11-21 07:48 U01ALICE: Status triggered → acknowledged" in lines


def test_plain_text_of_an_oversized_log_is_bounded_and_complete() -> None:
    text = render_text(oversized_doc())
    assert len(text) <= MAX_TEXT
    for heading in SECTIONS:
        assert re.search(rf"^{re.escape(heading)}", text, re.MULTILINE), heading
    # ServiceNow would render these as HTML in a work note.
    assert "[code]" not in text.lower() and "[/code]" not in text.lower()
    assert "(code)<b>(/code)" in text


def test_notification_text_is_short_and_escaped() -> None:
    text = notification_text(oversized_doc())
    assert len(text) <= 300 and "<!channel>" not in text
    assert notification_text(recorded_doc()).startswith(
        "Handoff for incident #42: HighErrorRate: checkout 5xx above 5% (acknowledged)."
    )


def test_rendering_is_deterministic() -> None:
    assert render_blocks(recorded_doc()) == render_blocks(recorded_doc())
    assert render_text(oversized_doc()) == render_text(oversized_doc())
