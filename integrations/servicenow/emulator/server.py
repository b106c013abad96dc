"""A local ServiceNow Table API over real HTTP, as strict as an instance where it matters."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from aiohttp import web

FaultKind = Literal[
    "unavailable",  # 503 before anything happens
    "internal_error",  # 500 before anything happens
    "rate_limited",  # 429 with Retry-After before anything happens
    "drop",  # connection closed without a response, nothing done
    "commit_then_drop",  # the change is stored, then the connection closes unanswered
    "commit_then_unavailable",  # the change is stored, then a 503 comes back
    "commit_then_stall",  # the change is stored, the answer comes after `stall_seconds`
]
COMMITTING = frozenset({"commit_then_drop", "commit_then_unavailable", "commit_then_stall"})

TABLE_PATH = re.compile(r"^/api/now/table/(?P<table>[^/]+)(?:/(?P<sys_id>[^/]+))?/?$")
CONDITION = re.compile(
    r"^(?P<field>[a-z_][a-z0-9_]*)(?P<op>!=|=|NOT LIKE|LIKE|STARTSWITH)(?P<value>.*)$"
)

SYSTEM_FIELDS = frozenset(
    {"sys_id", "sys_created_on", "sys_created_by", "sys_updated_on", "sys_updated_by"}
)
SCHEMAS: dict[str, frozenset[str]] = {
    "incident": SYSTEM_FIELDS
    | {
        "number",
        "short_description",
        "description",
        "urgency",
        "impact",
        "priority",
        "state",
        "incident_state",
        "active",
        "category",
        "assignment_group",
        "caller_id",
        "correlation_id",
        "correlation_display",
        "close_code",
        "close_notes",
        "resolved_at",
        "resolved_by",
        "opened_at",
        "work_notes",
        "comments",
    },
    "sys_journal_field": SYSTEM_FIELDS | {"element", "element_id", "name", "value"},
    "sys_user_group": SYSTEM_FIELDS | {"name", "active"},
    "sys_user": SYSTEM_FIELDS | {"user_name", "name", "active"},
}
# Journal fields are write-only through the record: a write appends an entry, reads give "".
JOURNAL_FIELDS = frozenset({"work_notes", "comments"})
REFERENCES = {"assignment_group": "sys_user_group", "caller_id": "sys_user"}
WRITABLE_TABLES = frozenset({"incident"})
RESOLVED_STATES = frozenset({"6", "7"})


def _error(status: int, message: str, detail: str | None) -> web.Response:
    body = {"error": {"message": message, "detail": detail}, "status": "failure"}
    return web.json_response(body, status=status)


def _unauthorized() -> web.Response:
    response = _error(401, "User is not authenticated", "Required to provide Auth information")
    response.headers["WWW-Authenticate"] = 'BASIC realm="Service-now"'
    return response


def _no_record() -> web.Response:
    return _error(
        404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval"
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


@dataclass
class RecordedRequest:
    """One request as it arrived, and what became of it."""

    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON; the raw text when it was not JSON; None when empty
    content_type: str
    authorized: bool
    status: int | None = None  # None when the connection was dropped unanswered
    fault: str | None = None
    ignored_fields: list[str] = field(default_factory=list)  # unknown names the API skipped

    @property
    def table(self) -> str | None:
        match = TABLE_PATH.match(self.path)
        return match["table"] if match else None

    @property
    def sys_id(self) -> str | None:
        match = TABLE_PATH.match(self.path)
        return match["sys_id"] if match else None


@dataclass
class Fault:
    kind: FaultKind
    remaining: int
    method: str | None
    table: str | None
    retry_after: int | str | None  # a str is sent verbatim (an HTTP date)
    stall_seconds: float

    def applies(self, method: str, table: str | None) -> bool:
        return (self.method is None or self.method == method) and (
            self.table is None or self.table == table
        )


@dataclass
class Query:
    conditions: list[tuple[str, str, str]]
    order: list[tuple[str, bool]]  # (field, descending)
    ignored: list[str]


class UnsupportedQuery(ValueError):
    """An encoded-query feature this server does not implement (so tests fail loudly)."""


def parse_query(table: str, encoded: str) -> Query:
    """Split an encoded query into conditions and ordering; unknown fields are skipped."""
    schema = SCHEMAS[table]
    query = Query([], [], [])
    if not encoded:
        return query
    for term in encoded.split("^"):
        if not term:
            continue
        if term.startswith("NQ") or (term.startswith("OR") and not term.startswith("ORDERBY")):
            raise UnsupportedQuery("OR and NQ are not implemented by the test server")
        if term.startswith("ORDERBYDESC"):
            name, descending = term[len("ORDERBYDESC") :], True
        elif term.startswith("ORDERBY"):
            name, descending = term[len("ORDERBY") :], False
        else:
            match = CONDITION.match(term)
            if match is None:
                raise UnsupportedQuery(f"cannot parse query term {term!r}")
            if match["field"] not in schema:
                query.ignored.append(match["field"])
                continue
            query.conditions.append((match["field"], match["op"], match["value"]))
            continue
        if name in schema:
            query.order.append((name, descending))
        else:
            query.ignored.append(name)
    return query


def _field_value(name: str) -> Callable[[dict[str, str]], str]:
    return lambda record: record.get(name, "")


def _matches(record: dict[str, str], conditions: list[tuple[str, str, str]]) -> bool:
    for name, op, expected in conditions:
        actual = record.get(name, "")
        # Instances on the default collation compare strings without regard to case.
        if op == "=" and actual.lower() != expected.lower():
            return False
        if op == "!=" and actual.lower() == expected.lower():
            return False
        # LIKE means "contains", case-insensitive, as in the list filter's "contains".
        if op == "LIKE" and expected.lower() not in actual.lower():
            return False
        if op == "NOT LIKE" and expected.lower() in actual.lower():
            return False
        if op == "STARTSWITH" and not actual.lower().startswith(expected.lower()):
            return False
    return True


class ServiceNowServer:
    """An instance's Table API for incident, sys_journal_field, sys_user_group and sys_user."""

    def __init__(
        self,
        *,
        user: str = "smokejumper.integration",
        password: str = "correct horse battery staple",  # noqa: S107  test-only peer
        empty_query_404: bool = False,
    ) -> None:
        self.user = user
        self.password = password
        # Table API v1 answered an empty query with 404 "No Record found"; v2 with [].
        self.empty_query_404 = empty_query_404
        self.tables: dict[str, list[dict[str, str]]] = {name: [] for name in SCHEMAS}
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._numbers = itertools.count(10001)
        self._clock = datetime(2026, 1, 1, tzinfo=UTC)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await self._listen()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def go_offline(self) -> None:
        """Stop listening and cut open connections: new ones are refused until `go_online`."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            # Pooled keep-alive connections would otherwise still reach the app.
            for connection in self._runner.server.connections:
                connection.force_close()

    async def go_online(self) -> None:
        """Listen again on the same port."""
        if self._site is None:
            await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await self._site.start()
        if not self._port:
            self._port = self._runner.addresses[0][1]

    async def __aenter__(self) -> ServiceNowServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # test controls

    def fail_next(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        method: str | None = None,
        table: str | None = None,
        retry_after: int | str | None = None,
        stall_seconds: float = 1.0,
    ) -> None:
        """Make the next `times` matching requests fail the way `kind` says."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._faults.append(Fault(kind, times, method, table, retry_after, stall_seconds))

    def add_record(self, table: str, **values: str) -> dict[str, str]:
        """Seed a record (a group, a user, an incident) directly into a table."""
        unknown = set(values) - SCHEMAS[table]
        if unknown:
            raise ValueError(f"{table} has no fields {sorted(unknown)}")
        record = self._new_record("admin")
        record.update(values)
        self.tables[table].append(record)
        return record

    def incidents(self) -> list[dict[str, str]]:
        return list(self.tables["incident"])

    def journal(self, sys_id: str, element: str = "work_notes") -> list[str]:
        """Journal entry values for one record, oldest first."""
        return [
            entry["value"]
            for entry in self.tables["sys_journal_field"]
            if entry["element_id"] == sys_id and entry["element"] == element
        ]

    def calls(self, method: str | None = None, table: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, optionally only those with this method and table."""
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (table is None or r.table == table)
        ]

    # request handling

    def _take_fault(self, method: str, table: str | None) -> Fault | None:
        for fault in self._faults:
            if fault.applies(method, table):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(user, self.user) and hmac.compare_digest(password, self.password)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        text = raw.decode("utf-8", errors="replace")
        body: Any = None
        if text:
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            body=body,
            content_type=request.headers.get("Content-Type", ""),
            authorized=self._authorized(request),
        )
        self.requests.append(recorded)
        fault = self._take_fault(request.method, recorded.table)
        if fault is not None:
            recorded.fault = fault.kind
            if fault.kind == "drop":
                return self._drop(request)
            early = self._early_fault(fault)
            if early is not None:
                recorded.status = early.status
                return early
        response = self._respond(request, recorded)
        recorded.status = response.status
        if fault is not None and fault.kind in COMMITTING:
            if fault.kind == "commit_then_drop":
                recorded.status = None
                return self._drop(request)
            if fault.kind == "commit_then_unavailable":
                recorded.status = 503
                return self._unavailable()
            await asyncio.sleep(fault.stall_seconds)
        return response

    def _early_fault(self, fault: Fault) -> web.Response | None:
        if fault.kind == "unavailable":
            return self._unavailable()
        if fault.kind == "internal_error":
            return _error(500, "Internal server error", "Transaction cancelled")
        if fault.kind == "rate_limited":
            response = _error(429, "Rate limit exceeded", "Too many requests for this user")
            if fault.retry_after is not None:
                response.headers["Retry-After"] = str(fault.retry_after)
            return response
        return None

    @staticmethod
    def _unavailable() -> web.Response:
        # An instance in maintenance answers from the load balancer, in HTML.
        return web.Response(
            status=503,
            text="<html><body>Instance Unavailable</body></html>",
            content_type="text/html",
        )

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        # Never written: the transport is already closed.
        return web.Response(status=503)

    def _respond(self, request: web.Request, recorded: RecordedRequest) -> web.Response:
        if not recorded.authorized:
            return _unauthorized()
        match = TABLE_PATH.match(request.path)
        if match is None:
            return _error(400, "Requested URI does not represent any resource", None)
        table, sys_id = match["table"], match["sys_id"]
        if table not in SCHEMAS:
            return _error(400, f"Invalid table {table}", None)
        method = request.method
        try:
            if method == "GET":
                if sys_id is None:
                    return self._list(request, table, recorded)
                return self._read(request, table, sys_id)
            if method in {"POST", "PATCH", "PUT"}:
                if (method == "POST") == (sys_id is not None):
                    return _error(405, "Method not Supported", "Method not supported for API")
                return self._write(request, recorded, table, sys_id)
        except UnsupportedQuery as exc:
            return _error(400, "Unsupported query in test server", str(exc))
        return _error(405, "Method not Supported", "Method not supported for API")

    # reads

    def _find(self, table: str, sys_id: str) -> dict[str, str] | None:
        return next((r for r in self.tables[table] if r["sys_id"] == sys_id), None)

    def _render(self, request: web.Request, table: str, record: dict[str, str]) -> dict[str, Any]:
        wanted = [f for f in request.query.get("sysparm_fields", "").split(",") if f]
        names = [f for f in wanted if f in SCHEMAS[table]] if wanted else sorted(SCHEMAS[table])
        exclude_links = request.query.get("sysparm_exclude_reference_link", "").lower() == "true"
        out: dict[str, Any] = {}
        for name in names:
            value = "" if name in JOURNAL_FIELDS else record.get(name, "")
            target = REFERENCES.get(name) if table == "incident" else None
            if target and value and not exclude_links:
                link = f"{self.url}/api/now/table/{target}/{value}"
                out[name] = {"link": link, "value": value}
            else:
                out[name] = value
        return out

    def _list(self, request: web.Request, table: str, recorded: RecordedRequest) -> web.Response:
        query = parse_query(table, request.query.get("sysparm_query", ""))
        recorded.ignored_fields.extend(query.ignored)
        try:
            limit = int(request.query.get("sysparm_limit", "10000"))
            offset = int(request.query.get("sysparm_offset") or "0")
        except ValueError:
            return _error(400, "Invalid parameter", "sysparm_limit and sysparm_offset take numbers")
        rows = [r for r in self.tables[table] if _matches(r, query.conditions)]
        for name, descending in reversed(query.order):
            rows.sort(key=_field_value(name), reverse=descending)
        total = len(rows)
        page = rows[offset : offset + limit]
        if not page and self.empty_query_404:
            return _no_record()
        response = web.json_response({"result": [self._render(request, table, r) for r in page]})
        response.headers["X-Total-Count"] = str(total)
        return response

    def _read(self, request: web.Request, table: str, sys_id: str) -> web.Response:
        record = self._find(table, sys_id)
        if record is None:
            return _no_record()
        return web.json_response({"result": self._render(request, table, record)})

    # writes

    def _write(
        self,
        request: web.Request,
        recorded: RecordedRequest,
        table: str,
        sys_id: str | None,
    ) -> web.Response:
        if "application/json" not in recorded.content_type.lower():
            return _error(415, "Unsupported Media Type", "Content-Type must be application/json")
        if not isinstance(recorded.body, dict):
            return _error(400, "Exception while reading request", "The payload is not valid JSON.")
        if table not in WRITABLE_TABLES:
            return _error(
                403, "Operation Failed", "ACL Exception Insert Failed due to security constraints"
            )
        schema = SCHEMAS[table]
        # Names the table does not have are skipped without an error, as an instance does.
        recorded.ignored_fields.extend(k for k in recorded.body if k not in schema)
        changes = {
            k: "" if v is None else str(v)
            for k, v in recorded.body.items()
            if k in schema and k not in SYSTEM_FIELDS and k != "number"
        }
        if sys_id is None:
            record = self._new_record(self.user)
            record.update(
                {"number": f"INC{next(self._numbers):07d}", "state": "1", "active": "true"}
            )
            record["opened_at"] = record["sys_created_on"]
            status = 201
        else:
            found = self._find(table, sys_id)
            if found is None:
                return _no_record()
            record, status = found, 200
        merged = {**record, **changes}
        if merged.get("state") in RESOLVED_STATES and not (
            merged.get("close_code") and merged.get("close_notes")
        ):
            return _error(
                403,
                "Operation Failed",
                "Data Policy Exception: \n\tThe following fields are mandatory: "
                "Resolution code, Resolution notes\n",
            )
        self._apply(table, record, changes)
        if sys_id is None:
            self.tables[table].append(record)
        response = web.json_response(
            {"result": self._render(request, table, record)}, status=status
        )
        if status == 201:
            response.headers["Location"] = f"{self.url}/api/now/table/{table}/{record['sys_id']}"
        return response

    def _apply(self, table: str, record: dict[str, str], changes: dict[str, str]) -> None:
        now = self._tick()
        for name, value in changes.items():
            if name in JOURNAL_FIELDS:
                if value:
                    self._journal(table, record["sys_id"], name, value)
                continue
            record[name] = value
        if "state" in changes:
            record["incident_state"] = changes["state"]
            if changes["state"] in RESOLVED_STATES and not record.get("resolved_at"):
                record["resolved_at"], record["resolved_by"] = _stamp(now), self.user
        urgency, impact = record.get("urgency", ""), record.get("impact", "")
        if urgency.isdigit() and impact.isdigit():
            record["priority"] = str(int(urgency) + int(impact) - 1)
        record["sys_updated_on"], record["sys_updated_by"] = _stamp(now), self.user

    def _journal(self, table: str, sys_id: str, element: str, value: str) -> None:
        entry = self._new_record(self.user)
        entry.update({"element": element, "element_id": sys_id, "name": table, "value": value})
        self.tables["sys_journal_field"].append(entry)

    def _new_record(self, by: str) -> dict[str, str]:
        stamp = _stamp(self._tick())
        return {
            "sys_id": uuid.uuid4().hex,
            "sys_created_on": stamp,
            "sys_created_by": by,
            "sys_updated_on": stamp,
            "sys_updated_by": by,
        }

    def _tick(self) -> datetime:
        # A deterministic clock one second per write keeps ORDERBYsys_created_on meaningful.
        self._clock += timedelta(seconds=1)
        return self._clock
