"""The deterministic parser on the labelled set, and one case per rule that matters."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chat.evaluation import EVAL_SERVICES, load_cases, score
from bot.chat.intents import Intent, Parsed
from bot.chat.parser import duration_minutes, incident_reference, parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "chat"


async def _read(text: str) -> Parsed:
    return parse(text, EVAL_SERVICES)


async def test_labelled_set_has_at_least_fifty_messages_and_the_parser_meets_its_floor() -> None:
    cases = load_cases(FIXTURES / "responder_messages.jsonl")
    assert len(cases) >= 50
    result = await score(cases, _read)
    assert result.intent_accuracy >= 0.9, result.misses
    assert result.entity_accuracy >= 0.85, result.misses


async def test_every_intent_is_represented_in_the_labelled_set() -> None:
    cases = load_cases(FIXTURES / "responder_messages.jsonl")
    assert {c.intent for c in cases} == set(Intent)


@pytest.mark.parametrize(
    ("text", "intent", "entities"),
    [
        # A request is a leading verb, after politeness.
        ("<@U1> could you please restart checkout", Intent.RESTART, {"service": "checkout"}),
        # A remark that names a verb is not an order.
        ("it fell over again right after the restart", Intent.UNKNOWN, {}),
        # A question about a past action is a question, not a request.
        ("did the rollback work?", Intent.ACTIONS, {}),
        ("scale cart by +3", Intent.SCALE, {"service": "cart", "replicas_delta": "3"}),
        ("rollback payments to rev-42", Intent.ROLLBACK, {"service": "payments"}),
        ("turn on the beta-search flag", Intent.ENABLE_FLAG, {"flag": "beta-search"}),
        ("page the storage team", Intent.PAGE, {"team": "storage"}),
        ("freeze for 2h", Intent.FREEZE, {"duration_minutes": "120"}),
        ("reboot the node", Intent.UNSUPPORTED, {}),
        # Only known services are entities; an unknown word is never a target.
        ("restart frobnicator", Intent.RESTART, {"named": "frobnicator"}),
        ("restart the pods", Intent.RESTART, {}),
        ("what's the status of INC 44", Intent.STATUS, {"incident": "44"}),
    ],
)
def test_rules(text: str, intent: Intent, entities: dict[str, str]) -> None:
    parsed = parse(text, EVAL_SERVICES)
    assert parsed.intent is intent
    assert dict(parsed.entities) == entities


def test_incident_reference_ignores_channel_and_user_mentions() -> None:
    assert incident_reference("<#C123|inc-1> <@U999> hi") is None
    assert incident_reference("status of #12 please") == "12"


def test_durations() -> None:
    assert duration_minutes("for half an hour") == 30
    assert duration_minutes("for 45 minutes") == 45
    assert duration_minutes("until later") is None


def test_a_malformed_evaluation_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "intent": "status", "entities": {}}\n{"text": "y"}\n')
    with pytest.raises(ValueError, match="line 2"):
        load_cases(bad)
