"""POST /slack/events: hand the raw request to Bolt (it verifies the signature)."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from handlers.http.alerts import Handler


def slack_events_handler(bolt: AsyncApp, max_body_bytes: int) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        if request.content_length is not None and request.content_length > max_body_bytes:
            return web.json_response(
                {"error": "body_too_large", "message": f"limit is {max_body_bytes} bytes"},
                status=413,
            )
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_request))

    return handle
