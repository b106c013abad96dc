"""ServiceNow: incident tickets through the Table API (pysnow)."""

from __future__ import annotations

from bot.domain.clock import Clock, utcnow
from integrations.servicenow.adapter import ServiceNowTicketing
from integrations.servicenow.config import ServiceNowConfig

__all__ = ["ServiceNowConfig", "ServiceNowTicketing", "setup"]


def setup(
    config: ServiceNowConfig, *, clock: Clock = utcnow, sleep: object = None
) -> ServiceNowTicketing:
    """The Ticketing adapter for `config`; call `probe()` before relying on it.

    `clock` reads Retry-After dates. `sleep` is ignored: the adapter no longer waits
    between attempts (the ticket jobs do); it is accepted only until
    `bot/actions/setup.py` stops passing it.
    """
    return ServiceNowTicketing(config, clock=clock)
