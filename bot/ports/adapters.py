"""What every integration adapter shares: errors that say whether a retry can help."""

from __future__ import annotations


class AdapterError(Exception):
    """An adapter call failed.

    `retryable` says whether the same call may succeed later (timeouts, and the statuses
    in `bot.domain.retry`), `retry_after` how long the far side asked us to wait;
    `code` is a stable short word for metrics and the event log. Messages never carry
    a secret: adapters build them from status codes and resource names only.
    """

    def __init__(
        self, code: str, message: str, *, retryable: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        # Seconds the far side asked us to wait (Retry-After), honoured by the retry stage.
        self.retry_after = retry_after


class NotReady(AdapterError):
    """The adapter's service could not be reached or refused our credentials at start-up."""

    def __init__(self, adapter: str, reason: str) -> None:
        super().__init__("not_ready", f"{adapter} is not ready: {reason}", retryable=True)
        self.adapter = adapter
        self.reason = reason
