"""Socket Mode: `apps.connections.open` hands out a WebSocket that carries envelopes."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class SocketModeHub:
    """The server side of Socket Mode: hello, envelopes out, acks back."""

    def __init__(self) -> None:
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.connected = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self._sockets),
                "debug_info": {"host": "emulator", "approximate_connection_time": 3600},
                "connection_info": {"app_id": "A0SMOKE"},
            }
        )
        self.connected.set()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                future = self._acks.get(str(ack.get("envelope_id", "")))
                if future is not None and not future.done():
                    future.set_result(ack)
        finally:
            self._sockets.remove(ws)
            if not self._sockets:
                self.connected.clear()
        return ws

    async def send(
        self, envelope_type: str, payload: dict[str, Any], *, timeout: float = 3.0
    ) -> dict[str, Any]:
        """Deliver one envelope to a connected app and wait for its ack (3 s, as Slack)."""
        await asyncio.wait_for(self.connected.wait(), timeout)
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": 0,
            "retry_reason": "",
            "payload": payload,
        }
        try:
            await self._sockets[0].send_json(envelope)
            return await asyncio.wait_for(future, timeout)
        finally:
            self._acks.pop(envelope_id, None)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
