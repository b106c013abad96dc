"""POST /slack/events: verify the signature on the raw bytes, then Bolt; replays dropped.

No answer waits on the database: commands and clicks are acked by their listener before
their receipt is written (handlers/slack/receipts.py), events are acked here before
anything else happens; the work after the ack runs in the work pool (handlers/slack/work.py).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.domain.clock import Clock
from bot.domain.errors import IntakeError
from handlers.http.alerts import Handler
from handlers.http.bodies import read_limited_body
from handlers.slack.receipts import ReceiptAck
from handlers.slack.replay import ReplayGuard, request_digest
from handlers.slack.verify import check_body, verify
from handlers.slack.work import WorkPool


def slack_events_handler(
    bolt: AsyncApp,
    max_body_bytes: int,
    *,
    signing_secret: str,
    replays: ReplayGuard,
    clock: Clock,
    work: WorkPool,
) -> Handler:
    async def dispatch_event(digest: str, bolt_request: AsyncBoltRequest) -> None:
        if not await replays.first_time(digest):
            return
        response = await bolt.async_dispatch(bolt_request)
        if response.status >= 400:
            # Nothing handled it (no listener wants it, a refused payload): no receipt stays.
            await replays.forget(digest)

    async def handle(request: web.Request) -> web.StreamResponse:
        body = await read_limited_body(request, max_body_bytes)
        timestamp = verify(signing_secret, request.headers, body, clock())
        check_body(body, request.headers.get("Content-Type", ""))
        digest = request_digest(timestamp, body)
        context: dict[str, Any] = {}
        if _is_form(request.headers.get("Content-Type", "")):
            # Commands and clicks: acked first, their receipt recorded after the ack.
            context["ack"] = ReceiptAck(replays, digest, work)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers={name: request.headers.getall(name) for name in request.headers},
            context=context,
        )
        if not context and _is_event(bolt_request):
            # Events: answered at once, whatever comes of them (Slack expects a 2xx for
            # every event, and retries, then disables the subscription, on anything
            # else). The receipt, then Bolt, run afterwards in the work pool; a replay is
            # acked too, so whoever replays has no reason to send it again.
            work.submit(lambda: dispatch_event(digest, bolt_request), "event")
            return web.Response(status=200)
        if not context and not await replays.first_time(digest):
            # Anything else (url_verification: Bolt answers the challenge) is dispatched
            # here, in the request; a replay of it is acked and dropped.
            return web.Response(status=200)
        response = await bolt.async_dispatch(bolt_request)
        if response.status >= 400 and not context:
            # Nothing handled it (no listener, a refused payload): leave no receipt behind.
            await replays.forget(digest)
        if 400 <= response.status < 500:
            # Bolt's own refusals, in the JSON error shape every other route answers with.
            raise IntakeError(
                response.status,
                "unhandled_request" if response.status == 404 else "refused",
                "no listener handles this Slack request"
                if response.status == 404
                else f"Slack request refused ({response.status})",
            )
        return await to_aiohttp_response(response)

    return handle


def _is_event(request: AsyncBoltRequest) -> bool:
    body = request.body
    return isinstance(body, dict) and body.get("type") == "event_callback"


def _is_form(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() == "application/x-www-form-urlencoded"
