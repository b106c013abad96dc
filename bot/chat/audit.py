"""Each step of a conversation in the event log, with the hashes of its input and output."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog

CHAT_ACTOR = "smokejumper"


def digest(value: Any) -> str:
    """sha256 of a value's canonical JSON (strings hashed as they are)."""
    raw = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def step(
    session: AsyncSession,
    kind: EventKind,
    summary: str,
    *,
    incident_id: int | None,
    correlation_id: str,
    at: datetime,
    given: Any,
    produced: Any,
    **data: Any,
) -> None:
    """One parser, strategist or answer step; the hashes tie it to what it read and wrote."""
    eventlog.record(
        session,
        kind=kind,
        summary=summary[:500],
        actor=CHAT_ACTOR,
        correlation_id=correlation_id,
        at=at,
        incident_id=incident_id,
        data={"input_sha256": digest(given), "output_sha256": digest(produced), **data},
    )
