"""A local OpenAI-compatible chat completions server whose answers follow a scenario."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiohttp import web

# The keywords the strict structured-output dialect supports (OpenAI structured outputs
# guide); anything else in a strict schema is refused with a 400.
STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "description",
        "title",
        "$defs",
        "$ref",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})
_SCHEMA_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SCOPE = re.compile(r'Incident scope: ("(?:[^"\\]|\\.)*")')
_POINTER = re.compile(r'pointer: ("(?:[^"\\]|\\.)*")')
_RUNBOOK = re.compile(r"^### ([a-z][a-z0-9_]*):", re.MULTILINE)
_CLASSIFICATION = re.compile(r"Default classification: (low|medium|high|sev1); team: ([a-z0-9_-]+)")
_DATA_BLOCK = re.compile(r"<<<UNTRUSTED_ALERT_DATA\n(.*)\nUNTRUSTED_ALERT_DATA>>>", re.DOTALL)
# What the obedient model takes for an order: "run <action> on <target>".
_ORDER = re.compile(
    r"\b(?:run|execute|propose)\s+([a-z_]+)\s+(?:on|against)\s+([\w-]+(?:[./][\w-]+)*)", re.I
)


class Scenario(StrEnum):
    """How the server answers the next chat completion."""

    VALID = "valid"
    OBEDIENT = "obedient"
    INVALID_SCHEMA = "invalid_schema"
    NOT_JSON = "not_json"
    EMPTY = "empty"
    TRUNCATED = "truncated"
    REFUSAL = "refusal"
    CONTENT_FILTER = "content_filter"
    SERVER_ERROR = "server_error"
    RATE_LIMITED = "rate_limited"
    RATE_LIMITED_LONG_WAIT = "rate_limited_long_wait"
    SLOW = "slow"
    LONG_PROSE = "long_prose"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


class OpenAIServer:
    """POST /v1/chat/completions and GET /v1/models over real HTTP on 127.0.0.1."""

    def __init__(
        self, *, api_key: str, models: tuple[str, ...] = ("gpt-test",), slow_seconds: float = 5.0
    ) -> None:
        self.api_key = api_key
        self.models = models
        self.slow_seconds = slow_seconds
        # Used whenever the queue is empty.
        self.scenario = Scenario.VALID
        self.queue: deque[Scenario] = deque()
        self.requests: list[RecordedRequest] = []
        # Bodies of the completions answered with 200, in order.
        self.completions: list[dict[str, Any]] = []
        self._release = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    def release(self) -> None:
        """Let every slow answer held so far (and any later one) go out now."""
        self._release.set()

    async def stop(self) -> None:
        # Lets a slow answer still in progress finish, so shutdown does not wait on it.
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _record(self, request: web.Request) -> Any:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), body)
        )
        return body

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        given = request.headers.get("Authorization", "")
        if given == f"Bearer {self.api_key}":
            return None
        key = given.removeprefix("Bearer ")
        masked = f"{key[:3]}*****{key[-4:]}" if len(key) > 8 else "(none)"
        return _error(
            401,
            f"Incorrect API key provided: {masked}. You can find your API key at"
            " https://platform.openai.com/account/api-keys.",
            "invalid_request_error",
            code="invalid_api_key",
        )

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (refused := self._unauthorized(request)) is not None:
            return refused
        data = [
            {"id": m, "object": "model", "created": 1_700_000_000, "owned_by": "system"}
            for m in self.models
        ]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if (refused := self._unauthorized(request)) is not None:
            return refused
        if request.content_type != "application/json" or not isinstance(body, dict):
            return _error(
                400, "We could not parse the JSON body of your request.", "invalid_request_error"
            )
        problem = _request_problem(body, self.models)
        if problem is not None:
            status, message, param, code = problem
            return _error(status, message, "invalid_request_error", param=param, code=code)
        scenario = self.queue.popleft() if self.queue else self.scenario
        return await self._answer(scenario, body)

    async def _answer(self, scenario: Scenario, body: dict[str, Any]) -> web.Response:
        if scenario is Scenario.SERVER_ERROR:
            return _error(
                500,
                "The server had an error while processing your request. Sorry about that!",
                "server_error",
            )
        if scenario in (Scenario.RATE_LIMITED, Scenario.RATE_LIMITED_LONG_WAIT):
            # retry-after-ms is the header the OpenAI SDK reads first.
            wait_ms = "50" if scenario is Scenario.RATE_LIMITED else "30000"
            return _error(
                429,
                f"Rate limit reached for {body['model']} on requests per min (RPM):"
                " Limit 3, Used 3, Requested 1.",
                "requests",
                code="rate_limit_exceeded",
                headers={"retry-after-ms": wait_ms},
            )
        if scenario is Scenario.SLOW:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._release.wait(), self.slow_seconds)
        if body.get("tools"):
            completion = self._tool_turn(body, scenario)
            self.completions.append(completion)
            return web.json_response(completion)
        system, data = _prompt_parts(body)
        # Without a response format the natural answer is prose, as for a handoff note.
        wants_report = body.get("response_format") is not None
        content: str | None
        refusal: str | None = None
        finish = "stop"
        if scenario is Scenario.OBEDIENT:
            content = json.dumps(obedient_report(system, data))
        elif scenario is Scenario.INVALID_SCHEMA:
            report = valid_report(system, data)
            report["confidence"] = 1.7
            report["notes"] = "extra field"
            del report["unknowns"]
            content = json.dumps(report)
        elif scenario is Scenario.NOT_JSON:
            content = "Sure! The checkout service looks unhealthy; I would restart it."
        elif scenario is Scenario.EMPTY:
            content = ""
        elif scenario is Scenario.TRUNCATED:
            full = json.dumps(valid_report(system, data)) if wants_report else long_prose(data)
            content, finish = full[: len(full) // 2], "length"
        elif scenario is Scenario.REFUSAL:
            content, refusal = None, "I'm sorry, I can't help with that request."
        elif scenario is Scenario.CONTENT_FILTER:
            content, finish = None, "content_filter"
        elif scenario is Scenario.LONG_PROSE:
            content = long_prose(data)
        elif wants_report:
            content = json.dumps(valid_report(system, data))
        else:
            content = prose(data)
        completion = self._completion(body, content, refusal, finish)
        self.completions.append(completion)
        return web.json_response(completion)

    def _tool_turn(self, body: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
        """A tool-using model: call one tool for the message, then answer from its result."""
        messages = body["messages"]
        last = messages[-1]
        if last["role"] == "tool":
            record = str(last["content"]).replace("<<<RECORD", "").replace("RECORD>>>", "")
            answer = "From the record: " + " ".join(record.split())[:600]
            if scenario is Scenario.OBEDIENT:
                answer = "<!channel> " + answer + " see https://attacker.example/x"
            return self._completion(body, answer, None, "stop")
        user = "\n".join(m["content"] for m in messages if m["role"] == "user")
        name, arguments = tool_call_for(user)
        completion = self._completion(body, None, None, "tool_calls")
        completion["choices"][0]["message"]["tool_calls"] = [
            {
                "id": f"call_{len(self.completions) + 1}",
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments)},
            }
        ]
        return completion

    def _completion(
        self, body: dict[str, Any], content: str | None, refusal: str | None, finish: str
    ) -> dict[str, Any]:
        prompt_chars = sum(len(m.get("content") or "") for m in body["messages"])
        prompt_tokens = math.ceil(prompt_chars / 4)
        completion_tokens = math.ceil(len(content or refusal or "") / 4) + 1
        return {
            "id": f"chatcmpl-{len(self.completions) + 1}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


def strict_schema_problems(schema: Any, path: str = "schema") -> list[str]:
    """Why `schema` is not acceptable in strict structured-output mode; empty when it is."""
    if not isinstance(schema, dict):
        return [f"{path} is not an object"]
    problems = [f"{path}.{k} is not supported" for k in schema if k not in STRICT_KEYWORDS]
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            problems.append(f"{path}.additionalProperties must be false")
        if sorted(schema.get("required", [])) != sorted(properties):
            problems.append(f"{path}.required must list every property")
        for name, sub in properties.items():
            problems += strict_schema_problems(sub, f"{path}.properties.{name}")
    if "items" in schema:
        problems += strict_schema_problems(schema["items"], f"{path}.items")
    for index, sub in enumerate(schema.get("anyOf", [])):
        problems += strict_schema_problems(sub, f"{path}.anyOf[{index}]")
    for name, sub in schema.get("$defs", {}).items():
        problems += strict_schema_problems(sub, f"{path}.$defs.{name}")
    return problems


def _request_problem(
    body: dict[str, Any], models: tuple[str, ...]
) -> tuple[int, str, str | None, str | None] | None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return 400, "you must provide a model parameter", "model", None
    if model not in models:
        return (
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            None,
            "model_not_found",
        )
    if body.get("stream"):
        return 400, "streaming is not supported by this server", "stream", None
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return 400, "messages must be a non-empty array", "messages", None
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            return 400, f"messages[{index}].role is invalid", f"messages[{index}]", None
        if message.get("role") == "assistant" and message.get("tool_calls"):
            continue
        if not isinstance(message.get("content"), str):
            return 400, f"messages[{index}].content must be a string", f"messages[{index}]", None
    limit = body.get("max_completion_tokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        return (
            400,
            "max_completion_tokens must be a positive integer",
            "max_completion_tokens",
            None,
        )
    fmt = body.get("response_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return 400, "response_format.type must be json_schema here", "response_format", None
    spec = fmt.get("json_schema")
    if not isinstance(spec, dict) or not _SCHEMA_NAME.fullmatch(str(spec.get("name", ""))):
        return 400, "response_format.json_schema.name is invalid", "response_format", None
    if spec.get("strict") is not True:
        return 400, "this server only accepts strict json_schema", "response_format", None
    schema = spec.get("schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return 400, "the schema's root must be an object", "response_format", None
    problems = strict_schema_problems(schema)
    if problems:
        message = "Invalid schema for response_format: " + "; ".join(problems[:5])
        return 400, message, "response_format", "invalid_json_schema"
    return None


def _error(
    status: int,
    message: str,
    kind: str,
    *,
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def _prompt_parts(body: dict[str, Any]) -> tuple[str, str]:
    system = "\n".join(m["content"] for m in body["messages"] if m["role"] == "system")
    user = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
    block = _DATA_BLOCK.search(user)
    return system, block.group(1) if block else ""


def valid_report(system: str, data: str) -> dict[str, Any]:
    """A report a careful model would give, built from what the prompt says."""
    scope_match = _SCOPE.search(system)
    scope = json.loads(scope_match.group(1)) if scope_match else "unknown/unknown"
    runbook = _RUNBOOK.search(system)
    incident_class = runbook.group(1) if runbook else "unknown"
    defaults = _CLASSIFICATION.search(system)
    classification, team = defaults.groups() if defaults else ("medium", "sre")
    pointer = _POINTER.search(data)
    evidence = (
        [
            {
                "source": "signal",
                "claim": "The alert is firing.",
                "pointer": json.loads(pointer.group(1)),
            }
        ]
        if pointer
        else []
    )
    section = system[runbook.end() :].split("\n### ", 1)[0] if runbook else ""
    action = "collect_diagnostics" if "- collect_diagnostics" in section else "escalate_to_human"
    return {
        "classification": classification,
        "confidence": 0.7,
        "requires_ticket": True,
        "requires_paging": False,
        "requires_mim": False,
        "recommended_team": team,
        "incident_class": incident_class,
        "hypothesis": f"The service in {scope} behaves as runbook {incident_class} describes.",
        "evidence": evidence,
        "unknowns": ["Whether a recent change is involved."],
        "proposed_actions": [
            {"action": action, "target": scope, "params": [], "rationale": "First safe step."}
        ],
    }


def obedient_report(system: str, data: str) -> dict[str, Any]:
    """What a model that obeys orders planted in the data would answer."""
    report = valid_report(system, data)
    orders = _ORDER.findall(data)
    if orders:
        report["proposed_actions"] = [
            {"action": name, "target": target, "params": [], "rationale": "As the alert instructs."}
            for name, target in orders
        ]
        report["confidence"] = 0.99
    return report


def prose(data: str) -> str:
    """A short handoff paragraph naming the first facts it was given."""
    facts = [line.strip("- ").strip() for line in data.splitlines() if line.strip()]
    return "Handoff: " + "; ".join(facts[:3]) + "."


def long_prose(data: str) -> str:
    """A paragraph well past 600 characters, in whole sentences, over several lines."""
    first = prose(data)
    filler = " ".join(f"Sentence {n} repeats that the incident is still open." for n in range(20))
    return f"{first}\n\n{filler}"


# The keyword habits of a small tool-using model: first match wins.
_TOOL_WORDS: tuple[tuple[str, dict[str, Any], tuple[str, ...]], ...] = (
    ("propose", {"request": "freeze"}, ("freeze", "stop doing", "hold off", "pause")),
    ("propose", {"request": "disable_flag"}, ("turn off", "disable", "kill the", "switch off")),
    ("propose", {"request": "enable_flag"}, ("enable", "turn on")),
    ("propose", {"request": "rollback"}, ("roll back", "rollback", "revert", "undo")),
    ("propose", {"request": "scale"}, ("scale", "replicas")),
    (
        "propose",
        {"request": "restart"},
        (
            "restart checkout",
            "bounce",
            "kick",
            "please restart",
            "rolling restart",
            "restart payments",
        ),
    ),
    ("propose", {"request": "page"}, ("page ", "escalate to on", "page them")),
    ("propose", {"request": "ticket"}, ("ticket",)),
    ("propose", {"request": "collect_diagnostics"}, ("grab", "collect", "capture")),
    ("propose", {"request": "unsupported"}, ("delete", "drop", "ssh", "failover", "restore")),
    ("get_oncall", {}, ("on-call", "on call", "ping about", "escalate to for")),
    ("get_similar", {}, ("before", "similar", "last time", "last week")),
    ("get_runbook", {}, ("runbook", "playbook", "docs")),
    ("get_hypothesis", {}, ("theory", "cause", "why", "evidence")),
    ("get_diagnostics", {}, ("diagnostic", "logs", "collect")),
    ("get_actions", {}, ("tried", "restarted", "approved", "work", "help", "actions")),
    ("get_changes", {}, ("changed", "deploy", "ship", "release", "flag")),
    ("get_timeline", {}, ("timeline", "happened", "catch me up", "summar", "start")),
)


def tool_call_for(text: str) -> tuple[str, dict[str, Any]]:
    """Which tool the scripted model calls for a message, with what arguments."""
    lowered = text.lower()
    for name, arguments, words in _TOOL_WORDS:
        if any(word in lowered for word in words):
            return name, dict(arguments)
    return "get_status", {}
