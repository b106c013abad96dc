"""What the page shows, as JSON: the workspace as one user sees it, the ticket, the cluster."""

from __future__ import annotations

from typing import Any

from bot.demo.peers import SandboxPeers
from integrations.slack.emulator.models import Message


def snapshot(peers: SandboxPeers, user_id: str) -> dict[str, Any]:
    """Channels the user is in, their messages and pins, the user's ephemerals and Home."""
    state = peers.slack.state
    channels = [
        {
            "id": channel.id,
            "name": channel.name,
            "topic": channel.topic,
            "purpose": channel.purpose,
            "archived": channel.archived,
            "members": [state.user_name(member) for member in channel.members],
            "pins": [pin.ts for pin in state.pins.get(channel.id, [])],
            "messages": [_message(message) for message in state.messages_in(channel.id)],
        }
        for channel in state.channels.values()
        if not channel.is_im and user_id in channel.members
    ]
    ephemerals = [
        {
            "ts": message.ts,
            "channel": message.channel_id,
            "user": message.user,
            "text": message.text,
            "blocks": message.blocks,
            "ephemeral": True,
        }
        for message in state.ephemerals_for(user_id)
    ]
    return {
        "me": user_id,
        "bot": state.bot_user_id,
        "users": {user.id: user.name for user in state.users.values()},
        "usergroups": {group.id: group.handle for group in state.usergroups.values()},
        "channels": channels,
        "ephemerals": ephemerals,
        "home": state.home_views.get(user_id),
        "tickets": _tickets(peers),
        "deployments": peers.cluster.deployments(),
        "pages": len(peers.pagerduty.events("trigger")),
    }


def version(peers: SandboxPeers) -> int:
    """Grows whenever anything the page shows may have changed."""
    return (
        len(peers.slack.state.timeline)
        + len(peers.servicenow.requests)
        + len(peers.cluster.writes())
        + len(peers.pagerduty.requests)
    )


def _message(message: Message) -> dict[str, Any]:
    return {
        "ts": message.ts,
        "user": message.user,
        "text": message.text,
        "blocks": message.blocks,
        "thread_ts": message.thread_ts,
        "edited": message.edits > 0,
        "reactions": {name: len(users) for name, users in message.reactions.items()},
    }


def _tickets(peers: SandboxPeers) -> list[dict[str, Any]]:
    server = peers.servicenow
    return [
        {
            "number": ticket.get("number", ""),
            "short_description": ticket.get("short_description", ""),
            "state": ticket.get("state", ""),
            "priority": ticket.get("priority", ""),
            "close_code": ticket.get("close_code", ""),
            "work_notes": server.journal(ticket["sys_id"]),
        }
        for ticket in server.incidents()
    ]
