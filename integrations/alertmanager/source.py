"""`AlertmanagerSource`: Prometheus Alertmanager webhooks (version 4)."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from bot.domain.errors import IntakeError
from bot.domain.signals import Link, Signal, SignalStatus, parse_severity
from bot.ports.alerts import NormalizeDefaults
from integrations.alertmanager.models import AlertmanagerAlert, AlertmanagerWebhook
from integrations.common.payloads import validate

# Subject resolution reads every label; this is only the source's own fallback word.
SERVICE_LABELS = ("service", "app", "app_kubernetes_io_name")
ENVIRONMENT_LABELS = ("environment", "env", "stage", "cluster")
# Alertmanager marks "not ended" with Go's zero time.
_GO_ZERO_YEAR = 1


def _first(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((labels[n] for n in names if labels.get(n)), None)


class AlertmanagerSource:
    """Alertmanager has no signing; an optional bearer token guards the endpoint."""

    name = "alertmanager"

    def __init__(self, bearer_token: SecretStr | None = None) -> None:
        self._token = bearer_token

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        if self._token is None:
            return
        given = headers.get("Authorization", "")
        expected = f"Bearer {self._token.get_secret_value()}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise IntakeError(
                401, "invalid_token", "Authorization bearer token is missing or wrong"
            )

    def parse(self, document: Any) -> AlertmanagerWebhook:
        return validate(AlertmanagerWebhook, document, "Alertmanager webhook (version 4)")

    def check_fresh(self, payload: Any, now: datetime) -> None:
        # Alertmanager re-sends firing alerts on repeat_interval by design: never stale.
        return None

    def normalize(self, payload: Any, defaults: NormalizeDefaults) -> list[Signal]:
        assert isinstance(payload, AlertmanagerWebhook)
        return [self._signal(alert, payload, defaults) for alert in payload.alerts]

    def _signal(
        self, alert: AlertmanagerAlert, webhook: AlertmanagerWebhook, defaults: NormalizeDefaults
    ) -> Signal:
        labels = alert.labels
        summary = (
            alert.annotations.get("summary")
            or alert.annotations.get("description")
            or labels.get("alertname")
            or "Alertmanager alert"
        )
        links = []
        if alert.generator_url:
            links.append(Link(title="Source", url=alert.generator_url))
        for key, title in (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard")):
            if alert.annotations.get(key):
                links.append(Link(title=title, url=alert.annotations[key]))
        if webhook.external_url:
            links.append(Link(title="Alertmanager", url=webhook.external_url))
        ends_at = alert.ends_at
        if ends_at is not None and ends_at.year == _GO_ZERO_YEAR:
            ends_at = None
        return Signal(
            source=self.name,
            environment=_first(labels, ENVIRONMENT_LABELS) or defaults.environment,
            service=_first(labels, SERVICE_LABELS) or "unknown",
            fingerprint=alert.fingerprint,
            severity=parse_severity(labels.get("severity")),
            status=SignalStatus(alert.status),
            summary=summary,
            labels=dict(labels),
            annotations=dict(alert.annotations),
            links=links,
            starts_at=alert.starts_at,
            ends_at=ends_at,
            delivery_id=webhook.group_key or None,
        )
