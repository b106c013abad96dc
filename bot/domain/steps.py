"""A hook run before each external step (a Slack call, an adapter attempt).

The outbox sets it while a job runs, to extend the job's lease or stop the run when
another replica took the job over; clients call it without knowing about the outbox.
Outside a job (a command's reply, start-up probes) nothing is set and it does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar

BeforeStep = Callable[[], Awaitable[None]]

_before_step: ContextVar[BeforeStep | None] = ContextVar("before_external_step", default=None)


def set_before_step(hook: BeforeStep | None) -> None:
    """Set the hook for the running task (each outbox job runs in a task of its own)."""
    _before_step.set(hook)


async def before_external_step() -> None:
    """Run the current task's hook, if any; it may raise to stop the run."""
    hook = _before_step.get()
    if hook is not None:
        await hook()
