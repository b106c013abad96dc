"""The labelled evaluation set of responder messages, and how a reader scores on it."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.chat.intents import Intent, Parsed

# The services the evaluation's world knows (as a services file would name them).
EVAL_SERVICES = ("checkout", "payments", "cart")


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled message."""

    text: str
    intent: Intent
    entities: dict[str, str]


@dataclass(slots=True)
class Score:
    """Intent and entity accuracy, and the cases a reader got wrong."""

    total: int = 0
    intents_right: int = 0
    entities_right: int = 0
    misses: list[tuple[Case, Parsed]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.total if self.total else 0.0

    @property
    def entity_accuracy(self) -> float:
        return self.entities_right / self.total if self.total else 0.0


def load_cases(path: Path) -> list[Case]:
    """Cases from a JSON-lines file; a malformed line names its number."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            cases.append(Case(str(raw["text"]), Intent(raw["intent"]), dict(raw["entities"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: {exc}") from None
    return cases


async def score(cases: Sequence[Case], read: Callable[[str], Awaitable[Parsed]]) -> Score:
    """How `read` does on `cases`: an intent is right or wrong; entities must match exactly."""
    result = Score()
    for case in cases:
        parsed = await read(case.text)
        result.total += 1
        intent_ok = parsed.intent is case.intent
        entities_ok = dict(parsed.entities) == case.entities
        result.intents_right += intent_ok
        result.entities_right += intent_ok and entities_ok
        if not (intent_ok and entities_ok):
            result.misses.append((case, parsed))
    return result
