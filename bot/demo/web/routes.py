"""The page's HTTP surface: the static page, its state as JSON, live updates (SSE), and
what a person does (commands, clicks, reactions, Home, demo alerts, time)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from typing import Any

import aiohttp
from aiohttp import web

from bot.app import Smokejumper
from bot.demo.alerts import STOCK_ALERTS, DemoAlert, storm, webhook_body
from bot.demo.clock import ShiftableTime
from bot.demo.peers import SandboxPeers
from bot.demo.rig import checkout_deploy, post_alert, post_changes
from bot.demo.web import actions
from bot.demo.web.recovery import Firing, Recovery
from bot.demo.web.snapshot import snapshot, version
from integrations.slack.emulator import SlackDriver

STORM = "Storm: 8 services crash looping"
_STATIC = {"index.html": "text/html", "app.js": "text/javascript", "app.css": "text/css"}
_SSE_POLL_SECONDS = 0.2


@dataclass
class SandboxPage:
    """Everything the page's handlers reach: the bot, the peers, the driver, the clock."""

    bot: Smokejumper
    peers: SandboxPeers
    driver: SlackDriver
    time: ShiftableTime
    http: aiohttp.ClientSession
    recovery: Recovery
    _deploy_posted: bool = field(default=False, init=False)

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._static)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/api/events", self._events)
        app.router.add_get("/api/demo", self._demo)
        app.router.add_post("/api/command", self._command)
        app.router.add_post("/api/click", self._click)
        app.router.add_post("/api/react", self._react)
        app.router.add_post("/api/home", self._home)
        app.router.add_post("/api/alerts", self._alerts)
        app.router.add_post("/api/later", self._later)
        return app

    async def _static(self, request: web.Request) -> web.Response:
        name = request.match_info.get("name", "index.html")
        if name not in _STATIC:
            raise web.HTTPNotFound()
        body = resources.files("bot.demo.web").joinpath("static", name).read_bytes()
        return web.Response(body=body, content_type=_STATIC[name], charset="utf-8")

    async def _state(self, request: web.Request) -> web.Response:
        user = request.query.get("user", "U0ALICE")
        if user not in self.peers.slack.state.users:
            return _error(400, f"unknown user {user[:20]!r}")
        return web.json_response(snapshot(self.peers, user))

    async def _events(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        last = -1
        while True:
            current = version(self.peers)
            if current != last:
                last = current
                await response.write(f"data: {current}\n\n".encode())
            await asyncio.sleep(_SSE_POLL_SECONDS)

    async def _demo(self, request: web.Request) -> web.Response:
        return web.json_response({"alerts": [*STOCK_ALERTS, STORM]})

    async def _command(self, request: web.Request) -> web.Response:
        body = await _body(request, "user", "channel", "text")
        text = body["text"].strip()
        if text.startswith("/"):
            status = await actions.run_command(self.driver, body["user"], body["channel"], text)
        else:
            status = await actions.post_message(self.driver, body["user"], body["channel"], text)
        return web.json_response({"status": status})

    async def _click(self, request: web.Request) -> web.Response:
        body = await _body(request, "user", "channel", "ts", "action_id", "value")
        try:
            status = await actions.click(
                self.driver,
                body["user"],
                body["channel"],
                body["ts"],
                body["action_id"],
                body["value"],
            )
        except LookupError as exc:
            return _error(404, str(exc))
        return web.json_response({"status": status})

    async def _react(self, request: web.Request) -> web.Response:
        body = await _body(request, "user", "channel", "ts", "reaction")
        try:
            status = await actions.react(
                self.driver, body["user"], body["channel"], body["ts"], body["reaction"]
            )
        except LookupError as exc:
            return _error(404, str(exc))
        return web.json_response({"status": status})

    async def _home(self, request: web.Request) -> web.Response:
        body = await _body(request, "user")
        return web.json_response({"status": await actions.open_home(self.driver, body["user"])})

    async def _alerts(self, request: web.Request) -> web.Response:
        body = await _body(request, "name")
        name = body["name"]
        if name == STORM:
            groups = [[alert] for alert in storm()]
        elif name in STOCK_ALERTS:
            groups = [STOCK_ALERTS[name]]
        else:
            return _error(400, f"no demo alert called {name[:60]!r}")
        if "checkout" in name and not self._deploy_posted:
            # The deploy that broke checkout, so the triage has a change to point at.
            now = self.time.now()
            await post_changes(self.http, self.bot, [checkout_deploy(now)], now)
            self._deploy_posted = True
        outcomes = [await self._fire(group) for group in groups]
        return web.json_response({"outcomes": outcomes})

    async def _fire(self, alerts: list[DemoAlert]) -> dict[str, Any]:
        starts_at = self.time.now() - timedelta(minutes=3)
        result = await post_alert(
            self.http, self.bot, webhook_body(alerts, status="firing", starts_at=starts_at)
        )
        self.recovery.firing.append(Firing(alerts, starts_at))
        return result

    async def _later(self, request: web.Request) -> web.Response:
        body = await _body(request, "minutes")
        try:
            minutes = float(body["minutes"])
        except ValueError:
            return _error(400, "minutes must be a number")
        if not 0 < minutes <= 24 * 60:
            return _error(400, "minutes must be between 0 and 1440")
        self.time.skip(minutes * 60)
        return web.json_response({"now": self.time.now().isoformat()})


async def _body(request: web.Request, *names: str) -> dict[str, str]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "invalid JSON"})) from None
    if not isinstance(body, dict) or any(not isinstance(body.get(n), str) for n in names):
        missing = ", ".join(names)
        raise web.HTTPBadRequest(text=json.dumps({"error": f"needs string fields: {missing}"}))
    return {name: body[name] for name in names}


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
