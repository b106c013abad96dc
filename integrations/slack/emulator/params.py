"""Typed access to Web API arguments that arrive as query, form or JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import SlackError

_TRUE = {"1", "true", "yes", "on"}


class Params:
    """Arguments of one API call, merged from the query string and the body."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = dict(values)

    def as_dict(self) -> dict[str, Any]:
        """A copy of the raw arguments, for the call log."""
        return dict(self._values)

    def __contains__(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def text(self, name: str) -> str | None:
        """The argument as text; JSON numbers and booleans are given as Slack would read them."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return f"{value}"
        return json.dumps(value)

    def flag(self, name: str, default: bool = False) -> bool:
        """The argument as a flag; Slack accepts true/1 in form data and booleans in JSON."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return f"{value}".strip().lower() in _TRUE

    def integer(self, name: str, default: int) -> int:
        """The argument as an integer; unparsable values fall back to the default."""
        value = self._values.get(name)
        if value is None or value == "" or isinstance(value, bool):
            return default
        try:
            return int(f"{value}")
        except ValueError:
            return default

    def csv(self, name: str) -> list[str]:
        """A comma-separated list (or a JSON array) as stripped, non-empty items."""
        value = self._values.get(name)
        if value is None:
            return []
        items = value if isinstance(value, list) else f"{value}".split(",")
        return [f"{item}".strip() for item in items if f"{item}".strip()]

    def structured(self, name: str, *, invalid_error: str) -> Any:
        """A structured argument that form data carries as a JSON string and JSON bodies inline."""
        value = self._values.get(name)
        if not isinstance(value, str):
            return value
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(invalid_error) from None
