"""auth.test, users.* and usergroups.* methods."""

from __future__ import annotations

from typing import Any

from ..errors import SlackError
from ..params import Params
from ..shapes import user_json, usergroup_json
from ..state import WorkspaceState
from .common import Handler, ok, paginate


def auth_test(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """auth.test for the bot token."""
    return ok(
        url=f"https://{state.team_domain}.slack.com/",
        team=state.team_name,
        user=state.bot_name,
        team_id=state.team_id,
        user_id=state.bot_user_id,
        bot_id=state.bot_id,
        is_enterprise_install=False,
    )


def api_test(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """api.test echoes its arguments, or fails on demand with `error`."""
    args = {k: v for k, v in params.as_dict().items() if k != "token"}
    if "error" in args:
        raise SlackError(str(args["error"]), args=args)
    return ok(args=args)


def users_info(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """users.info."""
    user = state.users.get(params.text("user") or "")
    if user is None:
        raise SlackError("user_not_found")
    return ok(user=user_json(state, user))


def users_lookup_by_email(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """users.lookupByEmail."""
    user = state.user_by_email(params.text("email") or "")
    if user is None or user.deleted:
        raise SlackError("users_not_found")
    return ok(user=user_json(state, user))


def users_list(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """users.list with cursor pagination."""
    page, next_cursor = paginate(list(state.users.values()), params, default_limit=200)
    return ok(
        members=[user_json(state, u) for u in page],
        cache_ts=state.now(),
        response_metadata={"next_cursor": next_cursor},
    )


def usergroups_list(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """usergroups.list."""
    include_disabled = params.flag("include_disabled")
    include_users = params.flag("include_users")
    groups = [g for g in state.usergroups.values() if include_disabled or not g.disabled]
    return ok(usergroups=[usergroup_json(state, g, include_users=include_users) for g in groups])


def usergroups_users_list(state: WorkspaceState, params: Params) -> dict[str, Any]:
    """usergroups.users.list."""
    group = state.usergroups.get(params.text("usergroup") or "")
    if group is None or (group.disabled and not params.flag("include_disabled")):
        raise SlackError("no_such_subteam")
    return ok(users=list(group.users))


HANDLERS: dict[str, Handler] = {
    "api.test": api_test,
    "auth.test": auth_test,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroups_users_list,
    "users.info": users_info,
    "users.list": users_list,
    "users.lookupByEmail": users_lookup_by_email,
}
