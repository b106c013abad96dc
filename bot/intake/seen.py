"""Occurrences this process knows are committed: a repeat of one needs no transaction.

Alertmanager re-sends every firing alert of a group on each `group_interval` and
`repeat_interval`, so most deliveries in steady state repeat an occurrence (same alert,
same start, same status) that is already stored. Its answer is settled: a duplicate,
which changes nothing. A key enters here only after the commit that stored it (or
found it stored), so "known" always means "durable"; a key not known here is simply
checked against the database, whose unique `occurrence_key` decides across replicas.
Signals are never deleted, so a known key never goes stale.

Bounded: the least recently seen keys are forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable


class CommittedOccurrences:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._keys)

    def known(self, key: str) -> bool:
        """True if `key` was committed; it is then kept as recently seen."""
        if key not in self._keys:
            return False
        self._keys.move_to_end(key)
        return True

    def add(self, keys: Iterable[str]) -> None:
        """Remember keys whose rows are committed (never call before the commit)."""
        if self._capacity <= 0:
            return
        for key in keys:
            self._keys[key] = None
            self._keys.move_to_end(key)
        while len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
