"""`PagerDutySource`: PagerDuty webhooks v3, `X-PagerDuty-Signature` verified."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.domain.errors import IntakeError
from bot.domain.signals import Link, Severity, Signal, SignalStatus, parse_severity
from bot.ports.alerts import NormalizeDefaults
from integrations.common.hmac_auth import require_match
from integrations.common.payloads import validate
from integrations.pagerduty.webhook_models import PagerDutyIncidentData, PagerDutyWebhook

SIGNATURE_HEADER = "X-PagerDuty-Signature"
FIRING_EVENTS = frozenset({"incident.triggered", "incident.reopened", "incident.escalated"})
RESOLVED_EVENTS = frozenset({"incident.resolved"})
# Only about pages we sent ourselves: shown in the incident's channel, never an incident.
OWN_PAGE_EVENTS = frozenset({"incident.acknowledged", "incident.unacknowledged"})
# The dedup key our pages carry (see bot/paging/flows.dedup_key); PagerDuty returns it
# as the incident_key of the incident it opened.
OWN_PAGE_PREFIX = "smokejumper-"
# PagerDuty stamps occurred_at itself; more than this ahead of our clock is not skew.
MAX_FUTURE_SKEW = timedelta(minutes=5)


class PagerDutySource:
    name = "pagerduty"
    # Its event time is checked against the clock on every delivery.
    body_decides_signals = False

    def __init__(self, secret: SecretStr, max_age: timedelta) -> None:
        self._secret = secret
        self._max_age = max_age

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        header = headers.get(SIGNATURE_HEADER, "")
        if not header:
            raise IntakeError(401, "missing_signature", f"{SIGNATURE_HEADER} header is required")
        # Several v1= values arrive while a secret is being rotated; any may match.
        digests = [
            part.split("=", 1)[1] for part in header.split(",") if part.strip().startswith("v1=")
        ]
        if not digests:
            raise IntakeError(401, "invalid_signature", f"{SIGNATURE_HEADER} has no v1= value")
        require_match(self._secret.get_secret_value().encode(), body, digests, SIGNATURE_HEADER)

    def parse(self, document: Any) -> PagerDutyWebhook:
        return validate(PagerDutyWebhook, document, "PagerDuty webhook v3")

    def check_fresh(self, payload: Any, now: datetime) -> None:
        assert isinstance(payload, PagerDutyWebhook)
        age = now - payload.event.occurred_at
        if -age > MAX_FUTURE_SKEW:
            raise IntakeError(
                401,
                "future_event",
                f"event occurred_at {payload.event.occurred_at.isoformat()} is more than "
                f"{int(MAX_FUTURE_SKEW.total_seconds())}s ahead of our clock",
            )
        if age > self._max_age:
            raise IntakeError(
                401,
                "stale_event",
                f"event occurred_at {payload.event.occurred_at.isoformat()} is older than "
                f"{int(self._max_age.total_seconds())}s",
            )

    def normalize(self, payload: Any, defaults: NormalizeDefaults) -> list[Signal]:
        assert isinstance(payload, PagerDutyWebhook)
        event = payload.event
        if event.resource_type != "incident":
            return []
        data = validate(PagerDutyIncidentData, event.data, "PagerDuty incident")
        own = (data.incident_key or "").startswith(OWN_PAGE_PREFIX)
        if event.event_type in FIRING_EVENTS or (own and event.event_type in OWN_PAGE_EVENTS):
            status = SignalStatus.FIRING
        elif event.event_type in RESOLVED_EVENTS:
            status = SignalStatus.RESOLVED
        else:
            return []
        links = [Link(title="PagerDuty", url=data.html_url)] if data.html_url else []
        return [
            Signal(
                source=self.name,
                environment=defaults.environment,
                service=(data.service.summary if data.service else "") or "unknown",
                fingerprint=data.incident_key or data.id,
                severity=_severity(data),
                status=status,
                summary=data.title or f"PagerDuty incident {data.number or data.id}",
                labels={
                    "alertname": data.title[:200] or "PagerDuty incident",
                    "pagerduty_incident": data.id,
                    "urgency": data.urgency,
                    "event_type": event.event_type,
                    **(
                        {"pagerduty_agent": event.agent.summary[:200]}
                        if event.agent and event.agent.summary
                        else {}
                    ),
                },
                links=links,
                starts_at=event.occurred_at,
                ends_at=event.occurred_at if status is SignalStatus.RESOLVED else None,
                delivery_id=event.id,
            )
        ]


def _severity(data: PagerDutyIncidentData) -> Severity:
    if data.priority and data.priority.summary:
        return parse_severity(data.priority.summary, default=Severity.ERROR)
    return Severity.ERROR if data.urgency == "high" else Severity.WARNING
