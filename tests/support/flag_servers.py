"""Local Unleash and LaunchDarkly API servers that check requests the way the real ones do."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.helpers import parse_mimetype

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


@dataclass
class _Fault:
    status: int
    method: str | None
    headers: dict[str, str]


class _FlagServer:
    """Serving, request recording and fault injection shared by both vendors."""

    def __init__(self, token: str, project: str, environments: Iterable[str]) -> None:
        self.token = token
        self.project = project
        self.environments = list(environments)
        self.flags: dict[str, dict[str, bool]] = {}
        self.requests: list[RecordedRequest] = []
        self._faults: deque[_Fault] = deque()
        self._stalled: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    def add_flag(self, name: str, **states: bool) -> None:
        """A flag that is off everywhere except where `states` says otherwise."""
        unknown = set(states) - set(self.environments)
        if unknown:
            raise ValueError(f"unknown environments {sorted(unknown)}")
        self.flags[name] = {env: states.get(env, False) for env in self.environments}

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer the next `times` requests (of `method`, if given) with `status`."""
        for _ in range(times):
            self._faults.append(_Fault(status, method, headers or {}))

    def stall(self) -> None:
        """Leave every request unanswered until `stop`, as a hung server would."""
        self._stalled = asyncio.Event()

    @property
    def writes(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method not in {"GET", "HEAD"}]

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("server not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record, self._faulty, self._authenticated])
        self.routes(app.router)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._stalled is not None:
            self._stalled.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def routes(self, router: web.UrlDispatcher) -> None:
        raise NotImplementedError

    def error(self, status: int, kind: str, message: str) -> web.Response:
        raise NotImplementedError

    def unauthorized(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    def fault_kind(self, status: int) -> str:
        raise NotImplementedError

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                query=dict(request.query),
                headers=dict(request.headers),
                body=await request.read(),
            )
        )
        return await handler(request)

    @web.middleware
    async def _faulty(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._stalled is not None:
            await self._stalled.wait()
        fault = next(
            (f for f in self._faults if f.method is None or f.method == request.method), None
        )
        if fault is None:
            return await handler(request)
        self._faults.remove(fault)
        response = self.error(fault.status, self.fault_kind(fault.status), "injected fault")
        response.headers.update(fault.headers)
        return response

    @web.middleware
    async def _authenticated(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Both vendors take the raw token: "Bearer <token>" is a different, unknown token.
        if request.headers.get("Authorization") != self.token:
            return self.unauthorized(request)
        return await handler(request)


class UnleashServer(_FlagServer):
    """The Unleash Admin API routes a flag toggle uses (unleash-server 5.x-7.x shapes)."""

    def __init__(
        self,
        token: str,
        project: str = "default",
        environments: Iterable[str] = ("development", "production"),
    ) -> None:
        super().__init__(token, project, environments)

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/admin/environments", self._environments)
        feature = "/api/admin/projects/{project}/features/{feature}"
        router.add_get(feature, self._feature)
        router.add_post(feature + "/environments/{environment}/{state:on|off}", self._toggle)

    def error(self, status: int, kind: str, message: str) -> web.Response:
        return web.json_response(_unleash_error(kind, message), status=status)

    def unauthorized(self, request: web.Request) -> web.Response:
        message = "You must log in to use Unleash. Your request had no valid authorization header."
        # AuthenticationRequired adds where and how to log in.
        body = {
            **_unleash_error("AuthenticationRequired", message),
            "path": "/auth/simple/login",
            "type": "password",
        }
        return web.json_response(body, status=401)

    def fault_kind(self, status: int) -> str:
        return {429: "RateLimitError", 500: "InternalError"}.get(status, "UnknownError")

    def _lookup(self, request: web.Request) -> tuple[str, dict[str, bool]] | web.Response:
        project = request.match_info["project"]
        name = request.match_info["feature"]
        if project != self.project:
            return self.error(404, "NotFoundError", f"Could not find project with id {project}")
        states = self.flags.get(name)
        if states is None:
            return self.error(404, "NotFoundError", f"Could not find feature flag {name}")
        return name, states

    async def _environments(self, request: web.Request) -> web.Response:
        environments = [
            {"name": env, "type": env, "enabled": True, "protected": False, "sortOrder": i}
            for i, env in enumerate(self.environments)
        ]
        return web.json_response({"version": 1, "environments": environments})

    async def _feature(self, request: web.Request) -> web.Response:
        found = self._lookup(request)
        if isinstance(found, web.Response):
            return found
        name, states = found
        return web.json_response(
            {
                "name": name,
                "type": "release",
                "project": self.project,
                "description": "",
                "stale": False,
                "impressionData": False,
                "archived": False,
                "createdAt": "2024-01-01T00:00:00.000Z",
                "variants": [],
                "environments": [
                    {
                        "name": env,
                        "environment": env,
                        "type": env,
                        "enabled": enabled,
                        "sortOrder": i,
                        "strategies": [],
                        "variants": [],
                    }
                    for i, (env, enabled) in enumerate(states.items())
                ],
            }
        )

    async def _toggle(self, request: web.Request) -> web.Response:
        found = self._lookup(request)
        if isinstance(found, web.Response):
            return found
        name, states = found
        environment = request.match_info["environment"]
        if environment not in states:
            return self.error(
                404, "NotFoundError", f"Could not find environment {environment} for {name}"
            )
        states[environment] = request.match_info["state"] == "on"
        # The real handler answers 200 with an empty body.
        return web.Response(status=200)


def _unleash_error(name: str, message: str) -> dict[str, Any]:
    """UnleashError.toJSON(): id, name, message and details."""
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "message": message,
        "details": [{"message": message, "description": message}],
    }


SEMANTIC_PATCH_MODEL = "launchdarkly.semanticpatch"
_SEMANTIC_FIELDS = frozenset({"comment", "environmentKey", "instructions"})
_TOGGLES = {"turnFlagOn": True, "turnFlagOff": False}


class LaunchDarklyServer(_FlagServer):
    """The LaunchDarkly REST API v2 routes a flag toggle uses."""

    def __init__(
        self,
        token: str,
        project: str = "default",
        environments: Iterable[str] = ("test", "production"),
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(token, project, environments)
        self.versions: dict[str, int] = {}
        self.comments: list[str] = []
        self._wall_clock = wall_clock

    def add_flag(self, name: str, **states: bool) -> None:
        super().add_flag(name, **states)
        self.versions[name] = 1

    def routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/api/v2/caller-identity", self._caller_identity)
        router.add_get("/api/v2/flags/{project}/{flag}", self._get_flag)
        router.add_patch("/api/v2/flags/{project}/{flag}", self._patch_flag)

    def rate_limit_headers(self, wait_seconds: float) -> dict[str, str]:
        """What a route-level 429 carries: no calls left, and when the window resets."""
        reset_ms = int((self._wall_clock() + wait_seconds) * 1000)
        return {"X-Ratelimit-Route-Remaining": "0", "X-Ratelimit-Reset": str(reset_ms)}

    def error(self, status: int, kind: str, message: str) -> web.Response:
        body = {"code": kind, "message": message, "id": str(uuid.uuid4())}
        return web.json_response(body, status=status)

    def unauthorized(self, request: web.Request) -> web.Response:
        return self.error(401, "unauthorized", "Invalid access token")

    def fault_kind(self, status: int) -> str:
        return {429: "rate_limited", 500: "internal_server_error"}.get(status, "unknown")

    def _flag_rep(self, name: str, only: list[str] | None = None) -> dict[str, Any]:
        states = self.flags[name]
        shown = [env for env in states if only is None or env in only]
        return {
            "key": name,
            "name": name,
            "kind": "boolean",
            "_version": self.versions[name],
            "archived": False,
            "temporary": False,
            "tags": [],
            "variations": [{"value": True}, {"value": False}],
            "environments": {
                env: {
                    "on": states[env],
                    "archived": False,
                    "version": self.versions[name],
                    "_environmentName": env.title(),
                    "_site": {
                        "href": f"/{self.project}/{env}/features/{name}",
                        "type": "text/html",
                    },
                }
                for env in shown
            },
            "_links": {
                "self": {
                    "href": f"/api/v2/flags/{self.project}/{name}",
                    "type": "application/json",
                }
            },
        }

    def _lookup(self, request: web.Request) -> str | web.Response:
        if request.match_info["project"] != self.project:
            return self.error(404, "not_found", "Unknown project")
        name = request.match_info["flag"]
        if name not in self.flags:
            return self.error(404, "not_found", "Unknown feature flag")
        return name

    def _api_version_problem(self, request: web.Request) -> web.Response | None:
        version = request.headers.get("LD-API-Version")
        if version is None or version == "beta" or (len(version) == 8 and version.isdigit()):
            return None
        return self.error(400, "invalid_request", "Invalid LD-API-Version header")

    async def _caller_identity(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "accountId": "5f0a0c0ffee0000000000001",
                "authKind": "token",
                "tokenKind": "auth",
                "serviceToken": True,
                "tokenName": "smokejumper",
            }
        )

    async def _get_flag(self, request: web.Request) -> web.Response:
        problem = self._api_version_problem(request)
        if problem is not None:
            return problem
        found = self._lookup(request)
        if isinstance(found, web.Response):
            return found
        only = request.query.getall("env", None)
        return web.json_response(self._flag_rep(found, list(only) if only else None))

    async def _patch_flag(self, request: web.Request) -> web.Response:
        problem = self._api_version_problem(request)
        if problem is not None:
            return problem
        found = self._lookup(request)
        if isinstance(found, web.Response):
            return found
        if request.content_type != "application/json":
            return self.error(415, "unsupported_media_type", "Unsupported content type")
        try:
            body = json.loads(await request.read())
        except ValueError:
            return self.error(400, "invalid_request", "Request body is not valid JSON")
        mimetype = parse_mimetype(request.headers.get("Content-Type", ""))
        if mimetype.parameters.get("domain-model") == SEMANTIC_PATCH_MODEL:
            changes = self._semantic_changes(found, body)
        else:
            changes = self._json_patch_changes(found, body)
        if isinstance(changes, web.Response):
            return changes
        if any(self.flags[found][env] != on for env, on in changes.items()):
            self.flags[found].update(changes)
            self.versions[found] += 1
        return web.json_response(self._flag_rep(found))

    def _semantic_changes(self, name: str, body: Any) -> dict[str, bool] | web.Response:
        if not isinstance(body, dict) or not set(body) <= _SEMANTIC_FIELDS:
            return self.error(400, "invalid_request", "Invalid semantic patch")
        instructions = body.get("instructions")
        if not isinstance(instructions, list) or not instructions:
            return self.error(400, "invalid_request", "instructions are required")
        comment = body.get("comment", "")
        if not isinstance(comment, str):
            return self.error(400, "invalid_request", "comment must be a string")
        changes: dict[str, bool] = {}
        for instruction in instructions:
            kind = instruction.get("kind") if isinstance(instruction, dict) else None
            if kind not in _TOGGLES:
                return self.error(400, "invalid_request", f"Unsupported instruction {kind}")
            environment = body.get("environmentKey")
            if not isinstance(environment, str) or not environment:
                return self.error(400, "invalid_request", f"{kind} requires environmentKey")
            if environment not in self.flags[name]:
                return self.error(404, "not_found", "Unknown environment")
            changes[environment] = _TOGGLES[kind]
        self.comments.append(comment)
        return changes

    def _json_patch_changes(self, name: str, body: Any) -> dict[str, bool] | web.Response:
        # Without domain-model=launchdarkly.semanticpatch the body is read as RFC 6902.
        if not isinstance(body, list):
            return self.error(400, "invalid_request", "A JSON patch must be an array")
        changes: dict[str, bool] = {}
        for op in body:
            path = op.get("path", "") if isinstance(op, dict) else ""
            parts = path.split("/")
            value = op.get("value") if isinstance(op, dict) else None
            supported = (
                isinstance(op, dict)
                and op.get("op") == "replace"
                and len(parts) == 4
                and parts[1] == "environments"
                and parts[3] == "on"
                and isinstance(value, bool)
            )
            if not supported:
                # This fake applies only the toggle path; anything else it refuses.
                return self.error(400, "invalid_request", "Unsupported patch operation")
            if parts[2] not in self.flags[name]:
                return self.error(400, "invalid_request", "Unknown environment in path")
            changes[parts[2]] = bool(value)
        return changes
