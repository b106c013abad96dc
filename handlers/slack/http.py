"""POST /slack/events: verify the signature on the raw bytes, drop replays, then Bolt."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.domain.clock import Clock
from bot.domain.errors import IntakeError
from handlers.http.alerts import Handler
from handlers.http.bodies import read_limited_body
from handlers.slack.replay import ReplayGuard, request_digest
from handlers.slack.verify import check_body, verify


def slack_events_handler(
    bolt: AsyncApp,
    max_body_bytes: int,
    *,
    signing_secret: str,
    replays: ReplayGuard,
    clock: Clock,
) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        body = await read_limited_body(request, max_body_bytes)
        timestamp = verify(signing_secret, request.headers, body, clock())
        check_body(body, request.headers.get("Content-Type", ""))
        digest = request_digest(timestamp, body)
        if not await replays.first_time(digest):
            # Acked, so Slack (or whoever replays) has no reason to send it again.
            return web.Response(status=200)
        bolt_request = AsyncBoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers={name: request.headers.getall(name) for name in request.headers},
        )
        response = await bolt.async_dispatch(bolt_request)
        if response.status >= 400:
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
