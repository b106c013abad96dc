"""Which incident each stored signal belongs to, written for a whole batch at once.

Every firing alert is linked to its incident. One UPDATE per alert is a round trip per
alert; the batch collects them and writes them in one executemany before it commits.
Anything that reads the links (a resolve looking for what still fires, or for the
incident its firing signal joined) writes the collected ones first.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Update, bindparam, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import SignalRow


@cache
def _link_statement() -> Update:
    """Built once: every stored alert is linked to its incident with it."""
    table = SignalRow.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(table.c.id == bindparam("link_signal"))
        .values(incident_id=bindparam("link_incident"))
    )


async def link_now(session: AsyncSession, signal_id: int, incident_id: int) -> None:
    await session.exec(
        _link_statement(), params={"link_signal": signal_id, "link_incident": incident_id}
    )


class PendingLinks:
    """Links collected over one batch, written before anything reads them."""

    def __init__(self) -> None:
        self._links: list[dict[str, int]] = []

    def add(self, signal_id: int, incident_id: int) -> None:
        self._links.append({"link_signal": signal_id, "link_incident": incident_id})

    async def write(self, session: AsyncSession) -> None:
        if not self._links:
            return
        links, self._links = self._links, []
        await session.exec(_link_statement(), params=links)
