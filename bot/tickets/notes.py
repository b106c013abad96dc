"""Timeline entries as work-note batches: which entries go together, and their text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC

from bot.domain.events import EventKind
from bot.slack_text import clip
from bot.store.models import EventRow

# Several entries per API call; the instance's journal takes far more than this.
MAX_ENTRIES = 50
MAX_BATCH_CHARS = 12_000
MAX_LINE = 600
# Bookkeeping that says nothing about the incident itself.
QUIET_KINDS = frozenset(
    {EventKind.SLACK_CARD_POSTED, EventKind.SLACK_ANNOUNCED, EventKind.SIGNAL_DUPLICATE}
)
# ServiceNow renders [code]…[/code] in journal fields as HTML; alert text must stay text.
_CODE_TAG = re.compile(r"(?i)\[(/?)code\]")


def batch_id(after: int, last: int) -> str:
    """The batch of the entries after event `after` up to `last`: the same range, the same id."""
    return f"timeline-{after + 1}-{last}"


def plain(text: str) -> str:
    """Text that ServiceNow shows as written."""
    return _CODE_TAG.sub(r"(\1code)", text)


def _handoff_text(event: EventRow) -> str | None:
    if event.kind != EventKind.HANDOFF_POSTED:
        return None
    text = event.data.get("text")
    return text if isinstance(text, str) and text.strip() else None


def _stamp(event: EventRow) -> str:
    return f"{event.at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def entry(event: EventRow) -> str | None:
    """One timeline entry as text (UTC time, actor, summary), or None for bookkeeping."""
    if event.kind in QUIET_KINDS:
        return None
    handoff = _handoff_text(event)
    if handoff is not None:
        return plain(f"{_stamp(event)} | {event.actor} | Handoff\n{handoff}")
    summary = " ".join(event.summary.split()) or event.kind
    return plain(clip(f"{_stamp(event)} | {event.actor} | {summary}", MAX_LINE))


def choose(events: Sequence[EventRow]) -> list[EventRow]:
    """The oldest entries that make one batch: a handoff goes alone, the rest by count and size."""
    if not events:
        return []
    if _handoff_text(events[0]) is not None:
        return [events[0]]
    chosen: list[EventRow] = []
    size = 0
    for event in events[:MAX_ENTRIES]:
        if _handoff_text(event) is not None:
            break
        line = entry(event)
        grown = size + (len(line) + 1 if line is not None else 0)
        if chosen and grown > MAX_BATCH_CHARS:
            break
        chosen.append(event)
        size = grown
    return chosen


def render(events: Sequence[EventRow]) -> str:
    """The work-note text of a batch, oldest entry first; empty when all are bookkeeping."""
    lines = [line for line in (entry(e) for e in events) if line is not None]
    return "\n".join(lines)
