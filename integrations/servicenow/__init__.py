"""ServiceNow: incident tickets through the Table API (pysnow)."""

from __future__ import annotations

from bot.domain.clock import Clock, utcnow
from integrations.servicenow.adapter import ServiceNowTicketing
from integrations.servicenow.config import ServiceNowConfig

__all__ = ["ServiceNowConfig", "ServiceNowTicketing", "setup"]


def setup(config: ServiceNowConfig, *, clock: Clock = utcnow) -> ServiceNowTicketing:
    """The Ticketing adapter for `config`; call `probe()` before relying on it.

    `clock` reads Retry-After dates; the ticket jobs, not the adapter, retry.
    """
    return ServiceNowTicketing(config, clock=clock)
