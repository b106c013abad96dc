"""The `AlertSource` capability: verify, parse and normalize one vendor's webhook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.domain.signals import Signal


@dataclass(frozen=True)
class NormalizeDefaults:
    """What a source falls back on when the payload does not say."""

    environment: str
    received_at: datetime


@dataclass(frozen=True)
class Rejected:
    """One alert of a batch that could not be taken; the rest of the batch still is."""

    index: int
    reason: str


class AlertSource(Protocol):
    """One inbound alert format. Each method raises IntakeError on bad input."""

    name: str
    # True when the signals depend on the body alone (no clock, no freshness window), so
    # a byte-identical body may reuse an earlier decoding (bot/intake/known_bodies.py).
    body_decides_signals: bool

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None: ...

    def parse(self, document: Any) -> Any: ...

    def check_fresh(self, payload: Any, now: datetime) -> None: ...

    def normalize(
        self, payload: Any, defaults: NormalizeDefaults
    ) -> Sequence[Signal | Rejected]: ...
