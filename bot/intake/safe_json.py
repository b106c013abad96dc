"""JSON from an untrusted body: bounded numbers and depth, text made safe to store."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from bot.domain.errors import IntakeError
from bot.intake.text import clean_text

# Deeper than any real alert body; deep enough nesting makes recursive code (pydantic,
# the JSON column encoder) raise RecursionError instead of a clear 400.
MAX_DEPTH = 32
# A number longer than this is an attack, not a value: int() of 100,000 digits is slow,
# and float() of one is infinity.
MAX_NUMBER_CHARS = 40
# A run of digits this long may be a number past 64 bits, which orjson reads as a float
# where the careful path keeps an int (or refuses it, past MAX_NUMBER_CHARS).
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def _number(text: str) -> int | float:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters")
    return float(text) if any(c in text for c in ".eE") else int(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads(body: bytes) -> Any:
    """Parse `body` as JSON (UTF-8); every string cleaned, depth and numbers bounded."""
    if _LONG_DIGITS.search(body):
        return _loads_strictly(body)
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        # Odd or bad input (lone surrogates, numbers out of range, bad syntax) takes the path
        # below, which cleans what can be kept and says what is wrong with the rest.
        return _loads_strictly(body)
    if b"\\u" not in body and body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        # NUL and surrogates can only arrive escaped, and this few brackets cannot nest
        # past the limit: the walk below would change nothing.
        return document
    return clean(document)


def _loads_strictly(body: bytes) -> Any:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise IntakeError(400, "invalid_json", "body is not valid JSON: not UTF-8") from None
    try:
        document = json.loads(
            text, parse_int=_number, parse_float=_number, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise IntakeError(400, "invalid_json", f"body is not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise IntakeError(
            400, "invalid_json", f"body is nested deeper than {MAX_DEPTH} levels"
        ) from None
    except ValueError as exc:
        raise IntakeError(400, "invalid_json", f"body is not valid JSON: {exc}") from None
    return clean(document)


def clean(document: Any) -> Any:
    """A copy with every key and string cleaned; refused if nested past MAX_DEPTH.

    Iterative, so a deep document cannot exhaust the interpreter's stack here either.
    """
    root: list[Any] = [None]
    # (source, the container it goes into, key or index in that container, depth)
    stack: list[tuple[Any, Any, Any, int]] = [(document, root, 0, 0)]
    while stack:
        value, parent, slot, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise IntakeError(400, "invalid_json", f"body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str):
            parent[slot] = clean_text(value)
        elif isinstance(value, dict):
            copy: dict[str, Any] = {}
            parent[slot] = copy
            for key, item in value.items():
                name = clean_text(key)
                copy[name] = None
                stack.append((item, copy, name, depth + 1))
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            parent[slot] = items
            stack.extend((item, items, i, depth + 1) for i, item in enumerate(value))
        else:
            parent[slot] = value
    return root[0]
