"""Shared HMAC-SHA256 webhook verification."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from bot.domain.errors import IntakeError


def sign(secret: bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of `body`."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def require_match(secret: bytes, body: bytes, candidates: Iterable[str], header: str) -> None:
    """Accept if any candidate digest matches; compare in constant time."""
    expected = sign(secret, body)
    for candidate in candidates:
        if hmac.compare_digest(expected, candidate.strip().lower()):
            return
    raise IntakeError(401, "invalid_signature", f"{header} does not match the request body")
