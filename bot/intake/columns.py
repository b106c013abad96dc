"""Whether a signal fits the columns it is stored in, checked before any write."""

from __future__ import annotations

from bot.domain.signals import Signal

# Mirrors bot/store/models.py (signals and incidents); PostgreSQL refuses longer values
# mid-transaction, which would fail the whole batch instead of the one alert.
LIMITS: dict[str, int] = {
    "source": 64,
    "fingerprint": 255,
    "service": 255,
    "environment": 64,
    "delivery_id": 255,
}


def unstorable(signal: Signal) -> str | None:
    """Why `signal` cannot be stored, naming the field; None when it can."""
    for field, limit in LIMITS.items():
        value = getattr(signal, field)
        if value is not None and len(value) > limit:
            return f"{field} is {len(value)} characters long; at most {limit} fit"
    if not signal.fingerprint:
        return "fingerprint is empty"
    return None
