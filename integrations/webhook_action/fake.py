"""`FakeWebhookReceiver`: a local receiver that checks what a careful real one would."""

from __future__ import annotations

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import SecretStr

from bot.domain.errors import IntakeError
from integrations.generic.source import verify_signature
from integrations.webhook_action.client import IDEMPOTENCY_HEADER

BODY_FIELDS = frozenset(
    {"incident_id", "action", "service", "environment", "params", "idempotency_key", "timestamp"}
)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One accepted POST: what arrived and what was answered."""

    webhook: str
    idempotency_key: str
    body: dict[str, Any]
    status: int
    duplicate: bool


@dataclass
class _Hook:
    secret: str
    default_status: int
    queued: deque[int] = field(default_factory=deque)
    # Keys already processed, with the answer a repeat gets.
    done: dict[str, int] = field(default_factory=dict)
    held: asyncio.Event | None = None
    status_answer: int | None = None
    retry_after: str | None = None  # sent verbatim with every refusal of a delivery


class FakeWebhookReceiver:
    """Serves POST /hooks/{name} and GET /status/{name} on 127.0.0.1."""

    def __init__(self) -> None:
        self._hooks: dict[str, _Hook] = {}
        self.deliveries: list[Delivery] = []
        # Every refused request as (webhook, status, reason).
        self.refusals: list[tuple[str, int, str]] = []
        self.status_checks: list[tuple[str, str]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def register(self, name: str, secret: str, *, status: int = 202) -> None:
        """Accept deliveries for `name` signed with `secret`, answering `status`."""
        self._hooks[name] = _Hook(secret=secret, default_status=status)

    def answer(self, name: str, *statuses: int, retry_after: str | None = None) -> None:
        """Answer the next deliveries to `name` with `statuses`, in order; a refusal among
        them carries `Retry-After: retry_after` when one is given."""
        self._hooks[name].queued.extend(statuses)
        self._hooks[name].retry_after = retry_after

    def hold(self, name: str) -> None:
        """Keep deliveries to `name` waiting until `release` (or `stop`)."""
        self._hooks[name].held = asyncio.Event()

    def release(self, name: str) -> None:
        held = self._hooks[name].held
        if held is not None:
            held.set()

    def answer_status(self, name: str, status: int) -> None:
        """Make GET /status/{name} answer `status` whatever key it is asked about."""
        self._hooks[name].status_answer = status

    def runs(self, name: str) -> list[Delivery]:
        """Deliveries to `name` that did work: accepted and not repeats."""
        return [
            d
            for d in self.deliveries
            if d.webhook == name and not d.duplicate and 200 <= d.status < 300
        ]

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("receiver not started")
        return f"http://127.0.0.1:{self._port}"

    def hook_url(self, name: str) -> str:
        return f"{self.base_url}/hooks/{name}"

    def status_url(self, name: str) -> str:
        return f"{self.base_url}/status/{name}"

    async def start(self) -> None:
        """Serve on an ephemeral port."""
        app = web.Application()
        app.router.add_post("/hooks/{name}", self._deliver)
        app.router.add_get("/status/{name}", self._status)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        for hook in self._hooks.values():
            if hook.held is not None:
                hook.held.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _refuse(self, name: str, status: int, reason: str) -> web.Response:
        self.refusals.append((name, status, reason))
        return web.json_response({"error": reason}, status=status)

    async def _deliver(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hook = self._hooks.get(name)
        if hook is None:
            return self._refuse(name, 404, "unknown_webhook")
        if request.content_type != "application/json":
            return self._refuse(name, 415, "content_type_must_be_json")
        raw = await request.read()
        try:
            verify_signature(SecretStr(hook.secret), request.headers, raw)
        except IntakeError as exc:
            return self._refuse(name, 401, exc.code)
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if not key:
            return self._refuse(name, 400, "missing_idempotency_key")
        problem, body = _check_body(raw, key)
        if problem:
            return self._refuse(name, 400, problem)
        if key in hook.done:
            status = hook.done[key]
            self.deliveries.append(Delivery(name, key, body, status, duplicate=True))
            return web.json_response({"duplicate": True}, status=status)
        if hook.held is not None:
            await hook.held.wait()
        status = hook.queued.popleft() if hook.queued else hook.default_status
        if 200 <= status < 300:
            hook.done[key] = status
        self.deliveries.append(Delivery(name, key, body, status, duplicate=False))
        accepted = 200 <= status < 300
        headers = {"Retry-After": hook.retry_after} if hook.retry_after and not accepted else {}
        return web.json_response({"accepted": accepted}, status=status, headers=headers)

    async def _status(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        hook = self._hooks.get(name)
        if hook is None:
            return self._refuse(name, 404, "unknown_webhook")
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        if not key:
            return self._refuse(name, 400, "missing_idempotency_key")
        self.status_checks.append((name, key))
        if hook.status_answer is not None:
            return web.json_response({}, status=hook.status_answer)
        if key not in hook.done:
            return web.json_response({"error": "unknown_run"}, status=404)
        return web.json_response({"healthy": True})


def _check_body(raw: bytes, key: str) -> tuple[str, dict[str, Any]]:
    """Why the body is not the documented shape ('' when it is), and the parsed body."""
    try:
        body = json.loads(raw)
    except ValueError:
        return "body_not_json", {}
    if not isinstance(body, dict) or set(body) != BODY_FIELDS:
        return "body_fields_wrong", {}
    if body["idempotency_key"] != key:
        return "idempotency_key_mismatch", body
    strings = BODY_FIELDS - {"params"}
    if not all(isinstance(body[f], str) and body[f] for f in strings):
        return "body_field_not_a_string", body
    params = body["params"]
    if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
        return "params_not_strings", body
    try:
        sent_at = datetime.fromisoformat(body["timestamp"])
    except ValueError:
        return "timestamp_not_iso8601", body
    if sent_at.tzinfo is None:
        return "timestamp_without_timezone", body
    return "", body
