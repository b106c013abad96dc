"""ServiceNow: incident tickets through the Table API (pysnow)."""

from __future__ import annotations

from integrations.servicenow.adapter import ServiceNowTicketing
from integrations.servicenow.config import ServiceNowConfig
from integrations.servicenow.retry import Sleep

__all__ = ["ServiceNowConfig", "ServiceNowTicketing", "setup"]


def setup(config: ServiceNowConfig, *, sleep: Sleep | None = None) -> ServiceNowTicketing:
    """The Ticketing adapter for `config`; call `probe()` before relying on it.

    `sleep` waits between retries (the app passes its time source's).
    """
    return ServiceNowTicketing(config, sleep=sleep)
