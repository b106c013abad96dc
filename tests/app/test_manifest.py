"""The Slack app manifest matches what the bot actually uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST = Path(__file__).parents[2] / "manifest.yml"


def load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    return data


def test_manifest_routes_everything_to_one_url() -> None:
    manifest = load()
    urls = {
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    }
    assert len(urls) == 1 and next(iter(urls)).endswith("/slack/events")
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/incident"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_scopes_cover_every_web_api_method_the_bot_calls() -> None:
    # Method → the bot scope Slack requires for it (docs.slack.dev method pages).
    needed = {
        "conversations.create": "channels:manage",
        "conversations.setTopic": "channels:manage",
        "conversations.setPurpose": "channels:manage",
        "conversations.invite": "channels:manage",
        "conversations.list": "channels:read",
        "conversations.history": "channels:history",
        "conversations.join": "channels:join",
        "chat.postMessage": "chat:write",
        "chat.update": "chat:write",
        "chat.postEphemeral": "chat:write",
        "pins.add": "pins:write",
        "usergroups.users.list": "usergroups:read",
    }
    adapter = (Path(__file__).parents[2] / "integrations/slack/adapter.py").read_text()
    scopes = set(load()["oauth_config"]["scopes"]["bot"])
    for method, scope in needed.items():
        call = "self._client." + method.replace(".", "_")
        assert call in adapter, f"{method} is listed but no longer called"
        assert scope in scopes, f"{method} needs {scope}"
    # No more than needed: every scope is justified by a method, a command or an event.
    # chat.getPermalink needs no scope; reaction_added needs reactions:read.
    assert "self._client.chat_getPermalink" in adapter
    # message.im (DMs naming an incident) needs im:history.
    assert scopes == set(needed.values()) | {
        "commands",
        "app_mentions:read",
        "reactions:read",
        "im:history",
    }
