"""`PagerDutyPager`: the Pager capability on PagerDuty Events API v2 and REST API v2.

It also says who is on call (chat's `OnCallLookup`) when the REST API is configured.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from bot.chat.ports import OnCall
from bot.domain.clock import Clock, utcnow
from bot.ports.adapters import AdapterError, NotReady
from bot.ports.pager import Page
from integrations.pagerduty.client import PagerDutyClient
from integrations.pagerduty.oncall import PagerDutyOnCall
from integrations.pagerduty.pager_config import PagerDutyPagerConfig

log = logging.getLogger(__name__)

SEVERITIES = frozenset({"critical", "error", "warning", "info"})
# Events API v2 limits (developer-docs, "Send an Alert Event").
ROUTING_KEY_LENGTH = 32
DEDUP_KEY_LIMIT = 255
SUMMARY_LIMIT = 1024


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 with an offset; a naive time is taken to be UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="milliseconds")


def _check_dedup_key(dedup_key: str) -> None:
    if not dedup_key or len(dedup_key) > DEDUP_KEY_LIMIT:
        raise AdapterError(
            "invalid_page",
            f"dedup key must be 1 to {DEDUP_KEY_LIMIT} characters",
            retryable=False,
        )


class PagerDutyPager:
    """Pages through Events API v2 keyed by our dedup key; notes through REST API v2."""

    name = "pagerduty"

    def __init__(self, config: PagerDutyPagerConfig, client: PagerDutyClient) -> None:
        self._config = config
        self._client = client
        self._oncall = PagerDutyOnCall(config, client)

    async def probe(self) -> None:
        """REST `GET /abilities` when a token is set; otherwise check the routing key's shape."""
        if len(self._config.routing_key.get_secret_value()) != ROUTING_KEY_LENGTH:
            raise NotReady(self.name, f"routing key must be {ROUTING_KEY_LENGTH} characters")
        if not self._client.has_rest_api:
            return
        try:
            await self._client.abilities()
        except AdapterError as exc:
            raise NotReady(self.name, exc.message) from None

    async def trigger(self, page: Page) -> str:
        """Trigger (or re-trigger) the alert under `page.dedup_key`; returns PagerDuty's key."""
        _check_dedup_key(page.dedup_key)
        if page.severity not in SEVERITIES:
            raise AdapterError(
                "invalid_page",
                f"severity {page.severity!r} is not one of {sorted(SEVERITIES)}",
                retryable=False,
            )
        summary = page.summary
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[: SUMMARY_LIMIT - 1] + "…"
        return await self._client.trigger(
            dedup_key=page.dedup_key,
            summary=summary,
            source=page.source,
            severity=page.severity,
            timestamp=iso_timestamp(page.timestamp),
            links=[{"href": href, "text": text} for href, text in page.links],
            custom_details=dict(page.details),
        )

    async def acknowledge(self, dedup_key: str, timestamp: datetime) -> None:
        """Acknowledge the open alert; PagerDuty drops it if none is open under the key."""
        _check_dedup_key(dedup_key)
        # Acknowledge and resolve events carry no payload, so the time is ours alone.
        log.debug("PagerDuty acknowledge %s at %s", dedup_key, iso_timestamp(timestamp))
        await self._client.acknowledge(dedup_key)

    async def resolve(self, dedup_key: str, timestamp: datetime) -> None:
        """Resolve the open alert; a later trigger with the same key opens a new one."""
        _check_dedup_key(dedup_key)
        log.debug("PagerDuty resolve %s at %s", dedup_key, iso_timestamp(timestamp))
        await self._client.resolve(dedup_key)

    async def add_note(self, dedup_key: str, note: str) -> None:
        """Add a note to the newest PagerDuty incident opened under `dedup_key`."""
        if not self._client.has_rest_api:
            raise AdapterError(
                "not_configured",
                "PagerDuty notes need api_token and from_email",
                retryable=False,
            )
        _check_dedup_key(dedup_key)
        if not note.strip():
            raise AdapterError("invalid_note", "note is empty", retryable=False)
        incident_id = await self._client.latest_incident_id(dedup_key)
        if incident_id is None:
            # Events are processed asynchronously: right after a trigger there may be
            # no incident yet.
            raise AdapterError(
                "incident_not_found",
                f"no PagerDuty incident with dedup key {dedup_key!r} yet",
                retryable=True,
            )
        await self._client.create_note(incident_id, note)

    async def on_call(self, team: str) -> list[OnCall]:
        """Who is on call for `team` (REST `GET /oncalls`); chat's `OnCallLookup`."""
        return await self._oncall.on_call(team)

    async def aclose(self) -> None:
        """Release the HTTP connections."""
        await self._client.aclose()


def build_pager(config: PagerDutyPagerConfig, *, clock: Clock = utcnow) -> PagerDutyPager:
    """The pager with its client, built from settings; `clock` reads Retry-After dates.

    The pager makes one attempt per call; the outbox retries paging jobs.
    """
    return PagerDutyPager(config, PagerDutyClient(config, clock=clock))
