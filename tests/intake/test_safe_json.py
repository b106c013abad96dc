"""The fast JSON path (orjson) answers exactly as the careful one does, for every input."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.domain.errors import IntakeError
from bot.intake import safe_json
from tests.conftest import fixture_bytes

FIRING = fixture_bytes("alertmanager/alertmanager_0.25_firing.json")

BODIES = [
    FIRING,
    b'{"a": [1, 2.5, -3, 1e10, true, false, null], "b": {"c": "d"}}',
    b'{"nul": "x\\u0000y", "surrogate": "a\\ud800b", "\\u0000key": 1}',
    b'{"ok": "caf\\u00e9 \\ud83d\\ude00"}',
    b'{"big": ' + b"9" * 30 + b"}",
    b'{"huge": ' + b"9" * 41 + b"}",
    b'{"digits in a string": "' + b"1" * 60 + b'"}',
    b'{"x": 1e999}',
    b'{"x": NaN}',
    b"[" * 32 + b"]" * 32,
    b"[" * 33 + b"]" * 33,
    b"[" * 34 + b"]" * 34,
    b'{"n": 12345678901234567890}',
    b'{"n": 1234567890123456789}',
    b"[" * 2000 + b"]" * 2000,
    b'{"deep": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}",
    b'{"a": 1, "a": 2}',
    b'"\xff"',
    b"\xef\xbb\xbf{}",
    b"{",
    b"",
    b' {"spaced": 1} ',
]


def _answer(parse: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "parsed", json.dumps(parse(body), sort_keys=True)
    except IntakeError as exc:
        return "refused", (exc.status, exc.code)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: repr(b[:24]))
def test_the_fast_path_agrees_with_the_careful_one(body: bytes) -> None:
    assert _answer(safe_json.loads, body) == _answer(safe_json._loads_strictly, body)


def test_escaped_nul_and_surrogates_are_cleaned() -> None:
    document = safe_json.loads(BODIES[2])
    assert document == {"nul": "xy", "surrogate": "a\ufffdb", "key": 1}


def test_nesting_past_the_limit_is_refused() -> None:
    with pytest.raises(IntakeError) as refused:
        safe_json.loads(b"[" * (safe_json.MAX_DEPTH + 2) + b"]" * (safe_json.MAX_DEPTH + 2))
    assert refused.value.status == 400 and "nested deeper" in refused.value.message
