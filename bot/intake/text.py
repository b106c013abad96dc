"""Text from outside made storable: valid UTF-8, no NUL (PostgreSQL refuses both)."""

from __future__ import annotations

import re

# JSON's \uD800-style escapes decode to lone surrogates: not encodable as UTF-8, so the
# database driver, the Slack client and the triage's validation would each fail on them.
_UNSTORABLE = re.compile(r"[\ud800-\udfff\x00]")


def _replacement(match: re.Match[str]) -> str:
    return "" if match.group() == "\x00" else "\ufffd"


def clean_text(value: str) -> str:
    """`value` with lone surrogates replaced by U+FFFD and NUL characters removed."""
    return _UNSTORABLE.sub(_replacement, value)
