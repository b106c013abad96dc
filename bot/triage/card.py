"""Block Kit for the triage card: placeholder, then the checked report and its actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.slack_text import clip, escape, escape_keeping_mentions, person
from bot.triage.models import CheckedTriage, TriageSource

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000
MAX_BUTTON_TEXT = 75
MAX_EVIDENCE_SHOWN = 6
MAX_UNKNOWNS_SHOWN = 5
MAX_FLAGS_SHOWN = 6

APPROVE_ACTION_ID = "sj_action_approve"
DENY_ACTION_ID = "sj_action_deny"
RETRIAGE_ACTION_ID = "sj_triage_rerun"
MAX_CHANGED_SHOWN = 6
UNDO_ACTION_ID = "sj_action_undo"

STATE_LABEL = {
    "proposed": "🕓 proposed",
    "awaiting_approval": "✋ waiting for approval",
    "approved": "👍 approved",
    "denied": "🚫 denied",
    "executing": "⚙️ running",
    "succeeded": "✔️ done, verifying",
    "failed": "❌ failed",
    "verified": "✅ verified",
    "unverified": "⚠️ not verified",
    "expired": "⌛ expired",
    "superseded": "↪️ superseded",
    "shadowed": "👻 shadow mode: recorded, not run",
    "escalated": "📣 escalated to humans",
    "forbidden": "⛔ forbidden by policy",
    "interrupted": "⚠️ interrupted; not re-run",
    "withdrawn": "🔍 not proposed: the dry run found no such target",
    "cancelled": "🛑 no longer offered: the incident ended before a decision",
}


@dataclass(frozen=True, slots=True)
class ActionView:
    """What the card shows of one proposed action."""

    action: str
    target: str
    params: dict[str, str]
    rationale: str
    state: str = "proposed"
    id: int | None = None
    params_hash: str = ""
    decision: str = ""
    reasons: tuple[str, ...] = ()
    risk_class: str = ""
    approvals_needed: int = 0
    approvers: tuple[str, ...] = ()
    decided_by: str | None = None
    decided_at: datetime | None = None
    plan: str | None = None
    outcome: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    # Executed, reversible, not undone yet: the card offers Undo.
    undoable: bool = False
    undo_of: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One recent change of the incident's service, as the card lists it."""

    kind: str
    description: str
    at: datetime
    pointer: str = ""
    actor: str = ""


@dataclass(frozen=True, slots=True)
class RecentChanges:
    """The changes within the lookback, newest first, and how far back that is."""

    lookback_minutes: int
    changes: tuple[ChangeView, ...] = ()


MAX_CHANGES_SHOWN = 5


def triage_marker(incident_id: int) -> str:
    """The block_id that identifies an incident's triage card among the bot's messages."""
    return f"triage-card-{incident_id}"


def placeholder_text(incident_id: int) -> str:
    return f"Triage of incident #{incident_id} in progress"


def placeholder_blocks(incident_id: int) -> list[dict[str, Any]]:
    """Posted with the channel, so responders see at once that a triage is coming."""
    return [
        _header(triage_marker(incident_id), "🧭 Triage"),
        _context(
            f"triage-status-{incident_id}",
            "⏳ Triage in progress: matching runbooks, recent changes and similar incidents…",
        ),
    ]


def triage_text(incident_id: int, checked: CheckedTriage) -> str:
    report = checked.report
    return (
        f"Triage of incident #{incident_id}: {report.incident_class}, "
        f"{report.classification}, confidence {report.confidence:.2f}"
    )


def triage_blocks(
    incident_id: int,
    checked: CheckedTriage,
    actions: Sequence[ActionView],
    *,
    severity: str = "",
    recent: RecentChanges | None = None,
    model_failure_detail: str = "",
    what_changed: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The full card, within Block Kit limits whatever the report holds."""
    report = checked.report
    blocks: list[dict[str, Any]] = [
        _header(triage_marker(incident_id), f"🧭 Triage · {report.incident_class}"),
        {
            "type": "section",
            "block_id": f"triage-fields-{incident_id}",
            "fields": [
                *([_field("Alert severity", _severity(severity))] if severity else []),
                _field("Triage classification", f"{report.classification.value} (low to sev1)"),
                _field("Confidence", _confidence(checked)),
                _field("Source", _source(checked)),
                _field("Team", escape(clip(report.recommended_team, 64))),
                _field("Needs", _needs(checked)),
            ],
        },
    ]
    if what_changed:
        shown = "; ".join(escape(clip(line, 200)) for line in what_changed[:MAX_CHANGED_SHOWN])
        blocks.append(
            _context(f"triage-changed-{incident_id}", f"🔄 *Re-triaged; what changed:* {shown}")
        )
    if checked.source is TriageSource.RUNBOOK_FALLBACK:
        reason = checked.fallback_reason.value if checked.fallback_reason else "unknown"
        detail = f": {escape(clip(model_failure_detail, 300))}" if model_failure_detail else ""
        blocks.append(
            _context(
                f"triage-fallback-{incident_id}",
                f"⚠️ The model's answer could not be used ({reason}{detail}). "
                "The runbook triage stands in.",
            )
        )
    blocks.append(
        _section(f"triage-hypothesis-{incident_id}", "*Hypothesis*\n" + escape(report.hypothesis))
    )
    if report.evidence:
        lines = [
            f"• _{e.source.value}_ {escape(clip(e.claim, 300))} — {_pointer(e.pointer)}"
            for e in report.evidence[:MAX_EVIDENCE_SHOWN]
        ]
        more = len(report.evidence) - MAX_EVIDENCE_SHOWN
        if more > 0:
            lines.append(f"_…and {more} more_")
        blocks.append(_section(f"triage-evidence-{incident_id}", "*Evidence*\n" + "\n".join(lines)))
    if report.unknowns:
        lines = [f"• {escape(clip(u, 300))}" for u in report.unknowns[:MAX_UNKNOWNS_SHOWN]]
        blocks.append(_section(f"triage-unknowns-{incident_id}", "*Unknowns*\n" + "\n".join(lines)))
    flags = [f for f in checked.flags if f.code.value != "fallback"]
    if flags:
        text = "\n".join(f"🔎 {escape(clip(f.message, 300))}" for f in flags[:MAX_FLAGS_SHOWN]) + (
            f"\n…and {len(flags) - MAX_FLAGS_SHOWN} more" if len(flags) > MAX_FLAGS_SHOWN else ""
        )
        blocks.append(_context(f"triage-checks-{incident_id}", "*Checks:* " + text))
    if recent is not None:
        blocks.append(_changes_section(incident_id, recent))
    blocks.append({"type": "divider"})
    if actions:
        shared = _shared_reasons(actions)
        heading = "*Proposed actions*"
        if shared:
            # Said once for all of them rather than under each one.
            heading += "\n_Policy for every action:_ " + "; ".join(
                escape(clip(r, 200)) for r in shared[:3]
            )
        blocks.append(_section(f"triage-actions-{incident_id}", heading))
        for number, view in enumerate(actions, start=1):
            blocks.extend(_action_blocks(incident_id, number, view, hide=frozenset(shared)))
    else:
        blocks.append(
            _section(f"triage-actions-{incident_id}", "*Proposed actions:* none; humans decide.")
        )
    if checked.dropped_actions:
        dropped = "; ".join(
            f"`{escape(clip(d.action.action, 64))}` ({d.code.value})"
            for d in checked.dropped_actions[:8]
        )
        blocks.append(
            _context(
                f"triage-dropped-{incident_id}",
                f"🚫 Dropped by the checks, never offered: {dropped}",
            )
        )
    blocks.append(_retriage_button(incident_id))
    blocks.append(_context(f"triage-footer-{incident_id}", _footer(checked)))
    return _fit(blocks)


def _retriage_button(incident_id: int) -> dict[str, Any]:
    """Triage again with the newest signals, changes, outcomes and conversation."""
    return {
        "type": "actions",
        "block_id": f"triage-rerun-{incident_id}",
        "elements": [
            {
                "type": "button",
                "action_id": RETRIAGE_ACTION_ID,
                "text": {"type": "plain_text", "text": "🔄 Re-triage"},
                "value": str(incident_id),
            }
        ],
    }


def action_blocks(incident_id: int, number: int, view: ActionView) -> list[dict[str, Any]]:
    """One action as the triage card shows it (buttons too), for replies in a thread."""
    return _action_blocks(incident_id, number, view)


def _changes_section(incident_id: int, recent: RecentChanges) -> dict[str, Any]:
    hours = recent.lookback_minutes / 60
    window = f"last {hours:g} h" if hours >= 1 else f"last {recent.lookback_minutes} min"
    if not recent.changes:
        return _section(
            f"triage-changes-{incident_id}", f"*Recent changes* ({window}): none recorded"
        )
    lines = []
    for change in recent.changes[:MAX_CHANGES_SHOWN]:
        by = f" by {escape(clip(change.actor, 60))}" if change.actor else ""
        link = f" {_pointer(change.pointer)}" if change.pointer else ""
        lines.append(
            f"• `{change.at:%m-%d %H:%M}` _{escape(change.kind)}_ "
            f"{escape(clip(change.description, 200))}{by}{link}"
        )
    more = len(recent.changes) - MAX_CHANGES_SHOWN
    if more > 0:
        lines.append(f"_…and {more} more_")
    return _section(
        f"triage-changes-{incident_id}",
        f"*Recent changes* ({window}, newest first)\n" + "\n".join(lines),
    )


def _shared_reasons(actions: Sequence[ActionView]) -> list[str]:
    """Reasons every one of several decided actions carries."""
    decided = [a for a in actions if a.reasons]
    if len(decided) < 2 or len(decided) != len(actions):
        return []
    common = set(decided[0].reasons).intersection(*(set(a.reasons) for a in decided[1:]))
    return [r for r in decided[0].reasons if r in common]


def _severity(severity: str) -> str:
    icons = {"critical": "🔴", "error": "🟠", "warning": "🟡", "info": "🔵"}
    return f"{icons.get(severity, '')} {escape(severity)} (info to critical)".strip()


def _action_blocks(
    incident_id: int, number: int, view: ActionView, hide: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    key = view.id if view.id is not None else f"{incident_id}-{number}"
    params = ", ".join(f"{escape(k)}={escape(v)}" for k, v in sorted(view.params.items()))
    ref = f" · #{view.id}" if view.id is not None else ""
    undo = f"↩️ undo of #{view.undo_of}: " if view.undo_of is not None else ""
    lines = [
        f"*{number}. {undo}`{escape(clip(view.action, 64))}`* → `{escape(clip(view.target, 200))}`"
        + (f"  ({clip(params, 400)})" if params else "")
        + ref,
        f"_{escape_keeping_mentions(clip(view.rationale, 500))}_" if view.rationale else "",
    ]
    if view.plan:
        lines.append(f"*Dry run:* {escape(clip(view.plan, 800))}")
    status = STATE_LABEL.get(view.state, view.state)
    if view.decided_by and view.decided_at:
        status += f" by {_who(view.decided_by)} at {view.decided_at:%H:%M} UTC"
    elif view.approvers:
        status += " · approved by " + ", ".join(person(a) for a in view.approvers)
    if view.outcome:
        status += f" · {escape(clip(view.outcome, 400))}"
    lines.append(f"*Status:* {status}")
    blocks: list[dict[str, Any]] = [
        _section(f"action-{key}", "\n".join(line for line in lines if line))
    ]
    if view.state == "awaiting_approval" and view.id is not None:
        blocks.append(_buttons(view))
    elif view.undoable and view.id is not None:
        blocks.append(_undo_button(view))
    reasons = "; ".join(escape(clip(r, 200)) for r in view.reasons[:4] if r not in hide)
    detail = " · ".join(
        part
        for part in (
            f"policy: {escape(view.decision)}" if view.decision else "",
            f"risk: {escape(view.risk_class)}" if view.risk_class else "",
            reasons,
        )
        if part
    )
    if detail:
        blocks.append(_context(f"action-why-{key}", detail))
    return blocks


def _buttons(view: ActionView) -> dict[str, Any]:
    """Approve/Deny, bound to the action and the hash of what was proposed."""
    value = f"{view.id}:{view.params_hash}"
    approve: dict[str, Any] = {
        "type": "button",
        "action_id": APPROVE_ACTION_ID,
        "style": "primary",
        "text": {"type": "plain_text", "text": "Approve"},
        "value": value,
    }
    if view.risk_class != "safe":
        approve["confirm"] = {
            "title": {"type": "plain_text", "text": "Run this action?"},
            "text": {
                "type": "mrkdwn",
                "text": clip(
                    f"`{escape(view.action)}` on `{escape(view.target)}` "
                    f"is {escape(view.risk_class or 'not marked safe')}."
                    + (f"\n{escape(view.plan)}" if view.plan else ""),
                    300,
                ),
            },
            "confirm": {"type": "plain_text", "text": "Approve"},
            "deny": {"type": "plain_text", "text": "Cancel"},
            "style": "danger",
        }
    deny = {
        "type": "button",
        "action_id": DENY_ACTION_ID,
        "text": {"type": "plain_text", "text": "Deny"},
        "value": value,
    }
    return {"type": "actions", "block_id": f"action-buttons-{view.id}", "elements": [approve, deny]}


def _who(decider: str) -> str:
    """A person as a mention; the policy deciding by itself is named, never mentioned."""
    return "the policy" if decider == "policy" else person(decider)


def _undo_button(view: ActionView) -> dict[str, Any]:
    """Propose the undo; it gets its own dry run and approval before anything runs."""
    button = {
        "type": "button",
        "action_id": UNDO_ACTION_ID,
        "text": {"type": "plain_text", "text": "Undo"},
        "value": str(view.id),
        "confirm": {
            "title": {"type": "plain_text", "text": "Propose an undo?"},
            "text": {
                "type": "plain_text",
                "text": clip(
                    f"Undo #{view.id} {view.action} on {view.target}: its dry run is shown, "
                    "and it runs once approved like the action was.",
                    300,
                ),
            },
            "confirm": {"type": "plain_text", "text": "Propose"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        },
    }
    return {"type": "actions", "block_id": f"action-undo-{view.id}", "elements": [button]}


def _confidence(checked: CheckedTriage) -> str:
    text = f"{checked.report.confidence:.2f}"
    if checked.proposed_confidence > checked.report.confidence:
        text += f" (capped from {checked.proposed_confidence:.2f})"
    return text


def _source(checked: CheckedTriage) -> str:
    if checked.source is TriageSource.LLM:
        return f"model `{escape(clip(checked.model, 60))}`"
    if checked.source is TriageSource.RUNBOOK_FALLBACK:
        return "runbooks (model fallback)"
    return "runbooks"


def _needs(checked: CheckedTriage) -> str:
    report = checked.report
    needs = [
        name
        for name, wanted in (
            ("ticket", report.requires_ticket),
            ("paging", report.requires_paging),
            ("major incident", report.requires_mim),
        )
        if wanted
    ]
    return ", ".join(needs) or "—"


def _pointer(pointer: str) -> str:
    if pointer.startswith(("https://", "http://")) and "|" not in pointer and " " not in pointer:
        return f"<{escape(clip(pointer, 500))}|link>"
    return f"`{escape(clip(pointer, 120))}`"


def _footer(checked: CheckedTriage) -> str:
    return (
        f"model {escape(clip(checked.model, 60))} · prompt {escape(checked.prompt_version)} · "
        f"runbooks {escape(checked.runbooks_version)} · answer {checked.answer_sha256[:12]} · "
        f"tokens {checked.prompt_tokens}/{checked.completion_tokens}"
    )


def _field(title: str, value: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip(f"*{title}*\n{value}", 2000)}


def _header(block_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "header",
        "block_id": block_id,
        "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_TEXT)},
    }


def _section(block_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "section",
        "block_id": block_id,
        "text": {"type": "mrkdwn", "text": clip(text, MAX_SECTION_TEXT)},
    }


def _context(block_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "context",
        "block_id": block_id,
        "elements": [{"type": "mrkdwn", "text": clip(text, MAX_CONTEXT_TEXT)}],
    }


def _fit(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Never more than Slack accepts; the footer (provenance) is always kept."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    kept = blocks[: MAX_BLOCKS - 2]
    kept.append(_context("triage-more", f"…{len(blocks) - MAX_BLOCKS + 1} more blocks not shown"))
    kept.append(blocks[-1])
    return kept
