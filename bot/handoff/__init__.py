"""The handoff summary: facts from the event log, a paragraph, Block Kit and plain text."""

from bot.handoff.build import DEFAULT_MAX_TIMELINE, build_handoff
from bot.handoff.models import (
    ActionOutcome,
    ActionRecord,
    EvidenceItem,
    Fact,
    HandoffDocument,
    HandoffLink,
    Hypothesis,
    LinkKind,
    Person,
    SummaryOrigin,
    TimelineEntry,
)
from bot.handoff.prose import SummaryWriter, facts_text, neutralise, template_summary, with_summary
from bot.handoff.render import notification_text, render_blocks, render_text

__all__ = [
    "DEFAULT_MAX_TIMELINE",
    "ActionOutcome",
    "ActionRecord",
    "EvidenceItem",
    "Fact",
    "HandoffDocument",
    "HandoffLink",
    "Hypothesis",
    "LinkKind",
    "Person",
    "SummaryOrigin",
    "SummaryWriter",
    "TimelineEntry",
    "build_handoff",
    "facts_text",
    "neutralise",
    "notification_text",
    "render_blocks",
    "render_text",
    "template_summary",
    "with_summary",
]
