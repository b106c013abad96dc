"""What one batch knows of open incidents: asked for once, kept true as the batch writes.

Every new alert asks which incident holds its group (and its split-out service, and its
environment's storm). Asked one alert at a time that is three round trips each; asked
for the whole batch at its start it is one. The batch's own writes keep the answers
true: an incident it opens or a storm it ends is noted here as it happens. Rows other
replicas write meanwhile are caught as before, by the unique `open_group_key`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from sqlalchemy import ARRAY, String, any_, bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.store.models import IncidentRow

# Keys per IN (...) list: well inside both backends' limits on bound parameters.
CHUNK = 500


@cache
def _query(dialect: str) -> Select[str | None, int]:
    """Built once, against the table: asked at the start of every batch.

    On PostgreSQL the keys go as one array, so the SQL text is the same for any number
    of keys and the server's prepared statement is reused; an IN list of a new length
    would be prepared again, a round trip more.
    """
    table = IncidentRow.__table__  # type: ignore[attr-defined]
    keys = table.c.open_group_key
    if dialect == "postgresql":
        wanted = keys == any_(bindparam("open_group_keys", type_=ARRAY(String)))
    else:
        wanted = keys.in_(bindparam("open_group_keys", expanding=True))
    return select(table.c.open_group_key, table.c.id).where(wanted)


class OpenIncidents:
    def __init__(self, known: dict[str, int | None]) -> None:
        self._known = known

    @classmethod
    async def load(cls, session: AsyncSession, keys: Iterable[str]) -> OpenIncidents:
        known = cls({})
        await known.learn(session, keys)
        return known

    async def learn(self, session: AsyncSession, keys: Iterable[str]) -> None:
        """Ask about the keys not yet known; what the batch has already noted stays."""
        wanted = sorted(set(keys) - self._known.keys())
        self._known.update(dict.fromkeys(wanted))
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
            result = await session.exec(_query(dialect), params={"open_group_keys": chunk})
            for key, incident_id in result.all():
                if key is not None:
                    self._known[key] = incident_id

    def knows(self, key: str) -> bool:
        return key in self._known

    def get(self, key: str) -> int | None:
        return self._known[key]

    def opened(self, key: str, incident_id: int) -> None:
        self._known[key] = incident_id

    def closed(self, key: str) -> None:
        self._known[key] = None
