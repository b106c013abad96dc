"""Intake contexts for tests that drive the database stages without a request."""

from __future__ import annotations

from datetime import datetime

from bot.intake.context import IntakeContext


def bare_context(correlation_id: str, received_at: datetime) -> IntakeContext:
    """A delivery with no source and an empty body: its outcomes are the test's to add."""
    return IntakeContext(
        source=None,  # type: ignore[arg-type]
        headers={},
        content_type="application/json",
        body=b"{}",
        received_at=received_at,
        correlation_id=correlation_id,
    )
