"""Errors that carry an HTTP-ready, user-facing explanation."""

from __future__ import annotations


class IntakeError(Exception):
    """A client's mistake: status 4xx, a stable code and a message naming the problem."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        close_connection: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # Sent with the answer, e.g. Retry-After on 429.
        self.headers = headers or {}
        # The rest of the body was never read: close rather than drain it for keep-alive.
        self.close_connection = close_connection

    def as_json(self) -> dict[str, str]:
        return {"error": self.code, "message": self.message}
