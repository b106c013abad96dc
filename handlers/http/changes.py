"""POST /changes: change events, authenticated exactly like the generic alert webhook."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from aiohttp import web
from pydantic import SecretStr

from bot.changes.models import ChangeReport
from bot.changes.service import record_changes
from bot.domain.clock import Clock
from bot.domain.errors import IntakeError
from bot.intake import safe_json
from bot.store.database import SessionFactory
from handlers.http.alerts import Handler
from handlers.http.bodies import read_limited_body
from integrations.common.payloads import validate
from integrations.generic.source import check_timestamp, verify_signature

log = logging.getLogger(__name__)


def changes_handler(
    secret: SecretStr | None,
    *,
    sessions: SessionFactory,
    clock: Clock,
    max_body_bytes: int,
    max_age: timedelta,
    default_environment: str,
) -> Handler:
    """202 once every change in the body is committed (or was already)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if secret is None:
            raise IntakeError(
                503,
                "not_configured",
                "change intake is off: set SMOKEJUMPER_GENERIC_WEBHOOK_SECRET",
            )
        body = await read_limited_body(request, max_body_bytes)
        verify_signature(secret, request.headers, body)
        document = safe_json.loads(body)
        report = validate(ChangeReport, document, "change report")
        now = clock()
        check_timestamp(report.timestamp, now, max_age)
        correlation_id = uuid.uuid4().hex
        async with sessions() as session, session.begin():
            recorded, duplicates = await record_changes(
                session,
                report.changes,
                default_environment=default_environment,
                now=now,
                correlation_id=correlation_id,
            )
        log.info("accepted %d change(s), %d already known", recorded, duplicates)
        return web.json_response(
            {"correlation_id": correlation_id, "recorded": recorded, "duplicates": duplicates},
            status=202,
        )

    return handle
