"""`/incident freeze`, `unfreeze` and `mode`: parse what was typed, then run the flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.autonomy import load_freeze
from bot.autonomy.duration import DurationError, looks_like_duration, parse_duration
from bot.autonomy.flows import freeze_flow, mode_flow, unfreeze_flow
from bot.autonomy.scope import FLEET, FLEET_WORDS, SERVICE_NAME, explicit_service, known_services
from bot.commands.reply import CommandContext, CommandReply
from bot.incidents import service as incidents
from bot.slack_text import clip, escape
from policies.policy_schema import AutonomyMode

FREEZE_USAGE = "Usage: `/incident freeze [SERVICE|all|here] [for 30m|2h|1d] [REASON]`"
UNFREEZE_USAGE = "Usage: `/incident unfreeze [SERVICE|all|here]`"
MODE_USAGE = "Usage: `/incident mode shadow|assist|limited|paging|mim|reset [SERVICE|all|here]`"
RESET_WORDS = frozenset({"reset", "default", "file"})


class InputError(ValueError):
    """What was typed cannot be used; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class _Where:
    here_service: str | None
    known: set[str]


async def freeze(ctx: CommandContext) -> CommandReply:
    tokens = ctx.args.split()
    where = await _where(ctx)
    try:
        scope, rest, unknown = _leading_scope(tokens, where)
        duration, rest = _duration(rest)
    except (InputError, DurationError) as bad:
        return CommandReply(f"Not frozen: {bad}\n{FREEZE_USAGE}")
    reason = " ".join(rest)
    reply = await freeze_flow(
        ctx.rt,
        scope=scope,
        duration=duration,
        reason=reason,
        user_id=ctx.user_id,
        channel_id=ctx.channel_id,
    )
    text = reply.text
    if unknown:
        name = escape(clip(scope, 64))
        text += (
            f"\n_No incident or policy entry names a service `{name}` yet. If you meant every"
            f" service: `/incident unfreeze {name}`, then `/incident freeze all …`._"
        )
    return CommandReply(text, public=reply.public)


async def unfreeze(ctx: CommandContext) -> CommandReply:
    tokens = ctx.args.split()
    if len(tokens) > 1:
        return CommandReply(f"Name one scope at most.\n{UNFREEZE_USAGE}")
    where = await _where(ctx)
    try:
        scope = _named_scope(tokens[0], where) if tokens else await _only_freeze(ctx, where)
    except InputError as bad:
        return CommandReply(f"Not lifted: {bad}\n{UNFREEZE_USAGE}")
    reply = await unfreeze_flow(
        ctx.rt, ctx.directory, scope=scope, user_id=ctx.user_id, channel_id=ctx.channel_id
    )
    return CommandReply(reply.text, public=reply.public)


async def _only_freeze(ctx: CommandContext, where: _Where) -> str:
    """What a bare `unfreeze` means: this incident's freeze, or the only one in force."""
    now = ctx.rt.clock()
    async with ctx.rt.sessions() as session:
        state = await load_freeze(session, now)
    active = [FLEET] if state.fleet is not None else []
    active += [name for name in state.services if state.is_frozen(name, now)]
    if where.here_service is not None and where.here_service in active:
        return where.here_service
    if len(active) == 1:
        return active[0]
    if not active:
        return where.here_service or FLEET
    named = ", ".join("`all`" if a == FLEET else f"`{escape(clip(a, 64))}`" for a in active)
    raise InputError(f"several freezes are in force ({named}); name the one to lift.")


async def mode(ctx: CommandContext) -> CommandReply:
    tokens = ctx.args.split()
    if not tokens or len(tokens) > 2:
        return CommandReply(MODE_USAGE)
    word = tokens[0].lower()
    chosen: AutonomyMode | None
    if word in RESET_WORDS:
        chosen = None
    else:
        try:
            chosen = AutonomyMode(word)
        except ValueError:
            modes = ", ".join(f"`{m.value}`" for m in AutonomyMode)
            return CommandReply(
                f"`{escape(clip(tokens[0], 40))}` is not a mode. Pick one of {modes},"
                f" or `reset`.\n{MODE_USAGE}"
            )
    where = await _where(ctx)
    try:
        scope = _named_scope(tokens[1], where) if len(tokens) == 2 else FLEET
    except InputError as bad:
        return CommandReply(f"Not changed: {bad}\n{MODE_USAGE}")
    reply = await mode_flow(
        ctx.rt,
        ctx.directory,
        scope=scope,
        mode=chosen,
        user_id=ctx.user_id,
        channel_id=ctx.channel_id,
    )
    return CommandReply(reply.text, public=reply.public)


async def _where(ctx: CommandContext) -> _Where:
    async with ctx.rt.sessions() as session:
        here = await incidents.find_by_channel(session, ctx.channel_id)
        known = await known_services(session, ctx.rt.policy)
    return _Where(here.service if here is not None else None, known)


def _leading_scope(tokens: list[str], where: _Where) -> tuple[str, list[str], bool]:
    """The scope the first word names, the rest, and whether that service is unknown.

    `all` (or another fleet word) is every service, `here` this incident's service, a
    known or `service:`-prefixed name that service. With no scope named, an incident
    channel means its own service; elsewhere the person must say which: a freeze of every
    service is never a guess. A bare word that is no duration is a service, never the fleet.
    """
    first = tokens[0] if tokens else ""
    lowered = first.lower()
    if lowered in FLEET_WORDS or lowered == "here" or explicit_service(first) is not None:
        return _named_scope(first, where), tokens[1:], False
    if first in where.known:
        return first, tokens[1:], False
    if not tokens or lowered == "for" or looks_like_duration(first) or first.isdigit():
        if where.here_service is None:
            raise InputError(
                "say what to freeze: `all` for every service, or a service"
                " (`/incident freeze checkout for 30m load test`)."
            )
        return where.here_service, tokens, False
    if SERVICE_NAME.match(first):
        return first, tokens[1:], True
    raise InputError(f"`{escape(clip(first, 64))}` is not a service name or `all`.")


def _named_scope(token: str, where: _Where) -> str:
    lowered = token.lower()
    if lowered in FLEET_WORDS:
        return FLEET
    if lowered == "here":
        if where.here_service is None:
            raise InputError("`here` means this incident's service; run it in an incident channel.")
        return where.here_service
    name = explicit_service(token)
    name = token if name is None else name
    if not SERVICE_NAME.match(name):
        raise InputError(
            f"`{escape(clip(name, 64))}` is not a service name (letters, digits, `.`, `_`, `-`)."
        )
    return name


def _duration(tokens: list[str]) -> tuple[timedelta | None, list[str]]:
    if tokens and tokens[0].lower() == "for":
        if len(tokens) < 2:
            raise DurationError("`for` needs a duration after it, like 30m, 2h or 1d.")
        return parse_duration(tokens[1]), tokens[2:]
    if tokens and (looks_like_duration(tokens[0]) or tokens[0].isdigit()):
        return parse_duration(tokens[0]), tokens[1:]
    return None, tokens
