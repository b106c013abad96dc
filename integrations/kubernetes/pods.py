"""What a Deployment's pods say about a crash: restarts, last termination, which logs to read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

JsonObject = Mapping[str, Any]

MAX_SUMMARY_CHARS = 1200


def _mapping(value: Any) -> JsonObject:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class ContainerState:
    """One container of one pod: how often it restarted and how it last ended."""

    pod: str
    container: str
    restarts: int
    reason: str = ""
    exit_code: int | None = None
    finished_at: str = ""
    waiting: str = ""

    @property
    def crashed(self) -> bool:
        """It ended before and was started again: its previous log holds the crash."""
        return self.restarts > 0 or self.exit_code is not None

    def describe(self) -> str:
        parts = [f"{self.pod}/{self.container}: {self.restarts} restarts"]
        if self.reason or self.exit_code is not None:
            code = f" (exit {self.exit_code})" if self.exit_code is not None else ""
            when = f" at {self.finished_at}" if self.finished_at else ""
            parts.append(f"last terminated {self.reason or 'unknown'}{code}{when}")
        if self.waiting:
            parts.append(f"now {self.waiting}")
        return ", ".join(parts)


def container_states(pods: Sequence[JsonObject]) -> list[ContainerState]:
    """Every container's state, the most restarted first."""
    states = []
    for pod in pods:
        name = str(_mapping(pod.get("metadata")).get("name", "?"))
        for status in _mapping(pod.get("status")).get("containerStatuses") or ():
            status = _mapping(status)
            last = _mapping(_mapping(status.get("lastState")).get("terminated"))
            waiting = _mapping(_mapping(status.get("state")).get("waiting"))
            restarts = status.get("restartCount")
            exit_code = last.get("exitCode")
            states.append(
                ContainerState(
                    pod=name,
                    container=str(status.get("name", "?")),
                    restarts=restarts if isinstance(restarts, int) else 0,
                    reason=str(last.get("reason") or ""),
                    exit_code=exit_code if isinstance(exit_code, int) else None,
                    finished_at=str(last.get("finishedAt") or ""),
                    waiting=str(waiting.get("reason") or ""),
                )
            )
    return sorted(states, key=lambda s: s.restarts, reverse=True)


def restarts_summary(states: Sequence[ContainerState]) -> str:
    lines: list[str] = []
    size = 0
    for state in states:
        line = state.describe()
        size += len(line) + 2
        if size > MAX_SUMMARY_CHARS:
            lines.append(f"+{len(states) - len(lines)} more containers")
            break
        lines.append(line)
    return "; ".join(lines) or "no pods found"


def log_tail(text: str, limit: int) -> str:
    """The end of a log, where the crash is; cut at a line start when it is too long."""
    if len(text) <= limit:
        return text.rstrip("\n")
    tail = text[-limit:]
    newline = tail.find("\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    return "…\n" + tail.rstrip("\n")
