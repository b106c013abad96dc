"""block_actions listener for "Page on-call anyway". Ack first, then the flow."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.paging.flows_human import page_by_hand
from bot.paging.request import PAGE_ANYWAY_ACTION_ID
from bot.runtime import Runtime
from handlers.slack.actions import FAILED, click_of

log = logging.getLogger(__name__)


def register_paging(app: Any, rt: Runtime) -> None:
    @app.action(PAGE_ANYWAY_ACTION_ID)  # type: ignore[untyped-decorator]
    async def page_anyway(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        click = click_of(body)
        if not click.value.isdigit() or not click.user_id:
            await respond(text="This button names no incident.", response_type="ephemeral")
            return
        try:
            text = await page_by_hand(
                rt, click.user_id, int(click.value), "a responder chose to page despite the gate"
            )
        except Exception:
            log.exception("page-anyway click on incident %s failed", click.value[:20])
            text = FAILED
        await respond(text=text, response_type="ephemeral", replace_original=False)
