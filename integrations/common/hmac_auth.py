"""Shared HMAC-SHA256 webhook verification."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from bot.domain.errors import IntakeError


def sign(secret: bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of `body`."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two header values, whatever characters `given` holds.

    `hmac.compare_digest` raises on non-ASCII str, and aiohttp hands over undecodable
    header bytes as surrogates; comparing bytes turns both into a plain mismatch.
    """
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


def require_match(secret: bytes, body: bytes, candidates: Iterable[str], header: str) -> None:
    """Accept if any candidate digest matches; compare in constant time."""
    expected = sign(secret, body)
    for candidate in candidates:
        if same(candidate.strip().lower(), expected):
            return
    raise IntakeError(401, "invalid_signature", f"{header} does not match the request body")
