"""Stage: JSON of the right content type, validated against the source's schema."""

from __future__ import annotations

from bot.domain.errors import IntakeError
from bot.intake import safe_json
from bot.intake.context import IntakeContext


class Parse:
    name = "parse"

    async def __call__(self, ctx: IntakeContext) -> None:
        media_type = ctx.content_type.split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            raise IntakeError(
                415,
                "unsupported_media_type",
                f"Content-Type must be application/json, not {media_type or 'missing'}",
            )
        ctx.document = safe_json.loads(ctx.body)
        if not isinstance(ctx.document, dict):
            raise IntakeError(422, "invalid_payload", "body must be a JSON object")
        ctx.payload = ctx.source.parse(ctx.document)
        ctx.source.check_fresh(ctx.payload, ctx.received_at)
