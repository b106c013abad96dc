"""block_actions listener: the storm card's "Split out" button. Ack first, then the flow."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.runtime import Runtime
from bot.storms.card import SPLIT_ACTION_ID, parse_split_value
from bot.storms.requests import split_by_id

log = logging.getLogger(__name__)

FAILED = "⚠️ Something went wrong splitting that service out; nothing changed. Try again."


def register_storm_actions(app: Any, rt: Runtime) -> None:
    """Attach the storm card's split button to the Bolt app."""

    @app.action(SPLIT_ACTION_ID)  # type: ignore[untyped-decorator]
    async def split(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        actions = body.get("actions") or [{}]
        user = str((body.get("user") or {}).get("id", ""))
        parsed = parse_split_value(str(actions[0].get("value", "")))
        if parsed is None:
            text = "That button is not a storm split button; nothing changed."
        else:
            try:
                text = (await split_by_id(rt, parsed[0], parsed[1], f"slack:{user}")).message
            except Exception:
                log.exception("split of %s by %s failed", parsed[1][:40], user)
                text = FAILED
        await respond(text=text, response_type="ephemeral", replace_original=False)
