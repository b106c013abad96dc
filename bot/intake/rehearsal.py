"""Made-up deliveries the intake runs through once before serving, then rolls back.

Six firing alerts from six services of an environment no one uses: the first open
incidents of their own, the breaker opens a storm (at the shipped threshold of five
services) and the last joins it. Between them they use every statement of the alert
path, so building and preparing those is done before the first real alert, not during
it (bot/intake/commit.py, `GroupCommit.rehearse`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.domain.errors import IntakeError
from bot.domain.signals import Severity, Signal, SignalStatus
from bot.intake.context import IntakeContext, SignalOutcome
from bot.intake.stages.normalize import with_subject
from bot.ports.alerts import NormalizeDefaults, Rejected
from bot.subjects.rules import SubjectRules

ENVIRONMENT = "smokejumper-rehearsal"
SERVICES = 6


class RehearsalSource:
    """Where the made-up deliveries say they came from; no request ever comes from it."""

    name = "rehearsal"
    body_decides_signals = False

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        raise IntakeError(403, "rehearsal_only", "the rehearsal source takes no requests")

    def parse(self, document: Any) -> Any:
        raise IntakeError(403, "rehearsal_only", "the rehearsal source takes no requests")

    def check_fresh(self, payload: Any, now: datetime) -> None:
        return None

    def normalize(self, payload: Any, defaults: NormalizeDefaults) -> Sequence[Signal | Rejected]:
        return []


def rehearsal_deliveries(
    rules: SubjectRules, group_by: list[str], now: datetime
) -> list[IntakeContext]:
    """One delivery per made-up service, each with its alert decoded as intake would."""
    source = RehearsalSource()
    deliveries = []
    for n in range(SERVICES):
        service = f"rehearsal-{n}"
        labels = {"alertname": "SmokejumperRehearsal", "service": service}
        signal = with_subject(
            Signal(
                source=source.name,
                environment=ENVIRONMENT,
                service=service,
                fingerprint=f"{n:016x}",
                severity=Severity.WARNING,
                status=SignalStatus.FIRING,
                summary="Rehearsal before serving",
                labels={**labels, "environment": ENVIRONMENT},
                starts_at=now,
            ),
            rules,
        )
        ctx = IntakeContext(
            source=source,
            headers={},
            content_type="application/json",
            body=b"",
            received_at=now,
            correlation_id=uuid.uuid4().hex,
        )
        ctx.outcomes.append(
            SignalOutcome(
                signal=signal,
                group_key=signal.group_key(group_by),
                occurrence_key=signal.occurrence_key(),
            )
        )
        deliveries.append(ctx)
    return deliveries
