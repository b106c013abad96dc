"""The handoff as Block Kit within Slack's limits, and as plain text for work notes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.domain.events import EventKind
from bot.handoff.bounds import escaped, fit_lines, fit_newest, one_line
from bot.handoff.models import (
    ActionRecord,
    HandoffDocument,
    HandoffLink,
    Person,
    TimelineEntry,
    slack_user_id,
)
from bot.incidents.views import SEVERITY_ICON, STATUS_ICON
from bot.slack_text import clip, escape

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_HEADER = 150
MAX_TEXT = 8000
# Slack also refuses a message whose blocks hold more than about 12,000 characters of
# text in all, so each section has its own share; the shares add up to well under that.
BUDGET = {
    "summary": 1200,
    "next": 500,
    "impact": 700,
    "hypothesis": 1500,
    "actions": 1500,
    "questions": 800,
    "timeline": 2300,
    "people": 600,
    "links": 800,
}
MAX_FIELD_VALUE = 120
# Final characters per bullet, after escaping.
MAX_LINE = 300
# Plain text: characters per line, and per section; the timeline gets what is left.
MAX_PLAIN_LINE = 500
TEXT_BUDGET = {
    "summary": 1200,
    "next": 500,
    "impact": 700,
    "hypothesis": 1000,
    "actions": 1000,
    "questions": 600,
    "people": 400,
    "links": 600,
}
NONE_YET = "_None recorded._"
# A backtick inside a pointer would end its code span early.
BACKTICK, QUOTE = "`", "'"


def _mention(who: str) -> str:
    user = slack_user_id(who)
    return f"<@{user}>" if user else escaped(one_line(who), 80)


def _mentions(people: Sequence[str]) -> str:
    return ", ".join(_mention(p) for p in people)


def _mrkdwn(text: str) -> dict[str, Any]:
    # verbatim stops Slack from turning untrusted words into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _line(text: str, limit: int = MAX_LINE) -> str:
    return escaped(one_line(text), limit)


def _link(link: HandoffLink) -> str:
    label = escaped(one_line(link.title).replace("|", "/"), 120)
    if link.url is None or len(link.url) > MAX_LINE:
        return label
    url = escape(link.url).replace("|", "%7C")
    return f"<{url}|{label}>"


def _section(block_id: str, text: str) -> dict[str, Any]:
    return {"type": "section", "block_id": block_id, "text": _mrkdwn(text[:MAX_SECTION])}


def _paragraph(block_id: str, heading: str, text: str, budget: int) -> dict[str, Any]:
    return _section(block_id, f"{heading}\n" + escaped(one_line(text), budget - len(heading) - 1))


def _list(block_id: str, heading: str, lines: Sequence[str], budget: int) -> dict[str, Any]:
    if not lines:
        return _section(block_id, f"{heading}\n{NONE_YET}")
    text, _ = fit_lines(heading, lines, budget)
    return _section(block_id, text)


def _newest(
    block_id: str,
    heading: str,
    lines: Sequence[str],
    budget: int,
    noun: str,
    omitted: int = 0,
) -> dict[str, Any]:
    """A history section: when it does not all fit, the newest lines are the ones kept."""
    if not lines and not omitted:
        return _section(block_id, f"{heading}\n{NONE_YET}")
    text = fit_newest(heading, lines, budget, lambda n: f"_{n} earlier {noun} not shown_", omitted)
    return _section(block_id, text)


def _action_line(action: ActionRecord) -> str:
    line = f"• `{_line(action.action, 80)}` on {_line(action.target, 120)} — "
    line += _line(action.outcome_text, 120)
    if action.approvers:
        line += f" · approved by {_mentions(action.approvers[:5])}"
    if action.denied_by:
        line += f" · denied by {_mentions(action.denied_by[:5])}"
    return line


# Entries whose words come from people or from smokejumper itself, never from an alert:
# their mentions are meant, so they stay mentions.
PEOPLE_WROTE = frozenset(
    {
        EventKind.NOTE_ADDED.value,
        EventKind.ACTION_APPROVED.value,
        EventKind.HANDOFF_POSTED.value,
        EventKind.COMMANDER_SET.value,
    }
)


def _timeline_line(entry: TimelineEntry) -> str:
    what = escaped(one_line(entry.what), 200, keep_mentions=entry.kind in PEOPLE_WROTE)
    return f"• `{entry.at:%m-%d %H:%M}` {_mention(entry.actor)} — {what}"


def _person_line(person: Person) -> str:
    return f"• {_mention(person.user_id)} — {_line(', '.join(person.roles), 150)}"


def _hypothesis_heading(doc: HandoffDocument) -> str:
    h = doc.hypothesis
    if h is None:
        return "*Current hypothesis*"
    sure = "" if h.confidence is None else f", confidence {h.confidence:.2f}"
    return f"*Current hypothesis* ({_line(h.origin, 100)}{sure})\n{_line(h.text, 600)}" + (
        "\n*Evidence*" if h.evidence else "\n_No evidence recorded._"
    )


def _evidence_lines(doc: HandoffDocument) -> list[str]:
    if doc.hypothesis is None:
        return []
    return [
        f"• _{_line(e.source, 40)}_ {_line(e.claim, 200)}"
        + (f" — `{_line(e.pointer.replace(BACKTICK, QUOTE), 120)}`" if e.pointer else "")
        for e in doc.hypothesis.evidence
    ]


def _hypothesis(block_id: str, doc: HandoffDocument) -> dict[str, Any]:
    heading = _hypothesis_heading(doc)
    if doc.hypothesis is None:
        return _section(block_id, f"{heading}\n{NONE_YET}")
    text, _ = fit_lines(heading, _evidence_lines(doc), BUDGET["hypothesis"])
    return _section(block_id, text)


def _fields(doc: HandoffDocument) -> list[dict[str, Any]]:
    status, severity = doc.status.text, doc.severity.text
    classification = doc.classification
    values = [
        ("Status", f"{STATUS_ICON.get(status, '')} {_line(status, MAX_FIELD_VALUE)}".strip()),
        (
            "Severity",
            f"{SEVERITY_ICON.get(severity, '')} {_line(severity, MAX_FIELD_VALUE)}".strip(),
        ),
        (
            "Classification",
            _line(classification.text, MAX_FIELD_VALUE) if classification else "_not triaged_",
        ),
        ("New owner", _mention(doc.owner) if doc.owner else "_not named_"),
    ]
    return [_mrkdwn(f"*{name}*\n{value}"[:MAX_FIELD]) for name, value in values]


def render_blocks(doc: HandoffDocument) -> list[dict[str, Any]]:
    """Block Kit for the handoff: every section, within Slack's size limits."""
    bid = f"handoff-{doc.incident_id}"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "block_id": f"{bid}-header",
            "text": {
                "type": "plain_text",
                "text": clip(f"Handoff: #{doc.incident_id} {one_line(doc.title.text)}", MAX_HEADER),
            },
        },
        _paragraph(f"{bid}-summary", "*Summary*", doc.summary, BUDGET["summary"]),
        {"type": "section", "block_id": f"{bid}-fields", "fields": _fields(doc)},
        _paragraph(f"{bid}-next", "*Recommended next step*", doc.next_step.text, BUDGET["next"]),
        _paragraph(f"{bid}-impact", "*Impact*", doc.impact.text, BUDGET["impact"]),
        {"type": "divider", "block_id": f"{bid}-facts-end"},
        _hypothesis(f"{bid}-hypothesis", doc),
        _newest(
            f"{bid}-actions",
            "*Actions taken*",
            [_action_line(a) for a in doc.actions],
            BUDGET["actions"],
            "actions",
        ),
        _list(
            f"{bid}-questions",
            "*Open questions*",
            [f"• {_line(q.text)}" for q in doc.open_questions],
            BUDGET["questions"],
        ),
        {"type": "divider", "block_id": f"{bid}-history"},
        _newest(
            f"{bid}-timeline",
            "*Timeline (UTC)*",
            [_timeline_line(e) for e in doc.timeline],
            BUDGET["timeline"],
            "entries",
            doc.earlier_entries,
        ),
        _list(
            f"{bid}-people",
            "*People involved*",
            [_person_line(p) for p in doc.people],
            BUDGET["people"],
        ),
        _list(
            f"{bid}-links",
            "*Links*",
            [f"• {link.kind.value.capitalize()}: {_link(link)}" for link in doc.links],
            BUDGET["links"],
        ),
        {
            "type": "context",
            "block_id": f"{bid}-context",
            "elements": [
                _mrkdwn(f"Built from the event log at {doc.generated_at:%Y-%m-%d %H:%M} UTC"),
                _mrkdwn(f"summary: {doc.summary_origin.value}"),
                _mrkdwn(f"id: `{_line(doc.correlation_id, 80)}`"),
            ],
        },
    ]
    return blocks[:MAX_BLOCKS]


def notification_text(doc: HandoffDocument) -> str:
    """The message's fallback text, shown in notifications."""
    return escaped(
        f"Handoff for incident #{doc.incident_id}: {one_line(doc.title.text)} "
        f"({doc.status.text}). Next: {doc.next_step.text}",
        300,
    )


# ServiceNow renders [code]…[/code] in journal fields as HTML; notes must stay text.
_CODE_TAG = re.compile(r"(?i)\[(/?)code\]")


def _plain(heading: str, lines: Sequence[str], limit: int) -> str:
    if not lines:
        return f"{heading}\nNone recorded."
    text, _ = fit_lines(heading, [clip(one_line(line), MAX_PLAIN_LINE) for line in lines], limit)
    return text


def _plain_newest(
    heading: str, lines: Sequence[str], limit: int, noun: str, omitted: int = 0
) -> str:
    if not lines and not omitted:
        return f"{heading}\nNone recorded."
    clipped = [clip(one_line(line), MAX_PLAIN_LINE) for line in lines]
    return fit_newest(heading, clipped, limit, lambda n: f"({n} earlier {noun} not shown)", omitted)


def _hypothesis_plain(doc: HandoffDocument) -> str:
    h = doc.hypothesis
    if h is None:
        return _plain("Current hypothesis", [], TEXT_BUDGET["hypothesis"])
    sure = "" if h.confidence is None else f", confidence {h.confidence:.2f}"
    lines = [clip(one_line(h.text), 600)] + [
        f"- evidence ({e.source}): {e.claim}" + (f" [{e.pointer}]" if e.pointer else "")
        for e in h.evidence
    ]
    return _plain(f"Current hypothesis ({h.origin}{sure})", lines, TEXT_BUDGET["hypothesis"])


def render_text(doc: HandoffDocument) -> str:
    """The handoff as plain text for ticket work notes and pager notes, bounded."""
    head = [
        f"Handoff: incident #{doc.incident_id}: {clip(one_line(doc.title.text), 200)}",
        f"Built from the event log at {doc.generated_at:%Y-%m-%d %H:%M} UTC",
        f"Status: {doc.status.text} | Severity: {doc.severity.text}"
        + (f" | Classification: {doc.classification.text}" if doc.classification else ""),
        f"New owner: {doc.owner or 'not named'}",
    ]
    parts = [
        "\n".join(clip(one_line(line), MAX_PLAIN_LINE) for line in head),
        f"Summary\n{clip(one_line(doc.summary), TEXT_BUDGET['summary'])}",
        f"Recommended next step\n{clip(doc.next_step.text, TEXT_BUDGET['next'])}",
        f"Impact\n{clip(doc.impact.text, TEXT_BUDGET['impact'])}",
        _hypothesis_plain(doc),
        _plain_newest(
            "Actions taken",
            [
                f"- {a.text}"
                + (f"; approved by {', '.join(a.approvers)}" if a.approvers else "")
                + (f"; denied by {', '.join(a.denied_by)}" if a.denied_by else "")
                for a in doc.actions
            ],
            TEXT_BUDGET["actions"],
            "actions",
        ),
        _plain(
            "Open questions",
            [f"- {q.text}" for q in doc.open_questions],
            TEXT_BUDGET["questions"],
        ),
        _plain(
            "People involved",
            [f"- {p.user_id}: {', '.join(p.roles)}" for p in doc.people],
            TEXT_BUDGET["people"],
        ),
        _plain(
            "Links",
            [
                f"- {link.kind.value}: {link.title}" + (f" {link.url}" if link.url else "")
                for link in doc.links
            ],
            TEXT_BUDGET["links"],
        ),
    ]
    used = sum(len(p) + 2 for p in parts)
    parts.append(
        _plain_newest(
            "Timeline (UTC)",
            [f"- {e.at:%Y-%m-%d %H:%M} {e.actor}: {e.what}" for e in doc.timeline],
            max(200, MAX_TEXT - used),
            "entries",
            doc.earlier_entries,
        )
    )
    return _CODE_TAG.sub(r"(\1code)", clip("\n\n".join(parts), MAX_TEXT))
