"""`AlertmanagerSource`: Prometheus Alertmanager webhooks (version 4)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from bot.domain.errors import IntakeError
from bot.domain.signals import Link, Signal, SignalStatus, parse_severity
from bot.ports.alerts import NormalizeDefaults, Rejected
from integrations.alertmanager.models import AlertmanagerAlert, AlertmanagerWebhook
from integrations.common.hmac_auth import same
from integrations.common.payloads import validate

# Subject resolution reads every label; this is only the source's own fallback word.
SERVICE_LABELS = ("service", "app", "app_kubernetes_io_name")
ENVIRONMENT_LABELS = ("environment", "env", "stage", "cluster")
# Alertmanager marks "not ended" with Go's zero time.
_GO_ZERO_YEAR = 1


def _first(labels: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((labels[n] for n in names if labels.get(n)), None)


class AlertmanagerSource:
    """Alertmanager has no signing; a bearer token guards the endpoint.

    Without a token the source is open; the route only builds it that way when the
    operator said so (SMOKEJUMPER_ALERTMANAGER_ALLOW_UNAUTHENTICATED).
    """

    name = "alertmanager"
    # No timestamps to check and nothing taken from the clock: the body says it all.
    body_decides_signals = True

    def __init__(self, bearer_token: SecretStr | None = None) -> None:
        self._token = bearer_token

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        if self._token is None:
            return
        # RFC 7235: the scheme is case-insensitive ("bearer" works as well as "Bearer").
        scheme, _, credentials = headers.get("Authorization", "").strip().partition(" ")
        expected = self._token.get_secret_value()
        if scheme.lower() != "bearer" or not same(credentials.strip(), expected):
            raise IntakeError(
                401, "invalid_token", "Authorization bearer token is missing or wrong"
            )

    def parse(self, document: Any) -> AlertmanagerWebhook:
        return validate(AlertmanagerWebhook, document, "Alertmanager webhook (version 4)")

    def check_fresh(self, payload: Any, now: datetime) -> None:
        # Alertmanager re-sends firing alerts on repeat_interval by design: never stale.
        return None

    def normalize(self, payload: Any, defaults: NormalizeDefaults) -> Sequence[Signal | Rejected]:
        assert isinstance(payload, AlertmanagerWebhook)
        results: list[Signal | Rejected] = []
        for index, raw in enumerate(payload.alerts):
            try:
                alert = validate(AlertmanagerAlert, raw, "alert", at=f"alerts.{index}")
            except IntakeError as exc:
                results.append(Rejected(index, exc.message))
                continue
            results.append(self._signal(alert, payload, defaults))
        return results

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
