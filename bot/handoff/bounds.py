"""Fit text into fixed sizes without cutting through an escape sequence."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.slack_text import escape, escape_keeping_mentions

ELLIPSIS = "…"


def one_line(text: str) -> str:
    """Text with every run of whitespace, newlines included, made one space."""
    return " ".join(text.split())


def escaped(text: str, limit: int, *, keep_mentions: bool = False) -> str:
    """`text` escaped for mrkdwn, at most `limit` characters after escaping; with
    `keep_mentions` (text people wrote, not alert text), user mentions stay mentions."""
    whole = escape_keeping_mentions(text) if keep_mentions else escape(text)
    if len(whole) <= limit:
        return whole
    out: list[str] = []
    size = 0
    for char in text:
        piece = escape(char)
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + ELLIPSIS


def fit_lines(
    heading: str,
    lines: Sequence[str],
    limit: int,
    more: Callable[[int], str] = lambda n: f"{ELLIPSIS}and {n} more",
) -> tuple[str, int]:
    """Heading and as many whole lines as fit in `limit`, and how many were left out."""
    text = heading
    for index, line in enumerate(lines):
        left = len(lines) - index
        candidate = f"{text}\n{line}" if text else line
        # Room for the "and N more" line is kept unless this is the last line.
        reserve = 0 if left == 1 else len(more(left - 1)) + 1
        if len(candidate) + reserve > limit:
            tail = more(left)
            if len(text) + len(tail) + 1 > limit:
                return text[:limit], left
            return (f"{text}\n{tail}" if text else tail), left
        text = candidate
    return text, 0


def fit_newest(
    heading: str,
    lines: Sequence[str],
    limit: int,
    note: Callable[[int], str],
    omitted: int = 0,
) -> str:
    """Heading, a note of how many earlier lines are missing, and the newest lines that fit."""
    kept = 0
    size = 0
    for line in reversed(lines):
        dropped = omitted + len(lines) - kept - 1
        extra = len(note(dropped)) + 1 if dropped else 0
        if len(heading) + extra + size + len(line) + 1 > limit:
            break
        size += len(line) + 1
        kept += 1
    dropped = omitted + len(lines) - kept
    chosen = list(lines[len(lines) - kept :])
    text = "\n".join([heading, *([note(dropped)] if dropped else []), *chosen])
    return text[:limit]
