"""The inbound alert formats this smokejumper takes, as its settings allow."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.capabilities import AlertSources
from bot.config import Settings
from integrations.alertmanager.source import AlertmanagerSource
from integrations.generic.source import GenericSource
from integrations.pagerduty.webhook_source import PagerDutySource

log = logging.getLogger(__name__)


def alertmanager_source(settings: Settings) -> AlertmanagerSource | None:
    """Authenticated by token, open only when the operator said so, else off."""
    if settings.alertmanager_token is not None and settings.alertmanager_token.get_secret_value():
        return AlertmanagerSource(settings.alertmanager_token)
    if settings.alertmanager_allow_unauthenticated:
        log.warning(
            "POST /alerts/alertmanager is open to anyone who can reach it "
            "(SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED=true)"
        )
        return AlertmanagerSource(None)
    return None


def build_alert_sources(settings: Settings) -> AlertSources:
    """Every source whose secret is set (Alertmanager: or explicitly left open)."""
    return AlertSources(
        alertmanager=alertmanager_source(settings),
        generic=(
            GenericSource(
                settings.generic_webhook_secret,
                timedelta(seconds=settings.generic_max_age_seconds),
            )
            if settings.generic_webhook_secret
            else None
        ),
        pagerduty=(
            PagerDutySource(
                settings.pagerduty_webhook_secret,
                timedelta(seconds=settings.pagerduty_max_age_seconds),
            )
            if settings.pagerduty_webhook_secret
            else None
        ),
    )
