"""ServiceNow: incident tickets through the Table API (pysnow)."""

from __future__ import annotations

from integrations.servicenow.adapter import ServiceNowTicketing
from integrations.servicenow.config import ServiceNowConfig

__all__ = ["ServiceNowConfig", "ServiceNowTicketing", "setup"]


def setup(config: ServiceNowConfig) -> ServiceNowTicketing:
    """The Ticketing adapter for `config`; call `probe()` before relying on it."""
    return ServiceNowTicketing(config)
