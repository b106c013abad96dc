"""views.publish (App Home) and views.open (modals)."""

from __future__ import annotations

from typing import Any

from ..blocks import MAX_VIEW_BLOCKS, validate_blocks
from ..errors import SlackError
from ..models import EventKind
from ..params import Params
from ..state import WorkspaceState
from .common import Handler, ok

# Slack: a trigger_id "expires in 3 seconds" and can be exchanged once.
TRIGGER_TTL_SECONDS = 3.0


def _view(state: WorkspaceState, params: Params, *, expected: str) -> dict[str, Any]:
    raw = params.structured("view", invalid_error="invalid_arguments")
    if not isinstance(raw, dict) or raw.get("type") != expected:
        raise SlackError("invalid_arguments")
    try:
        blocks = validate_blocks(raw.get("blocks", []), limit=MAX_VIEW_BLOCKS)
    except SlackError as error:
        raise SlackError("invalid_arguments", **error.extra) from None
    view_id = state.next_id("V")
    return {
        "id": view_id,
        "team_id": state.team_id,
        "type": expected,
        "blocks": blocks,
        "private_metadata": raw.get("private_metadata", ""),
        "callback_id": raw.get("callback_id", ""),
        "title": raw.get("title"),
        "state": {"values": {}},
        "hash": f"{state.now()}.{view_id}",
        "app_id": state.app_id,
        "bot_id": state.bot_id,
        "external_id": raw.get("external_id", ""),
    }


def publish(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """views.publish stores the user's Home tab."""
    user_id = params.text("user_id") or ""
    if user_id not in state.users:
        raise SlackError("user_not_found")
    view = _view(state, params, expected="home")
    state.home_views[user_id] = view
    state.record(EventKind.HOME_PUBLISHED, None, state.bot_user_id, users=(user_id,))
    return ok(view=view)


def open_(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """views.open with single-use, short-lived trigger_ids."""
    trigger = state.triggers.get(params.text("trigger_id") or "")
    if trigger is None:
        raise SlackError("invalid_trigger_id")
    if trigger.used:
        raise SlackError("exchanged_trigger_id")
    if state.clock() - trigger.issued_at > TRIGGER_TTL_SECONDS:
        raise SlackError("expired_trigger_id")
    view = _view(state, params, expected="modal")
    trigger.used = True
    state.modal_views.setdefault(trigger.user_id, []).append(view)
    title = view["title"].get("text", "") if isinstance(view["title"], dict) else ""
    state.record(
        EventKind.VIEW_OPENED, None, state.bot_user_id, users=(trigger.user_id,), text=title
    )
    return ok(view=view)


HANDLERS: dict[str, Handler] = {
    "views.open": open_,
    "views.publish": publish,
}
