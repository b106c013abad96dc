"""A local HTTPS PagerDuty: Events API v2 enqueue and the REST API v2 calls notes need.

Validation follows PagerDuty's documented rules and error shapes (developer-docs and
api-schema). It is stricter than the real service in two places, on purpose: a trigger
without `payload.timestamp` is refused (the adapter must always send it), and a REST call
without the version-2 `Accept` header is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from integrations.common.tls import TestTls
from integrations.pagerduty.emulator.oncalls import BadQuery, OnCallEntry, list_oncalls

ROUTES = ("enqueue", "incidents", "notes", "abilities", "oncalls")
REST_ACCEPT = "application/vnd.pagerduty+json;version=2"
SEVERITIES = ("critical", "error", "warning", "info")
DEFAULT_WINDOW = timedelta(days=30)  # GET /incidents without since/date_range: about a month


@dataclass(frozen=True)
class RecordedRequest:
    route: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # decoded JSON, or the raw text when it is not JSON


@dataclass
class Fault:
    status: int | None = None  # answer with this status instead of processing
    retry_after: float | str | None = None  # a str is sent verbatim (an HTTP date)
    body: Any = None
    stall: float = 0.0  # hold the request this long (or until the server stops) first


@dataclass
class Incident:
    id: str
    number: int
    routing_key: str
    incident_key: str
    title: str
    status: str = "triggered"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    triggers: int = 1
    notes: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self, base_url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "incident",
            "summary": f"[#{self.number}] {self.title}",
            "self": f"{base_url}/incidents/{self.id}",
            "html_url": f"https://fake.pagerduty.com/incidents/{self.id}",
            "incident_number": self.number,
            "title": self.title,
            "created_at": self.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": self.status,
            "incident_key": self.incident_key,
            "urgency": "high",
            "alert_counts": {"all": self.triggers},
        }


def _event_error(*errors: str, status: str = "invalid event") -> web.Response:
    body = {"status": status, "message": "Event object is invalid", "errors": list(errors)}
    return web.json_response(body, status=400)


def _rest_error(status: int, message: str, code: int, *errors: str) -> web.Response:
    error: dict[str, Any] = {"message": message, "code": code}
    if errors:
        error["errors"] = list(errors)
    return web.json_response({"error": error}, status=status)


def _timestamp_problem(value: Any) -> str | None:
    if value is None or value == "":
        return "'payload.timestamp' is missing"
    if not isinstance(value, str):
        return "'payload.timestamp' is invalid"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return "'payload.timestamp' is invalid"
    if parsed.tzinfo is None:
        return "'payload.timestamp' is invalid (no time zone)"
    return None


class PagerDutyServer:
    """Events API v2 and REST API v2 over HTTPS on 127.0.0.1, with faults to inject."""

    def __init__(
        self,
        tls: TestTls,
        *,
        routing_keys: set[str],
        api_token: str,
        users: set[str],
        create_incidents: bool = True,
    ) -> None:
        self._tls = tls
        self.routing_keys = routing_keys
        self.api_token = api_token
        self.users = users
        # False mimics PagerDuty's asynchronous processing: accepted events open
        # incidents only when `process_events()` is called.
        self.create_incidents = create_incidents
        self.requests: list[RecordedRequest] = []
        self.incidents: list[Incident] = []
        # Who is on call, per escalation policy level; tests and the sandbox fill it.
        self.oncalls: list[OnCallEntry] = []
        self.dropped: list[dict[str, Any]] = []  # acks/resolves with no open alert
        self._pending: list[dict[str, Any]] = []
        self._faults: dict[str, deque[Fault]] = {route: deque() for route in ROUTES}
        self._released = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v2/enqueue", self._enqueue)
        app.router.add_get("/incidents", self._list_incidents)
        app.router.add_post("/incidents/{id}/notes", self._create_note)
        app.router.add_get("/abilities", self._abilities)
        app.router.add_get("/oncalls", self._list_oncalls)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self._tls.server_context)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"https://127.0.0.1:{port}"

    async def stop(self) -> None:
        self._released.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- test controls ---------------------------------------------------------------

    def fail(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: Any = None,
    ) -> None:
        """Answer the next `times` requests on `route` with `status` (429 gets rate headers)."""
        self._check_route(route)
        fault = Fault(status=status, retry_after=retry_after, body=body)
        self._faults[route].extend([fault] * times)

    def stall(self, route: str, seconds: float, *, times: int = 1) -> None:
        """Hold the next `times` requests on `route` before answering normally."""
        self._check_route(route)
        self._faults[route].extend([Fault(stall=seconds)] * times)

    def count(self, route: str, method: str | None = None) -> int:
        return sum(
            1 for r in self.requests if r.route == route and (method is None or r.method == method)
        )

    def events(self, action: str | None = None) -> list[dict[str, Any]]:
        """Bodies of the events received, optionally of one `event_action`."""
        return [
            r.body
            for r in self.requests
            if r.route == "enqueue"
            and isinstance(r.body, dict)
            and (action is None or r.body.get("event_action") == action)
        ]

    def process_events(self) -> None:
        """Apply events accepted while `create_incidents` was False."""
        pending, self._pending = self._pending, []
        for event in pending:
            self._apply(event)

    def incidents_for(self, incident_key: str) -> list[Incident]:
        return [i for i in self.incidents if i.incident_key == incident_key]

    def _check_route(self, route: str) -> None:
        if route not in ROUTES:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")

    # -- shared request handling -----------------------------------------------------

    async def _record(self, route: str, request: web.Request) -> RecordedRequest:
        text = await request.text()
        try:
            body: Any = json.loads(text) if text else None
        except ValueError:
            body = text
        recorded = RecordedRequest(
            route=route,
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=dict(request.headers),
            body=body,
        )
        self.requests.append(recorded)
        return recorded

    async def _fault(self, route: str) -> web.Response | None:
        if not self._faults[route]:
            return None
        fault = self._faults[route].popleft()
        if fault.stall:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), fault.stall)
        if fault.status is None:
            return None
        return self._fault_response(route, fault)

    def _fault_response(self, route: str, fault: Fault) -> web.Response:
        assert fault.status is not None
        headers: dict[str, str] = {}
        rest = route != "enqueue"
        retry_after = fault.retry_after
        if fault.status == 429 and retry_after is not None:
            value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
            if rest:
                # REST API v2 announces its window with ratelimit-* headers.
                headers["ratelimit-limit"] = "960"
                headers["ratelimit-remaining"] = "0"
                headers["ratelimit-reset"] = value
            else:
                headers["Retry-After"] = value
        body = fault.body
        if body is None:
            body = self._default_fault_body(fault.status, rest)
        return web.json_response(body, status=fault.status, headers=headers)

    def _default_fault_body(self, status: int, rest: bool) -> dict[str, Any]:
        if rest:
            if status == 429:
                return {"error": {"message": "Rate Limit Exceeded", "code": 2020}}
            if status >= 500:
                return {
                    "error": {
                        "message": "An internal error has occurred. PagerDuty team has been "
                        "notified.",
                        "code": 2000,
                    }
                }
            return {"error": {"message": "Invalid Input Provided", "code": 2001}}
        if status == 429:
            return {
                "status": "throttle event",
                "message": "Requests for this service are arriving too quickly. Please retry "
                "later.",
            }
        if status >= 500:
            return {"status": "error", "message": "Internal Server Error"}
        return {"status": "invalid event", "message": "Event object is invalid", "errors": []}

    # -- Events API v2 ---------------------------------------------------------------

    async def _enqueue(self, request: web.Request) -> web.Response:
        recorded = await self._record("enqueue", request)
        faulted = await self._fault("enqueue")
        if faulted is not None:
            return faulted
        if request.content_type != "application/json":
            return _event_error("Content-Type must be application/json")
        event = recorded.body
        if not isinstance(event, dict):
            return web.json_response(
                {
                    "status": "Unrecognized object",
                    "message": "Event object format is unrecognized",
                    "errors": ["JSON parse error"],
                },
                status=400,
            )
        problems = self._event_problems(event)
        if problems:
            return _event_error(*problems)
        if event["event_action"] == "trigger" and not event.get("dedup_key"):
            event = {**event, "dedup_key": uuid.uuid4().hex}
        if self.create_incidents:
            self._apply(event)
        else:
            self._pending.append(event)
        return web.json_response(
            {"status": "success", "message": "Event processed", "dedup_key": event["dedup_key"]},
            status=202,
        )

    def _event_problems(self, event: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        key = event.get("routing_key")
        if not isinstance(key, str) or not key:
            problems.append("'routing_key' is missing or blank")
        elif len(key) != 32:
            problems.append("Length of 'routing_key' is incorrect (should be 32 characters)")
        elif key not in self.routing_keys:
            problems.append("Invalid routing key")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            problems.append(
                "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)"
            )
        dedup_key = event.get("dedup_key")
        if dedup_key is not None and (not isinstance(dedup_key, str) or len(dedup_key) > 255):
            problems.append("'dedup_key' is invalid (at most 255 characters)")
        if action in ("acknowledge", "resolve") and not dedup_key:
            problems.append("'dedup_key' is missing or blank")
        if action == "trigger":
            problems.extend(self._payload_problems(event.get("payload")))
            problems.extend(self._link_problems(event.get("links", [])))
        return problems

    def _payload_problems(self, payload: Any) -> list[str]:
        if not isinstance(payload, dict):
            return ["'payload' is missing or is not an object"]
        problems: list[str] = []
        for name in ("summary", "source", "severity"):
            value = payload.get(name)
            if not isinstance(value, str) or not value.strip():
                problems.append(f"'payload.{name}' is missing or blank")
        summary = payload.get("summary")
        if isinstance(summary, str) and len(summary) > 1024:
            problems.append("'payload.summary' is too long (at most 1024 characters)")
        severity = payload.get("severity")
        if isinstance(severity, str) and severity and severity not in SEVERITIES:
            problems.append(
                "'payload.severity' is invalid (must be one of: critical, error, warning, info)"
            )
        details = payload.get("custom_details")
        if details is not None and not isinstance(details, dict):
            problems.append("'payload.custom_details' must be an object")
        timestamp_problem = _timestamp_problem(payload.get("timestamp"))
        if timestamp_problem:
            problems.append(timestamp_problem)
        return problems

    def _link_problems(self, links: Any) -> list[str]:
        if not isinstance(links, list):
            return ["'links' must be an array"]
        for link in links:
            if not isinstance(link, dict) or not isinstance(link.get("href"), str):
                return ["'links' items must be objects with an 'href'"]
        return []

    def _open_incident(self, routing_key: str, dedup_key: str) -> Incident | None:
        for incident in reversed(self.incidents):
            if (
                incident.routing_key == routing_key
                and incident.incident_key == dedup_key
                and incident.status != "resolved"
            ):
                return incident
        return None

    def _apply(self, event: dict[str, Any]) -> None:
        routing_key, dedup_key = event["routing_key"], event["dedup_key"]
        incident = self._open_incident(routing_key, dedup_key)
        action = event["event_action"]
        if action == "trigger":
            if incident is not None:
                incident.triggers += 1
                return
            number = len(self.incidents) + 1
            self.incidents.append(
                Incident(
                    id=f"PINC{number:03d}",
                    number=number,
                    routing_key=routing_key,
                    incident_key=dedup_key,
                    title=event["payload"]["summary"],
                )
            )
        elif incident is None:
            self.dropped.append(event)
        else:
            incident.status = "acknowledged" if action == "acknowledge" else "resolved"

    # -- REST API v2 -----------------------------------------------------------------

    def _rest_refusal(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Token token={self.api_token}":
            return _rest_error(401, "Authentication failed", 2006)
        if request.headers.get("Accept") != REST_ACCEPT:
            return _rest_error(400, "Invalid Input Provided", 2001, f"Accept must be {REST_ACCEPT}")
        return None

    async def _list_incidents(self, request: web.Request) -> web.Response:
        await self._record("incidents", request)
        refused = self._rest_refusal(request) or await self._fault("incidents")
        if refused is not None:
            return refused
        query = request.query
        try:
            limit = int(query.get("limit", "25"))
            offset = int(query.get("offset", "0"))
        except ValueError:
            return _rest_error(400, "Invalid Input Provided", 2001, "limit and offset are numbers")
        if not 1 <= limit <= 100 or offset < 0:
            return _rest_error(400, "Invalid Input Provided", 2001, "limit is 1 to 100")
        found = list(self.incidents)
        if "incident_key" in query:
            found = [i for i in found if i.incident_key == query["incident_key"]]
        if query.get("date_range") != "all":
            since = datetime.now(UTC) - DEFAULT_WINDOW
            found = [i for i in found if i.created_at >= since]
        sort_by = query.get("sort_by", "created_at:asc")
        field_name, _, direction = sort_by.partition(":")
        if field_name not in ("created_at", "incident_number") or direction not in (
            "",
            "asc",
            "desc",
        ):
            return _rest_error(400, "Invalid Input Provided", 2001, f"bad sort_by {sort_by}")
        found.sort(key=lambda i: (i.created_at, i.number), reverse=direction == "desc")
        page = found[offset : offset + limit]
        return web.json_response(
            {
                "incidents": [i.as_json(self.url) for i in page],
                "limit": limit,
                "offset": offset,
                "total": None,
                "more": offset + limit < len(found),
            }
        )

    async def _create_note(self, request: web.Request) -> web.Response:
        recorded = await self._record("notes", request)
        refused = self._rest_refusal(request) or await self._fault("notes")
        if refused is not None:
            return refused
        sender = request.headers.get("From")
        if not sender:
            return _rest_error(400, "You must specify a requester_id to perform this action", 2011)
        if sender not in self.users:
            return _rest_error(400, "Requester User Not Found", 1008)
        body = recorded.body
        note = body.get("note") if isinstance(body, dict) else None
        content = note.get("content") if isinstance(note, dict) else None
        if not isinstance(content, str) or not content.strip():
            return _rest_error(400, "Invalid Input Provided", 2001, "Note content is required")
        incident = next((i for i in self.incidents if i.id == request.match_info["id"]), None)
        if incident is None:
            return _rest_error(404, "Not Found", 2100)
        created = {
            "id": f"PNOTE{len(incident.notes) + 1:02d}",
            "user": {"type": "user_reference", "summary": sender},
            "channel": {"summary": "The PagerDuty website or APIs"},
            "content": content,
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        incident.notes.append(created)
        return web.json_response({"note": created}, status=201)

    async def _abilities(self, request: web.Request) -> web.Response:
        await self._record("abilities", request)
        refused = self._rest_refusal(request) or await self._fault("abilities")
        if refused is not None:
            return refused
        return web.json_response({"abilities": ["teams", "urgencies"]})

    async def _list_oncalls(self, request: web.Request) -> web.Response:
        await self._record("oncalls", request)
        refused = self._rest_refusal(request) or await self._fault("oncalls")
        if refused is not None:
            return refused
        try:
            return web.json_response(list_oncalls(self.oncalls, request, self.url))
        except BadQuery as exc:
            return _rest_error(400, "Invalid Input Provided", 2001, str(exc))
