"""Stage: parse and normalize the body, or take what that gave for the same body before."""

from __future__ import annotations

from bot.intake.context import IntakeContext, SignalOutcome
from bot.intake.known_bodies import Decoded, KnownBodies
from bot.intake.stages.normalize import Normalize
from bot.intake.stages.parse import Parse


class Decode:
    name = "decode"

    def __init__(self, parse: Parse, normalize: Normalize, known: KnownBodies) -> None:
        self._parse = parse
        self._normalize = normalize
        self._known = known

    async def __call__(self, ctx: IntakeContext) -> None:
        source = ctx.source
        if not source.body_decides_signals:
            await self._parse(ctx)
            await self._normalize(ctx)
            return
        decoded = self._known.get(source.name, ctx.content_type, ctx.body)
        if decoded is None:
            await self._parse(ctx)
            await self._normalize(ctx)
            decoded = Decoded(
                signals=tuple((o.signal, o.group_key, o.occurrence_key) for o in ctx.outcomes),
                rejected=tuple(ctx.rejected),
            )
            self._known.add(source.name, ctx.content_type, ctx.body, decoded)
            return
        # Each delivery gets outcomes of its own; the signals themselves are never changed.
        ctx.outcomes = [
            SignalOutcome(signal=signal, group_key=group_key, occurrence_key=occurrence_key)
            for signal, group_key, occurrence_key in decoded.signals
        ]
        ctx.rejected = list(decoded.rejected)
