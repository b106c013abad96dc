"""Links back to Slack for records kept outside it (tickets, handoffs, pager notes)."""

from __future__ import annotations

import logging
from urllib.parse import quote

from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.store.models import IncidentRow

log = logging.getLogger(__name__)

# Slack's documented deep link that opens a channel for anyone in the workspace.
CHANNEL_REDIRECT = "https://slack.com/app_redirect?channel={channel}"


async def channel_link(rt: Runtime, incident: IncidentRow) -> str:
    """The incident card's permalink, else a link to the channel, else the public URL."""
    if incident.channel_id and incident.card_ts:
        try:
            link = await rt.chat.permalink(incident.channel_id, incident.card_ts)
        except ChatError as exc:
            # A link that opens the channel is nearly as good as one to the card.
            log.warning("no permalink for incident %s card (%s)", incident.id, exc.code)
        else:
            if link.startswith("https://"):
                return link
    if incident.channel_id:
        return CHANNEL_REDIRECT.format(channel=quote(incident.channel_id, safe=""))
    return rt.settings.public_url or ""
