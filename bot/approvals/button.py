"""The value an Approve or Deny button carries: "<action id>:<params hash>"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_VALUE = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


@dataclass(frozen=True, slots=True)
class ButtonValue:
    """Which action a button is for, and the hash of the parameters it was shown with."""

    action_id: int
    params_hash: str


def parse_button_value(value: str) -> ButtonValue | None:
    """The parsed value, or None when it is not one our card could have sent."""
    match = _VALUE.match(value.strip())
    if match is None:
        return None
    return ButtonValue(int(match.group(1)), match.group(2))


def button_value(action_id: int, params_hash: str) -> str:
    """What the card puts on a button."""
    return f"{action_id}:{params_hash}"
