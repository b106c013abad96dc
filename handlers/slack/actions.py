"""block_actions listeners: Approve and Deny on the triage card. Ack first, then the flow."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.approvals.directory import GroupDirectory
from bot.approvals.flows import Click, ClickResult, approve_flow, deny_flow
from bot.runtime import Runtime
from bot.triage.card import APPROVE_ACTION_ID, DENY_ACTION_ID

log = logging.getLogger(__name__)

FAILED = "⚠️ Something went wrong while recording your click; nothing changed. Try again."


def click_of(body: dict[str, Any]) -> Click:
    """Who clicked, where, and the button's value, from a block_actions payload."""
    actions = body.get("actions") or [{}]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return Click(
        user_id=str((body.get("user") or {}).get("id", "")),
        channel_id=str(channel),
        value=str(actions[0].get("value", "")),
    )


def register_actions(app: Any, rt: Runtime, directory: GroupDirectory) -> None:
    """Attach the Approve and Deny buttons to the Bolt app."""

    async def answer(body: dict[str, Any], respond: AsyncRespond, approve: bool) -> None:
        click = click_of(body)
        try:
            flow = approve_flow if approve else deny_flow
            result: ClickResult = await flow(rt, directory, click)
            text = result.message
        except Exception:
            log.exception("click on %s by %s failed", click.value[:40], click.user_id)
            text = FAILED
        # Only the clicker sees this; the card itself is edited through the outbox.
        await respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(APPROVE_ACTION_ID)  # type: ignore[untyped-decorator]
    async def approve(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await answer(body, respond, approve=True)

    @app.action(DENY_ACTION_ID)  # type: ignore[untyped-decorator]
    async def deny(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await answer(body, respond, approve=False)
