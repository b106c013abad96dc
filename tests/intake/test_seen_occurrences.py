"""Repeats of committed occurrences are answered without a transaction, and only those."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.domain.errors import IntakeError
from bot.domain.signals import Severity, Signal, SignalStatus
from bot.intake.context import Disposition, IntakeContext, SignalOutcome
from bot.intake.pipeline import Pipeline
from bot.intake.seen import CommittedOccurrences
from bot.store.models import SignalRow
from tests.conftest import fixture_json
from tests.support.engine_events import engine_events
from tests.support.harness import Harness
from tests.support.intake import bare_context


def _firing(fingerprint: str) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(fixture_json("alertmanager/alertmanager_0.25_firing.json"))
    body["alerts"] = body["alerts"][:1]
    body["alerts"][0]["fingerprint"] = fingerprint
    return body


def test_the_least_recently_seen_key_is_forgotten_first() -> None:
    seen = CommittedOccurrences(2)
    seen.add(["a", "b"])
    assert seen.known("a")  # "b" is now the oldest
    seen.add(["c"])
    assert (seen.known("a"), seen.known("b"), seen.known("c")) == (True, False, True)
    assert len(seen) == 2


def test_capacity_zero_remembers_nothing() -> None:
    seen = CommittedOccurrences(0)
    seen.add(["a"])
    assert not seen.known("a")


@pytest.mark.both_databases
async def test_a_repeat_delivery_is_a_duplicate_without_a_transaction(harness: Harness) -> None:
    body = _firing("00000000000000aa")
    first = await harness.post("/alerts/alertmanager", body)
    assert first.status == 202 and first.body["outcomes"] == {"opened": 1}

    with engine_events(harness, "begin") as began:
        again = await harness.post("/alerts/alertmanager", body)
    assert again.status == 202 and again.body["outcomes"] == {"duplicate": 1}
    assert began == []
    assert await harness.count(SignalRow) == 1

    # A new occurrence of the same alert (it resolved) still goes to the database.
    resolved = copy.deepcopy(body)
    resolved["alerts"][0]["status"] = "resolved"
    resolved["alerts"][0]["endsAt"] = "2030-01-01T00:00:00Z"
    resolved["status"] = "resolved"
    after = await harness.post("/alerts/alertmanager", resolved)
    assert after.status == 202 and after.body["outcomes"] == {"resolved": 1}
    assert await harness.count(SignalRow) == 2


class _OneSignal:
    """A request stage: one signal whose occurrence is `key`."""

    name = "one-signal"

    def __init__(self, signal: Signal, key: str) -> None:
        self._signal, self._key = signal, key

    async def __call__(self, ctx: IntakeContext) -> None:
        ctx.outcomes.append(SignalOutcome(self._signal, occurrence_key=self._key))


class _Database:
    """Stands in for the group commit: fails while `failing`, else stores what it is given."""

    def __init__(self) -> None:
        self.failing = True
        self.runs = 0

    async def run(self, ctx: IntakeContext) -> None:
        self.runs += 1
        if self.failing:
            raise IntakeError(503, "database_unavailable", "the database is down")
        for outcome in ctx.outcomes:
            outcome.disposition = Disposition.OPENED


async def test_an_occurrence_is_remembered_only_after_its_commit() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    signal = Signal(
        source="alertmanager",
        environment="production",
        service="checkout",
        fingerprint="00000000000000bb",
        severity=Severity.WARNING,
        status=SignalStatus.FIRING,
        summary="x",
        starts_at=at,
    )
    database = _Database()
    stages = [_OneSignal(signal, "key-1")]
    pipeline = Pipeline(stages, database, CommittedOccurrences(10))  # type: ignore[arg-type]

    def ctx() -> IntakeContext:
        return bare_context("c", at)

    with pytest.raises(IntakeError):
        await pipeline.run(ctx())
    database.failing = False
    stored = await pipeline.run(ctx())
    assert [o.disposition for o in stored.outcomes] == [Disposition.OPENED]
    repeat = await pipeline.run(ctx())
    assert [o.disposition for o in repeat.outcomes] == [Disposition.DUPLICATE]
    assert database.runs == 2
