"""Thin PagerDuty calls over the synchronous `pagerduty` package: one bounded, classified
request per call. Whoever calls decides whether to try again (the outbox reruns paging jobs);
each error says whether that can help and how long PagerDuty asked us to wait.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.clock import Clock, utcnow
from bot.domain.retry import retry_after_seconds, retryable_status
from integrations.common.errors import VendorHttpError
from integrations.pagerduty.pager_config import PagerDutyPagerConfig

if TYPE_CHECKING:
    import httpx2
    import pagerduty

# The `pagerduty` package and its HTTP stack are imported by the calls that use them,
# so a smokejumper that does not page never loads them.

T = TypeVar("T")

STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    408: "request_timeout",
    429: "rate_limited",
}
DETAIL_LIMIT = 200
# One page of on-call entries is plenty for a chat answer; the rest are later levels.
ONCALLS_PAGE = 25


class PagerDutyError(VendorHttpError):
    """A PagerDuty call failed."""


# Where PagerDuty says how long to wait: `Retry-After` (seconds or an HTTP date), else the
# REST API's `ratelimit-reset` (seconds until the rate limit window resets).
WAIT_HEADERS = ("retry-after", "ratelimit-reset")


class _StatusFailure(Exception):
    """Raised from the HTTP layer on any non-2xx, before the package's retry loop sees it."""

    def __init__(self, status: int, waits: list[str | None], body: Any) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        # Header values as sent; read against the clock when the error is classified.
        self.waits = waits
        self.body = body

    def retry_after(self, now: datetime) -> float | None:
        """Seconds PagerDuty asked us to wait, from the first header that can be read."""
        for value in self.waits:
            seconds = retry_after_seconds(value, now)
            if seconds is not None:
                return seconds
        return None


def _raise_on_failure(response: httpx2.Response) -> None:
    # The package's retry table has no "never" for 429 (0 means its default: retry
    # forever, sleeping in the thread); failing here keeps each call to one request.
    if response.is_success:
        return
    response.read()
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    waits = [response.headers.get(name) for name in WAIT_HEADERS]
    raise _StatusFailure(response.status_code, waits, body)


def _error_detail(body: Any) -> str:
    """PagerDuty's own words for a rejection: Events `errors`, or REST `error.message`."""
    if not isinstance(body, dict):
        return ""
    parts: list[str] = []
    inner = body.get("error")
    if isinstance(inner, dict):
        parts.append(str(inner.get("message", "")))
        parts.extend(str(e) for e in inner.get("errors") or [])
    else:
        parts.append(str(body.get("message", "")))
        parts.extend(str(e) for e in body.get("errors") or [])
    return "; ".join(p for p in parts if p)


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _chain(exc: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def classify(
    exc: BaseException, operation: str, now: datetime, secrets: Iterable[str] = ()
) -> PagerDutyError:
    """Turn any failure of one attempt into an error that says whether a retry can help."""
    import httpx2
    import pagerduty

    where = f"PagerDuty {operation}"
    if isinstance(exc, _StatusFailure):
        status = exc.status
        code = STATUS_CODES.get(status, "server_error" if status >= 500 else f"http_{status}")
        retryable = retryable_status(status)
        message = f"{where} failed: HTTP {status}"
        detail = _redact(_error_detail(exc.body), secrets)[:DETAIL_LIMIT]
        if detail and 400 <= status < 500:
            message += f" ({detail})"
        return PagerDutyError(
            code,
            message,
            retryable=retryable,
            status=status,
            retry_after=exc.retry_after(now) if retryable else None,
        )
    if isinstance(exc, TimeoutError):
        return PagerDutyError("timeout", f"{where} timed out", retryable=True)
    causes = list(_chain(exc))
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes):
        return PagerDutyError(
            "tls_error", f"{where} failed: server certificate not trusted", retryable=False
        )
    if any(isinstance(c, httpx2.TimeoutException) for c in causes):
        return PagerDutyError("timeout", f"{where} timed out", retryable=True)
    if any(isinstance(c, httpx2.TransportError) for c in causes):
        kind = next(type(c).__name__ for c in causes if isinstance(c, httpx2.TransportError))
        return PagerDutyError(
            "connection_error", f"{where} could not connect ({kind})", retryable=True
        )
    if isinstance(exc, pagerduty.Error) and exc.response is not None:
        return PagerDutyError(
            "unexpected_response",
            f"{where} failed: reply not in the documented shape",
            retryable=False,
        )
    return PagerDutyError("client_error", f"{where} failed: {type(exc).__name__}", retryable=False)


def _attempt_failures() -> tuple[type[BaseException], ...]:
    """What one attempt may raise; anything else is a bug and propagates as it is."""
    import httpx2
    import pagerduty

    return (_StatusFailure, pagerduty.Error, httpx2.HTTPError, TimeoutError, OSError)


class PagerDutyClient:
    """Events API v2 and REST API v2 calls, one request each, bounded by the timeout."""

    def __init__(self, config: PagerDutyPagerConfig, *, clock: Clock = utcnow) -> None:
        import pagerduty

        self._config = config
        self._clock = clock
        self._secrets = [config.routing_key.get_secret_value()]
        verify: ssl.SSLContext | bool = True
        if config.ca_bundle is not None:
            verify = ssl.create_default_context(cafile=str(config.ca_bundle))
        self._events = pagerduty.EventsApiV2Client(
            config.routing_key.get_secret_value(),
            base_url=config.events_url,
            verify=verify,
            event_hooks={"response": [_raise_on_failure]},
        )
        self._limit(self._events)
        self._failures = _attempt_failures()
        self._rest: pagerduty.RestApiV2Client | None = None
        if config.api_token is not None:
            self._secrets.append(config.api_token.get_secret_value())
            self._rest = pagerduty.RestApiV2Client(
                config.api_token.get_secret_value(),
                default_from=config.from_email,
                base_url=config.api_url,
                verify=verify,
                event_hooks={"response": [_raise_on_failure]},
            )
            self._limit(self._rest)

    def _limit(self, client: pagerduty.ApiClient) -> None:
        # Retries belong to the caller (the outbox), where they are counted, scheduled and
        # survive a restart; the package's loop would sleep in a thread no one can cancel.
        client.retry = {}
        client.max_network_attempts = 0
        # Typed int from the package's default; httpx2 takes fractional seconds too.
        client.timeout = self._config.timeout  # type: ignore[assignment]

    @property
    def has_rest_api(self) -> bool:
        """Whether a REST API token is configured."""
        return self._rest is not None

    def _require_rest(self) -> pagerduty.RestApiV2Client:
        if self._rest is None:
            raise PagerDutyError(
                "not_configured",
                "PagerDuty REST API is not configured (no api_token)",
                retryable=False,
            )
        return self._rest

    async def _once(self, operation: str, call: Callable[[], T]) -> T:
        try:
            # The thread is not cancelled on timeout; the client's own timeout ends it.
            return await asyncio.wait_for(asyncio.to_thread(call), self._config.timeout)
        except self._failures as exc:
            # Raised bare: package exceptions may quote request or response text.
            raise classify(exc, operation, self._clock(), self._secrets) from None

    async def trigger(
        self,
        *,
        dedup_key: str,
        summary: str,
        source: str,
        severity: str,
        timestamp: str,
        links: list[dict[str, str]],
        custom_details: dict[str, str],
    ) -> str:
        """Events API v2 `trigger`; returns the dedup key PagerDuty holds the alert under."""

        def call() -> str:
            return str(
                self._events.trigger(
                    summary,
                    source,
                    dedup_key=dedup_key,
                    severity=severity,
                    # Always explicit: the package's own timestamp helper is broken in 7.2.
                    payload={"timestamp": timestamp},
                    custom_details=custom_details or None,
                    links=links or None,
                )
            )

        return await self._once("trigger", call)

    async def acknowledge(self, dedup_key: str) -> None:
        """Events API v2 `acknowledge` for the open alert under `dedup_key`."""
        await self._once("acknowledge", lambda: self._events.acknowledge(dedup_key))

    async def resolve(self, dedup_key: str) -> None:
        """Events API v2 `resolve` for the open alert under `dedup_key`."""
        await self._once("resolve", lambda: self._events.resolve(dedup_key))

    async def latest_incident_id(self, incident_key: str) -> str | None:
        """The id of the newest incident whose dedup (incident) key is `incident_key`."""
        rest = self._require_rest()
        params = {
            "incident_key": incident_key,
            # The default window is the last month; a long incident may be older.
            "date_range": "all",
            "sort_by": "created_at:desc",
            "limit": 1,
        }
        incidents = await self._once(
            "find incident", lambda: rest.rget("/incidents", params=params)
        )
        if not isinstance(incidents, list) or not incidents:
            return None
        first = incidents[0]
        return str(first["id"]) if isinstance(first, dict) and "id" in first else None

    async def create_note(self, incident_id: str, content: str) -> str:
        """REST `POST /incidents/{id}/notes`; returns the new note's id."""
        rest = self._require_rest()
        note = await self._once(
            "add note",
            lambda: rest.rpost(f"/incidents/{incident_id}/notes", json={"content": content}),
        )
        return str(note.get("id", "")) if isinstance(note, dict) else ""

    async def oncalls(
        self, *, escalation_policy_ids: list[str], schedule_ids: list[str]
    ) -> list[dict[str, Any]]:
        """REST `GET /oncalls`: the earliest on-call entry per user and level, one page."""
        rest = self._require_rest()
        params: dict[str, Any] = {"earliest": "true", "limit": ONCALLS_PAGE}
        # The package appends the `[]` PagerDuty wants on array filters.
        if escalation_policy_ids:
            params["escalation_policy_ids"] = escalation_policy_ids
        if schedule_ids:
            params["schedule_ids"] = schedule_ids
        found = await self._once("on-call lookup", lambda: rest.rget("/oncalls", params=params))
        return (
            [entry for entry in found if isinstance(entry, dict)] if isinstance(found, list) else []
        )

    async def abilities(self) -> list[str]:
        """REST `GET /abilities`: proves the token works and the API is reachable."""
        rest = self._require_rest()
        found = await self._once("probe", lambda: rest.rget("/abilities"))
        return [str(a) for a in found] if isinstance(found, list) else []

    async def aclose(self) -> None:
        """Close the HTTP connection pools."""
        await asyncio.to_thread(self._events.close)
        if self._rest is not None:
            await asyncio.to_thread(self._rest.close)
