"""block_actions listeners for the incident card and the Undo button. Ack first, then the
flow: each button runs the `/incident` subcommand it stands for, with the same checks."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.approvals.directory import GroupDirectory
from bot.commands import CommandReply, run_incident_command
from bot.console.feedback import NEEDED_ACTION_ID, NOT_NEEDED_ACTION_ID, record_feedback
from bot.incidents import views
from bot.runtime import Runtime
from bot.triage.card import UNDO_ACTION_ID
from handlers.slack.actions import FAILED, click_of

log = logging.getLogger(__name__)

BUTTONS = {
    views.CARD_ACK: "ack",
    views.CARD_RESOLVE: "resolve",
    views.CARD_COMMAND: "commander",
    views.CARD_PAGE: "page",
    views.CARD_TICKET: "ticket",
}


def register_console(app: Any, rt: Runtime, directory: GroupDirectory) -> None:
    """Attach the incident card's buttons and Undo to the Bolt app."""

    async def run(body: dict[str, Any], respond: AsyncRespond, text: str) -> None:
        click = click_of(body)
        try:
            reply: CommandReply = await run_incident_command(
                rt,
                text=text,
                user_id=click.user_id,
                channel_id=click.channel_id,
                directory=directory,
            )
        except Exception:
            log.exception("card button %s by %s failed", text[:20], click.user_id)
            reply = CommandReply(FAILED)
        await respond(
            text=reply.text,
            response_type="in_channel" if reply.public else "ephemeral",
            replace_original=False,
        )

    def listener(subcommand: str) -> Any:
        async def clicked(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            await run(body, respond, subcommand)

        return clicked

    for action_id, subcommand in BUTTONS.items():
        app.action(action_id)(listener(subcommand))

    @app.action(UNDO_ACTION_ID)  # type: ignore[untyped-decorator]
    async def undo(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        value = click_of(body).value
        if not value.isdigit():
            await respond(text="This button names no action.", response_type="ephemeral")
            return
        await run(body, respond, f"undo {value}")

    def feedback(needed: bool) -> Any:
        async def answered(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
            await ack()
            click = click_of(body)
            try:
                text = await record_feedback(rt, click.user_id, click.value, needed)
            except Exception:
                log.exception("escalation feedback by %s failed", click.user_id)
                text = FAILED
            await respond(text=text, response_type="ephemeral", replace_original=False)

        return answered

    app.action(NEEDED_ACTION_ID)(feedback(True))
    app.action(NOT_NEEDED_ACTION_ID)(feedback(False))
