"""Bodies decoded moments ago, with the signals they gave: a repeat skips the decoding.

Alertmanager sends the same notification again and again: each HA peer sends it, and
an unchanged group is re-sent on every `repeat_interval`. Where a source's signals
depend on the body alone (`AlertSource.body_decides_signals`), a byte-identical body
gives the same signals, so parsing, validating and normalizing it again is wasted; on
the repeat path that was most of the time a delivery took.

Keyed by the body's exact bytes (and its source and content type), so a hit is never a
different body. Bounded by an estimate of the memory kept: the body's bytes, plus
`SIGNAL_COST` for each decoded signal (measured at about 5 KB each with their labels); the
least recently seen go first. What is kept is the decoding only: authentication, the
alert budget and dedup still run for every delivery.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.domain.signals import Signal
from bot.ports.alerts import Rejected

# A body larger than this is decoded every time: kept, it would crowd out many others.
LARGEST_KEPT = 64 * 1024
# What one decoded signal is counted as taking, on top of its body's bytes.
SIGNAL_COST = 5 * 1024


@dataclass(frozen=True)
class Decoded:
    """What decoding one body gave: each signal with its keys, and the alerts refused."""

    signals: tuple[tuple[Signal, str, str], ...]  # signal, group key, occurrence key
    rejected: tuple[Rejected, ...]


class KnownBodies:
    def __init__(self, capacity_bytes: int) -> None:
        self._capacity = capacity_bytes
        self._entries: OrderedDict[tuple[str, str, bytes], Decoded] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, source: str, content_type: str, body: bytes) -> Decoded | None:
        key = (source, content_type, body)
        decoded = self._entries.get(key)
        if decoded is not None:
            self._entries.move_to_end(key)
        return decoded

    def add(self, source: str, content_type: str, body: bytes, decoded: Decoded) -> None:
        if len(body) > LARGEST_KEPT or _cost(body, decoded) > self._capacity:
            return
        key = (source, content_type, body)
        if key in self._entries:
            self._entries.move_to_end(key)
            return
        self._entries[key] = decoded
        self._size += _cost(body, decoded)
        while self._size > self._capacity:
            (_, _, dropped_body), dropped = self._entries.popitem(last=False)
            self._size -= _cost(dropped_body, dropped)


def _cost(body: bytes, decoded: Decoded) -> int:
    return len(body) + SIGNAL_COST * len(decoded.signals)
