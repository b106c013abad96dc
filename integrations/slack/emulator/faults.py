"""Scripted failures for exercising the bot's error paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Fault:
    """Answer the next `remaining` calls of `method` with this error instead of running it."""

    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int


class FaultInjector:
    """Queued faults per method, consumed first in, first out."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(
        self, method: str, *, error: str, status: int, retry_after: int | None, times: int
    ) -> Fault:
        """Queue a fault; a 429 without an explicit Retry-After gets Slack's minimum of 1."""
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429 and retry_after is None:
            retry_after = 1
        fault = Fault(method, error, status, retry_after, times)
        self._faults.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any."""
        for fault in self._faults:
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()

    @property
    def pending(self) -> list[Fault]:
        """Faults not yet used up."""
        return list(self._faults)
