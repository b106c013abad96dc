"""Scopes of autonomy controls: "*" for every service, else one service by name."""

from __future__ import annotations

import re

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.slack_text import escape
from bot.store.models import AutonomyRow, IncidentRow
from policies.engine_inputs import GLOBAL_SCOPE
from policies.policy import Policy

FLEET = GLOBAL_SCOPE
FLEET_WORDS = frozenset({"all", "everything", "everywhere", "fleet", "*"})
# Same shape as a service in the policy file, so a scope set here can match one there.
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
EXPLICIT_PREFIXES = ("service:", "service=")


def label(scope: str) -> str:
    """How a scope reads in a message."""
    return "all services" if scope == FLEET else f"`{escape(scope)}`"


def explicit_service(token: str) -> str | None:
    """The service named by `service:NAME`, if the token is written that way."""
    for prefix in EXPLICIT_PREFIXES:
        if token.lower().startswith(prefix):
            return token[len(prefix) :]
    return None


async def known_services(session: AsyncSession, policy: Policy) -> set[str]:
    """Services the bot has heard of: from incidents, stored controls and the policy file."""
    incidents = await session.exec(select(IncidentRow.service).distinct())
    controls = await session.exec(select(AutonomyRow.scope))
    from_file = {key.rsplit("/", 1)[-1] for key in policy.rules.autonomy.services}
    return {*incidents.all(), *controls.all(), *from_file} - {FLEET}
