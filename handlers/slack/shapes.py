"""The shapes Bolt's matchers and extractors index into, checked before Bolt sees them.

Bolt reads `payload["actions"][0]["action_id"]`, `payload["user"]["id"]` and the like
without looking first; a signed body of the wrong shape made it answer 500.
"""

from __future__ import annotations

from typing import Any

from bot.domain.errors import IntakeError

# Fields that, when present, Slack always sends as text.
_TEXT = (
    "type",
    "token",
    "team_id",
    "user_id",
    "channel_id",
    "api_app_id",
    "command",
    "text",
    "trigger_id",
    "response_url",
    "event_id",
    "callback_id",
)
# Fields that, when present, Slack always sends as an object (team and enterprise may
# be null); Bolt reads their `id`.
_OBJECTS = ("user", "team", "channel", "container", "view", "message", "enterprise", "event")
_LISTS = ("actions", "authorizations")


def _refuse(where: str, what: str) -> IntakeError:
    return IntakeError(400, "invalid_payload", f"{where} must be {what}")


def check_shape(document: dict[str, Any]) -> None:
    """Raise 400 naming the first field whose type Bolt would trip over."""
    for name in _TEXT:
        if name in document and not isinstance(document[name], str):
            raise _refuse(name, "a string")
    for name in _OBJECTS:
        value = document.get(name)
        if value is None and name in ("team", "enterprise"):
            continue
        if name in document and not isinstance(value, dict):
            raise _refuse(name, "an object")
        if isinstance(value, dict):
            for key in ("id", "type", "callback_id", "team_id", "user", "channel"):
                inner = value.get(key)
                if key in value and not isinstance(inner, str | dict | None):
                    raise _refuse(f"{name}.{key}", "a string")
    for name in _LISTS:
        if name not in document:
            continue
        items = document[name]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _refuse(name, "a list of objects")
        for index, item in enumerate(items):
            for key, value in item.items():
                if key.endswith("_id") and not isinstance(value, str | None):
                    raise _refuse(f"{name}.{index}.{key}", "a string")
    if document.get("type") in ("block_actions", "interactive_message") and not document.get(
        "actions"
    ):
        raise _refuse("actions", "a non-empty list")
    if document.get("type") == "block_actions":
        # Bolt's matchers read each action's action_id without looking first.
        for index, action in enumerate(document["actions"]):
            if not isinstance(action.get("action_id"), str):
                raise _refuse(f"actions.{index}.action_id", "a string")
    if "command" in document and not str(document.get("response_url", "")).startswith("https://"):
        # Every slash command Slack sends carries one; the answer goes there.
        raise _refuse("response_url", "an https URL")
