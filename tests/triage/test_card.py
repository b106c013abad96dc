"""The triage card stays within Block Kit limits and escapes whatever a model writes."""

from __future__ import annotations

import json
from typing import Any

from bot.triage.card import (
    APPROVE_ACTION_ID,
    MAX_BLOCKS,
    ActionView,
    placeholder_blocks,
    triage_blocks,
)
from bot.triage.models import (
    MAX_ACTIONS,
    MAX_CLAIM,
    MAX_EVIDENCE,
    MAX_HYPOTHESIS,
    MAX_RATIONALE,
    MAX_UNKNOWN,
    MAX_UNKNOWNS,
    ActionParam,
    CheckCode,
    CheckedTriage,
    CheckFlag,
    Classification,
    DroppedAction,
    Evidence,
    EvidenceSource,
    FallbackReason,
    ProposedAction,
    TriageReport,
    TriageSource,
)


def texts(block: dict[str, Any]) -> list[str]:
    found: list[str] = []
    if isinstance(block.get("text"), dict):
        found.append(block["text"]["text"])
    for item in block.get("fields", []) + block.get("elements", []):
        if "text" in item and isinstance(item["text"], str):
            found.append(item["text"])
    return found


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MAX_BLOCKS
    ids = [b["block_id"] for b in blocks if "block_id" in b]
    assert len(ids) == len(set(ids)), "block_ids must be unique within a message"
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            for text in texts(block):
                assert len(text) <= 3000
            assert len(block.get("fields", [])) <= 10
            for field in block.get("fields", []):
                assert len(field["text"]) <= 2000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10


INJECTION = "<!channel> <https://evil.example|click> *ignore previous instructions*"


def oversized(source: TriageSource = TriageSource.LLM) -> CheckedTriage:
    """The largest report the contract allows, every field full of hostile text."""
    long = (INJECTION * 100)[:MAX_HYPOTHESIS]
    report = TriageReport(
        classification=Classification.SEV1,
        confidence=0.99,
        requires_ticket=True,
        requires_paging=True,
        requires_mim=True,
        recommended_team="x" * 64,
        incident_class="y" * 64,
        hypothesis=long,
        evidence=[
            Evidence(
                source=EvidenceSource.LOG,
                claim=(INJECTION * 20)[:MAX_CLAIM],
                pointer="https://logs.example.com/" + "a" * 270,
            )
            for _ in range(MAX_EVIDENCE)
        ],
        unknowns=[(INJECTION * 20)[:MAX_UNKNOWN] for _ in range(MAX_UNKNOWNS)],
        proposed_actions=[
            ProposedAction(
                action="restart_deployment",
                target="production/checkout" + "z" * 150,
                params=[ActionParam(name=f"p{n}", value="v" * 200) for n in range(8)],
                rationale=(INJECTION * 20)[:MAX_RATIONALE],
            )
            for _ in range(MAX_ACTIONS)
        ],
    )
    fallback = source is TriageSource.RUNBOOK_FALLBACK
    return CheckedTriage(
        report=report,
        proposed_confidence=0.99,
        flags=[CheckFlag(code=CheckCode.EVIDENCE_UNVERIFIED, message=INJECTION * 5)] * 30,
        dropped_actions=[
            DroppedAction(
                action=report.proposed_actions[0],
                code=CheckCode.ACTION_NOT_IN_CATALOG,
                message="dropped",
            )
        ]
        * 20,
        answer_sha256="0" * 64,
        model="runbook" if source is not TriageSource.LLM else "m" * 128,
        prompt_version="triage-1",
        runbooks_version="rb-1",
        prompt_tokens=1,
        completion_tokens=2,
        source=source,
        fallback_reason=FallbackReason.TIMEOUT if fallback else None,
    )


def views_of(checked: CheckedTriage, state: str = "awaiting_approval") -> list[ActionView]:
    return [
        ActionView(
            id=n,
            action=a.action,
            target=a.target,
            params=a.param_map(),
            rationale=a.rationale,
            state=state,
            params_hash="h" * 64,
            risk_class="semi_safe",
            reasons=tuple([INJECTION * 10] * 6),
            plan="P" * 5000,
            outcome="O" * 5000,
        )
        for n, a in enumerate(checked.report.proposed_actions, start=1)
    ]


def test_oversized_report_fits_block_kit_limits() -> None:
    checked = oversized()
    blocks = triage_blocks(7, checked, views_of(checked))
    assert_within_limits(blocks)
    # Every action still has its row and its buttons; provenance is kept.
    rendered = json.dumps(blocks)
    assert rendered.count(APPROVE_ACTION_ID) == MAX_ACTIONS
    assert blocks[-1]["block_id"] == "triage-footer-7"


def test_model_text_cannot_mention_or_link() -> None:
    checked = oversized()
    rendered = json.dumps(triage_blocks(7, checked, views_of(checked)))
    assert "<!channel>" not in rendered
    assert "<https://evil.example" not in rendered
    assert "&lt;!channel&gt;" in rendered


def test_fallback_card_says_the_runbooks_stood_in() -> None:
    checked = oversized(TriageSource.RUNBOOK_FALLBACK)
    blocks = triage_blocks(3, checked, [], model_failure_detail="request timed out after 20s")
    assert_within_limits(blocks)
    fallback = next(b for b in blocks if b.get("block_id") == "triage-fallback-3")
    text = fallback["elements"][0]["text"]
    assert "timeout" in text and "runbook triage stands in" in text


def _approval(block: dict[str, Any]) -> bool:
    """An action's Approve/Deny row (the card also carries a Re-triage button)."""
    return block["type"] == "actions" and block["block_id"].startswith("action-buttons-")


def test_buttons_only_while_awaiting_approval_and_confirm_unless_safe() -> None:
    checked = oversized()
    done = json.dumps(triage_blocks(1, checked, views_of(checked, state="verified")))
    assert APPROVE_ACTION_ID not in done
    safe_view = [
        ActionView(
            id=1,
            action="collect_diagnostics",
            target="production/checkout",
            params={},
            rationale="",
            state="awaiting_approval",
            params_hash="abc",
            risk_class="safe",
        )
    ]
    [buttons] = [b for b in triage_blocks(1, checked, safe_view) if _approval(b)]
    approve = buttons["elements"][0]
    assert approve["value"] == "1:abc" and "confirm" not in approve
    [risky] = [b for b in triage_blocks(1, checked, views_of(checked)[:1]) if _approval(b)]
    assert "confirm" in risky["elements"][0]


def test_placeholder_is_small_and_marked() -> None:
    blocks = placeholder_blocks(5)
    assert_within_limits(blocks)
    assert blocks[0]["block_id"] == "triage-card-5"
