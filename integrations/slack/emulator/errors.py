"""Slack API error raised by emulated methods."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    """An `ok: false` answer with a Slack error code and optional extra fields."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack returns for this error."""
        return {"ok": False, "error": self.error, **self.extra}
