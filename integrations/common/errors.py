"""The error of a vendor's HTTP API: an AdapterError that keeps the status it answered."""

from __future__ import annotations

from bot.ports.adapters import AdapterError


class VendorHttpError(AdapterError):
    """A vendor call failed; `status` and `retry_after` when the far side answered."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(code, message, retryable=retryable, retry_after=retry_after)
        self.status = status
