"""Socket Mode: the same acks as over HTTP, before any database access.

Bolt's handler dispatches an envelope, then acks it with what the dispatch answered. An
event's dispatch reads the database first (DeduplicateEvents), so here an event is acked
at once and dispatched in the work pool afterwards, like handlers/slack/http.py does.
Commands and clicks are dispatched as before, with a PooledAck: their listener's ack
answers the envelope, then its work takes a slot in the pool.
"""

from __future__ import annotations

from time import time

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import send_async_response
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from handlers.slack.work import PooledAck, WorkPool


class PooledSocketMode(AsyncSocketModeHandler):
    def __init__(self, app: AsyncApp, app_token: str, work: WorkPool) -> None:
        super().__init__(app, app_token)
        self._work = work

    async def handle(self, client: AsyncBaseSocketModeClient, req: SocketModeRequest) -> None:
        if req.type == "events_api":
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            event = AsyncBoltRequest(
                mode="socket_mode", body=req.payload, headers=build_headers(req)
            )
            self._work.submit(lambda: self.app.async_dispatch(event), "event")
            return
        start = time()
        request = AsyncBoltRequest(
            mode="socket_mode",
            body=req.payload,
            headers=build_headers(req),
            context={"ack": PooledAck(self._work)},
        )
        response = await self.app.async_dispatch(request)
        await send_async_response(client, req, response, start)
