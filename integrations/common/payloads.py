"""Turning pydantic validation failures into messages that name the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot.domain.errors import IntakeError

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], document: Any, what: str, at: str = "") -> M:
    """Validate `document`; on failure raise a 422 naming the first bad fields.

    `at` is where the document sits in the body (`alerts.3`), so names stay exact.
    """
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            parts = [at] if at else []
            where = ".".join([*parts, *(str(part) for part in error["loc"])]) or "body"
            problems.append(f"{where}: {error['msg']}")
        raise IntakeError(
            422, "invalid_payload", f"not a valid {what}: " + "; ".join(problems)
        ) from None
