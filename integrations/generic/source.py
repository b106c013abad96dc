"""`GenericSource`: a documented JSON alert signed with HMAC-SHA256 of the body."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.domain.errors import IntakeError
from bot.domain.signals import Link, Signal, SignalStatus, parse_severity
from bot.ports.alerts import NormalizeDefaults
from integrations.common.hmac_auth import require_match
from integrations.common.payloads import validate
from integrations.generic.models import GenericAlert

SIGNATURE_HEADER = "X-Smokejumper-Signature"


def verify_signature(secret: SecretStr, headers: Mapping[str, str], body: bytes) -> None:
    """Check `X-Smokejumper-Signature: sha256=<hex HMAC-SHA256 of the body>`."""
    header = headers.get(SIGNATURE_HEADER, "")
    if not header:
        raise IntakeError(401, "missing_signature", f"{SIGNATURE_HEADER} header is required")
    scheme, _, digest = header.partition("=")
    if scheme.strip().lower() != "sha256" or not digest:
        raise IntakeError(401, "invalid_signature", f"{SIGNATURE_HEADER} must be 'sha256=<hex>'")
    require_match(secret.get_secret_value().encode(), body, [digest], SIGNATURE_HEADER)


def check_timestamp(sent_at: datetime, now: datetime, max_age: timedelta) -> None:
    """Refuse replays: the signed `timestamp` must be recent (and not from the future)."""
    if abs(now - sent_at) > max_age:
        raise IntakeError(
            401,
            "stale_timestamp",
            f"timestamp {sent_at.isoformat()} is more than {int(max_age.total_seconds())}s "
            "from now; sign a fresh request",
        )


class GenericSource:
    name = "generic"
    # Its signed timestamp must be recent: every delivery is checked against the clock.
    body_decides_signals = False

    def __init__(self, secret: SecretStr, max_age: timedelta) -> None:
        self._secret = secret
        self._max_age = max_age

    def verify(self, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        verify_signature(self._secret, headers, body)

    def parse(self, document: Any) -> GenericAlert:
        return validate(GenericAlert, document, "generic alert")

    def check_fresh(self, payload: Any, now: datetime) -> None:
        assert isinstance(payload, GenericAlert)
        check_timestamp(payload.timestamp, now, self._max_age)

    def normalize(self, payload: Any, defaults: NormalizeDefaults) -> list[Signal]:
        assert isinstance(payload, GenericAlert)
        labels = {"alertname": payload.summary[:200], **payload.labels}
        return [
            Signal(
                source=self.name,
                environment=payload.environment or defaults.environment,
                service=payload.service,
                fingerprint=payload.dedup_key,
                severity=parse_severity(payload.severity),
                status=SignalStatus(payload.status),
                summary=payload.summary,
                labels=labels,
                annotations=dict(payload.annotations),
                links=[Link(title=link.title, url=link.url) for link in payload.links],
                starts_at=payload.starts_at or payload.timestamp,
                ends_at=payload.ends_at,
                delivery_id=None,
            )
        ]
