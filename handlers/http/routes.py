"""The HTTP surface: Slack, alert intake, health."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.config import Settings
from bot.domain.clock import Clock
from bot.intake.pipeline import Pipeline
from bot.metrics.live import LiveMetrics
from bot.store.database import SessionFactory
from handlers.http.alerts import Handler, alert_handler
from handlers.http.bodies import BODY_GATE, BodyGate
from handlers.http.changes import changes_handler
from handlers.http.health import Readiness, healthz
from handlers.http.metrics import metrics_handler
from handlers.slack.http import slack_events_handler
from handlers.slack.replay import ReplayGuard
from integrations.alertmanager.source import AlertmanagerSource
from integrations.generic.source import GenericSource
from integrations.pagerduty.webhook_source import PagerDutySource

log = logging.getLogger(__name__)

ALERTMANAGER_OFF = (
    "Alertmanager intake is off: set SMOKEJUMPER_ALERTMANAGER_TOKEN (and send it as "
    "a bearer token), or SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED=true for an open "
    "endpoint"
)


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


def add_routes(
    app: web.Application,
    *,
    settings: Settings,
    bolt: AsyncApp,
    pipeline: Pipeline,
    sessions: SessionFactory,
    clock: Clock,
    readiness: Readiness,
    on_accepted: Callable[[], None],
    metrics: LiveMetrics | None = None,
) -> None:
    limit = settings.max_body_bytes
    app[BODY_GATE] = BodyGate(settings.body_timeout_seconds, settings.max_concurrent_bodies)

    def route(source: object, missing: str = "") -> Handler:
        return alert_handler(
            source,  # type: ignore[arg-type]
            pipeline=pipeline,
            clock=clock,
            max_body_bytes=limit,
            on_accepted=on_accepted,
            not_configured=missing,
            metrics=metrics,
        )

    generic = (
        GenericSource(
            settings.generic_webhook_secret, timedelta(seconds=settings.generic_max_age_seconds)
        )
        if settings.generic_webhook_secret
        else None
    )
    pagerduty = (
        PagerDutySource(
            settings.pagerduty_webhook_secret, timedelta(seconds=settings.pagerduty_max_age_seconds)
        )
        if settings.pagerduty_webhook_secret
        else None
    )
    assert settings.slack_signing_secret is not None
    app.router.add_post(
        "/slack/events",
        slack_events_handler(
            bolt,
            limit,
            signing_secret=settings.slack_signing_secret.get_secret_value(),
            replays=ReplayGuard(sessions, clock),
            clock=clock,
        ),
    )
    app.router.add_post(
        "/alerts/alertmanager", route(alertmanager_source(settings), ALERTMANAGER_OFF)
    )
    app.router.add_post(
        "/alerts/generic",
        route(generic, "generic intake is off: set SMOKEJUMPER_GENERIC_WEBHOOK_SECRET"),
    )
    app.router.add_post(
        "/alerts/pagerduty",
        route(pagerduty, "PagerDuty intake is off: set SMOKEJUMPER_PAGERDUTY_WEBHOOK_SECRET"),
    )
    app.router.add_post(
        "/changes",
        changes_handler(
            settings.generic_webhook_secret,
            sessions=sessions,
            clock=clock,
            max_body_bytes=limit,
            max_age=timedelta(seconds=settings.generic_max_age_seconds),
            default_environment=settings.environment,
        ),
    )
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readiness.handle)
    if metrics is not None:
        app.router.add_get("/metrics", metrics_handler(metrics, sessions, clock))
