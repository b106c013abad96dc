"""Bad input gets a 4xx with a JSON body naming the problem, and writes nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import fixture_bytes, fixture_json
from tests.support.harness import Harness

FIRING = "alertmanager/alertmanager_0.25_firing.json"


def _without(path: list[str | int]) -> dict[str, Any]:
    body = copy.deepcopy(fixture_json(FIRING))
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "names"),
    [
        # Alertmanager always sends JSON; anything else is a misconfigured sender.
        (fixture_bytes(FIRING), "text/plain", 415, "unsupported_media_type", "text/plain"),
        (b'{"version": "4", "alerts": [', "application/json", 400, "invalid_json", "JSON"),
        (b"\xff\xfe\x00garbage", "application/json", 400, "invalid_json", "JSON"),
        (b"[1, 2, 3]", "application/json", 422, "invalid_payload", "JSON object"),
        (
            _without(["alerts", 0, "fingerprint"]),
            "application/json",
            422,
            "invalid_payload",
            "alerts.0.fingerprint",
        ),
        (
            _without(["alerts", 0, "labels"]),
            "application/json",
            422,
            "invalid_payload",
            "alerts.0.labels",
        ),
        (_without(["version"]), "application/json", 422, "invalid_payload", "version"),
        (
            {**fixture_json(FIRING), "version": "3"},
            "application/json",
            422,
            "invalid_payload",
            "version",
        ),
        (
            {**fixture_json(FIRING), "alerts": []},
            "application/json",
            422,
            "invalid_payload",
            "alerts",
        ),
    ],
)
async def test_malformed_alertmanager_bodies_are_refused_and_leave_no_rows(
    harness: Harness,
    body: bytes | dict[str, Any],
    content_type: str,
    status: int,
    code: str,
    names: str,
) -> None:
    reply = await harness.post("/alerts/alertmanager", body, content_type=content_type)
    assert reply.status == status
    assert reply.body["error"] == code
    assert names in reply.body["message"]
    assert await harness.counts() == {"signals": 0, "incidents": 0, "events": 0, "outbox": 0}


async def test_body_over_the_size_limit_is_refused_with_413(harness: Harness) -> None:
    body = copy.deepcopy(fixture_json(FIRING))
    body["alerts"][0]["annotations"]["description"] = "x" * (1024 * 1024)
    reply = await harness.post("/alerts/alertmanager", body)
    assert reply.status == 413
    assert reply.body["error"] == "body_too_large"
    assert (await harness.counts())["signals"] == 0


async def test_chunked_body_over_the_limit_is_refused_without_content_length(
    harness: Harness,
) -> None:
    async def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536  # 1.25 MiB in total, no Content-Length header

    async with harness.http.post(
        harness.app.url + "/alerts/alertmanager",
        data=chunks(),
        headers={"Content-Type": "application/json"},
    ) as resp:
        assert resp.status == 413
        assert (await resp.json())["error"] == "body_too_large"


async def test_unknown_path_and_wrong_method_answer_json(harness: Harness) -> None:
    async with harness.http.get(harness.app.url + "/alerts/alertmanager") as resp:
        assert resp.status == 405
        assert (await resp.json())["error"] == "method_not_allowed"
    async with harness.http.post(harness.app.url + "/alerts/nagios", data=b"{}") as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "not_found"
