"""SlackEmulator: a stateful Slack Web API served over HTTP by aiohttp."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any

from aiohttp import web

from . import webhooks
from .errors import SlackError
from .faults import Fault, FaultInjector
from .methods import METHODS
from .models import Channel, EmulatedUser, EmulatedUsergroup, RecordedCall
from .params import Params
from .ratelimit import POST_MESSAGE, RateLimiter, RateLimits
from .socket_mode import SocketModeHub
from .state import WorkspaceState, default_usergroups, default_users
from .transcript import render_transcript

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class SlackEmulator:
    """A fake Slack workspace that real slack_sdk clients talk to at `api_url`."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sandbox",  # noqa: S107  fake, sandbox-only
        app_token: str = "xapp-sandbox",  # noqa: S107  fake, sandbox-only
        team_id: str = "T0SANDBOX",
        team_domain: str = "sandbox",
        team_name: str = "Sandbox",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        bot_name: str = "smokejumper",
        app_id: str = "A0SMOKE",
        users: list[EmulatedUser] | None = None,
        usergroups: list[EmulatedUsergroup] | None = None,
        rate_limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        self.socket_mode = SocketModeHub()
        self.state = WorkspaceState(
            team_id=team_id,
            team_domain=team_domain,
            team_name=team_name,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            app_id=app_id,
            bot_name=bot_name,
            clock=clock,
            wall_clock=wall_clock,
        )
        humans = default_users() if users is None else list(users)
        bot = EmulatedUser(bot_user_id, bot_name, bot_name, is_bot=True)
        self.state.users = {u.id: u for u in [*humans, bot]}
        # The default @oncall group names the default humans, so it only fits alongside them.
        groups = default_usergroups() if usergroups is None and users is None else usergroups
        self.state.usergroups = {g.id: g for g in groups or []}
        self.state.add_channel(
            "general",
            creator=humans[0].id if humans else bot_user_id,
            members=[u.id for u in humans],
            channel_id="C0GENERAL",
            is_general=True,
            record=False,
        )
        self.faults = FaultInjector()
        self._clock = clock
        # Waits on the same clock as `clock`, so a latency on a virtual clock moves it.
        self._sleep = sleep
        self.latency = 0.0
        self._down_until: float | None = None
        self._limiter = RateLimiter(rate_limits or RateLimits(), clock)
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None

    # ---- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port; port 0 picks a free ephemeral port."""
        if self._runner is not None:
            raise RuntimeError("emulator already started")
        runner = web.AppRunner(self.web_app(), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self._host = host
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop serving; state stays readable."""
        await self.socket_mode.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def web_app(self) -> web.Application:
        """The aiohttp application, for mounting or aiohttp test clients."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/webhook/{hook_id}", self._handle_webhook)
        app.router.add_get("/_emulator/transcript", self._handle_transcript)
        app.router.add_get("/socket-mode", self.socket_mode.handle)
        return app

    # ---- addresses

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        if self._port is None:
            raise RuntimeError("emulator not started")
        return f"http://{self._host}:{self._port}"

    @property
    def api_url(self) -> str:
        """The base_url to give AsyncWebClient."""
        return f"{self.base_url}/api/"

    def response_url(
        self,
        kind: str = "commands",
        *,
        channel_id: str | None = None,
        user_id: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url whose posts are recorded and applied to the channel or message."""
        hook = webhooks.register(
            self.state, kind, channel_id=channel_id, user_id=user_id, message_ts=message_ts
        )
        return f"{self.base_url}/webhook/{hook.id}"

    # ---- configuration and helpers for tests and the sandbox

    @property
    def rate_limits(self) -> RateLimits:
        """The limits in force; assigning replaces them (and resets affected buckets)."""
        return self._limiter.limits

    @rate_limits.setter
    def rate_limits(self, limits: RateLimits) -> None:
        self._limiter.limits = limits

    def inject_fault(
        self,
        method: str,
        *,
        error: str = "internal_error",
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> Fault:
        """Make the next `times` calls of `method` fail with this error, status and Retry-After."""
        return self.faults.add(
            method, error=error, status=status, retry_after=retry_after, times=times
        )

    def outage(self, seconds: float) -> None:
        """Answer every Web API call with HTTP 503 for the next `seconds` on the clock."""
        self._down_until = self._clock() + seconds

    def slow_down(self, seconds: float) -> None:
        """Answer every Web API call `seconds` late (0 for at once), waited on `sleep`."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = seconds

    def _down(self) -> bool:
        return self._down_until is not None and self._clock() < self._down_until

    def add_channel(
        self,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        bot_is_member: bool = True,
    ) -> Channel:
        """Seed an existing channel created by a human (no transcript line)."""
        people = list(members)
        creator = people[0] if people else self.state.bot_user_id
        if bot_is_member:
            people.append(self.state.bot_user_id)
        return self.state.add_channel(
            name, creator=creator, is_private=is_private, members=people, record=False
        )

    def transcript(self) -> str:
        """The conversation so far as plain text."""
        return render_transcript(self.state)

    # ---- HTTP handlers

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            values = await _read_params(request)
        except SlackError as error:
            return self._answer(method, {}, error.body())
        token = _bearer(request) or values.pop("token", None)
        values.pop("token", None)
        if method == "apps.connections.open":
            return self._open_socket(values, token)
        handler = METHODS.get(method)
        if handler is None:
            return self._answer(
                method, values, {**SlackError("unknown_method").body(), "req_method": method}
            )
        if not token:
            return self._answer(method, values, SlackError("not_authed").body())
        if token != self.bot_token:
            return self._answer(method, values, SlackError("invalid_auth").body())
        if self.latency:
            await self._sleep(self.latency)
        if self._down():
            body = SlackError("service_unavailable").body()
            return self._answer(method, values, body, status=503)
        fault = self.faults.take(method)
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
            body = SlackError(fault.error).body()
            return self._answer(method, values, body, status=fault.status, headers=headers)
        retry_after = self._limiter.check(method, self._rate_key_channel(method, values))
        if retry_after is not None:
            body = SlackError("ratelimited").body()
            headers = {"Retry-After": str(retry_after)}
            return self._answer(method, values, body, status=429, headers=headers)
        try:
            body = handler(self.state, Params(values))
        except SlackError as error:
            body = error.body()
        return self._answer(method, values, body)

    def _open_socket(self, values: dict[str, Any], token: str | None) -> web.Response:
        """Socket Mode needs the app-level token; the bot token is refused as by Slack."""
        method = "apps.connections.open"
        if not token:
            return self._answer(method, values, SlackError("not_authed").body())
        if token != self.app_token:
            return self._answer(method, values, SlackError("invalid_auth").body())
        url = self.base_url.replace("http://", "ws://") + "/socket-mode"
        return self._answer(method, values, {"ok": True, "url": url})

    def _rate_key_channel(self, method: str, values: dict[str, Any]) -> str | None:
        if method != POST_MESSAGE:
            return None
        ref = str(values.get("channel") or "")
        channel = self.state.resolve_channel(ref)
        return channel.id if channel else ref

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        body: dict[str, Any],
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        error = None if body.get("ok") else str(body.get("error"))
        self.state.calls.append(RecordedCall(method, params, status, error, self.state.clock()))
        return web.json_response(body, status=status, headers=headers)

    async def _handle_webhook(self, request: web.Request) -> web.Response:
        hook = self.state.response_urls.get(request.match_info["hook_id"])
        if hook is None:
            return web.Response(status=404, text="no_service")
        try:
            payload = await _read_webhook_payload(request)
            webhooks.deliver(self.state, hook, payload)
        except SlackError as error:
            return web.Response(status=404 if error.error == "used_url" else 400, text=error.error)
        return web.Response(text="ok")

    async def _handle_transcript(self, request: web.Request) -> web.Response:
        return web.Response(text=self.transcript())


def _bearer(request: web.Request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Query string first, then the body; Slack merges both."""
    values: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return values
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text() or "{}")
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        values.update(body)
    elif request.content_type in _FORM_TYPES:
        form = await request.post()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return values


async def _read_webhook_payload(request: web.Request) -> dict[str, Any]:
    if request.content_type in _FORM_TYPES:
        form = await request.post()
        raw = form.get("payload")
        text = raw if isinstance(raw, str) else ""
    else:
        text = await request.text()
    try:
        payload = json.loads(text)
    except ValueError:
        raise SlackError("invalid_payload") from None
    if not isinstance(payload, dict):
        raise SlackError("invalid_payload")
    return payload
