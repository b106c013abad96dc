"""Tolerant reads of event data: a missing or mistyped key reads as absent."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any


def text(data: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string (numbers are written out) under `key`, else None."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def texts(data: Mapping[str, Any], key: str) -> list[str]:
    """The non-empty strings of a list under `key`."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def records(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    """The objects of a list under `key`."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def number(data: Mapping[str, Any], key: str) -> float | None:
    """A finite number under `key`, else None."""
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def is_web_url(value: str) -> bool:
    """Whether a value is an http(s) address, the only kind the handoff links to."""
    return value.startswith(("https://", "http://")) and not any(c.isspace() for c in value)
