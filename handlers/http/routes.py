"""The HTTP surface: Slack, alert intake, health."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.capabilities import AlertSources
from bot.config import Settings
from bot.domain.clock import Clock
from bot.intake.pipeline import Pipeline
from bot.metrics.live import LiveMetrics
from bot.ports.alerts import AlertSource
from bot.store.database import SessionFactory
from handlers.http.alerts import Handler, alert_handler
from handlers.http.bodies import BODY_GATE, BodyGate
from handlers.http.changes import changes_handler
from handlers.http.health import Readiness, healthz
from handlers.http.metrics import metrics_handler
from handlers.slack.http import slack_events_handler
from handlers.slack.replay import ReplayGuard
from handlers.slack.work import WorkPool

ALERTMANAGER_OFF = (
    "Alertmanager intake is off: set SMOKEJUMPER_ALERTMANAGER_TOKEN (and send it as "
    "a bearer token), or SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED=true for an open "
    "endpoint"
)


def add_routes(
    app: web.Application,
    *,
    settings: Settings,
    sources: AlertSources,
    bolt: AsyncApp,
    pipeline: Pipeline,
    sessions: SessionFactory,
    clock: Clock,
    readiness: Readiness,
    on_accepted: Callable[[], None],
    slack_work: WorkPool,
    metrics: LiveMetrics | None = None,
) -> None:
    limit = settings.max_body_bytes
    app[BODY_GATE] = BodyGate(settings.body_timeout_seconds, settings.max_concurrent_bodies)

    def route(source: AlertSource | None, missing: str = "") -> Handler:
        return alert_handler(
            source,
            pipeline=pipeline,
            clock=clock,
            max_body_bytes=limit,
            on_accepted=on_accepted,
            not_configured=missing,
            metrics=metrics,
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
            work=slack_work,
        ),
    )
    app.router.add_post("/alerts/alertmanager", route(sources.alertmanager, ALERTMANAGER_OFF))
    app.router.add_post(
        "/alerts/generic",
        route(sources.generic, "generic intake is off: set SMOKEJUMPER_GENERIC_WEBHOOK_SECRET"),
    )
    app.router.add_post(
        "/alerts/pagerduty",
        route(
            sources.pagerduty,
            "PagerDuty intake is off: set SMOKEJUMPER_PAGERDUTY_WEBHOOK_SECRET",
        ),
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
