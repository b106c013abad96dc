"""A reply in a thread: what to post, what it cites, and who read the message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reply:
    """What to post, and why (for the audit)."""

    text: str
    blocks: list[dict[str, Any]]
    citations: tuple[str, ...] = ()
    source: str = "parser"
    # The action a proposal reply shows (its copy is refreshed after clicks), with its text.
    proposal: int | None = None
    proposal_text: str = ""
