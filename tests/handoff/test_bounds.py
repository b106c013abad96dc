"""Fitting lines into a size: never over it, and always saying what was left out."""

from __future__ import annotations

import pytest

from bot.handoff.bounds import escaped, fit_lines, fit_newest


def note(n: int) -> str:
    return f"({n} earlier)"


@pytest.mark.parametrize("limit", [10, 25, 40, 61, 100, 1000])
def test_fit_lines_keeps_whole_lines_and_counts_the_rest(limit: int) -> None:
    lines = [f"line {n:02d}" for n in range(10)]
    text, left = fit_lines("Head", lines, limit)
    assert len(text) <= limit
    shown = [line for line in text.splitlines() if line.startswith("line ")]
    assert shown == lines[: len(shown)]
    assert left == len(lines) - len(shown)
    # Below the size of heading and marker, only the heading can be given.
    if left and limit >= len("Head\n…and 10 more"):
        assert text.endswith(f"…and {left} more")


def test_fit_lines_with_room_for_all() -> None:
    assert fit_lines("Head", ["a", "b"], 100) == ("Head\na\nb", 0)


@pytest.mark.parametrize("limit", [10, 30, 47, 80, 1000])
def test_fit_newest_keeps_the_newest_lines(limit: int) -> None:
    lines = [f"line {n:02d}" for n in range(10)]
    text = fit_newest("Head", lines, limit, note, omitted=3)
    assert len(text) <= limit
    shown = [line for line in text.splitlines() if line.startswith("line ")]
    assert shown == lines[len(lines) - len(shown) :]
    if limit >= 30:
        assert f"({3 + len(lines) - len(shown)} earlier)" in text.splitlines()


def test_fit_newest_without_omissions_has_no_note() -> None:
    assert fit_newest("Head", ["a", "b"], 100, note) == "Head\na\nb"


@pytest.mark.parametrize("limit", range(1, 30))
def test_escaped_never_exceeds_the_limit_or_splits_an_entity(limit: int) -> None:
    text = escaped("a<b>&c" * 4, limit)
    assert len(text) <= limit
    body = text.removesuffix("…")
    assert body == "a&lt;b&gt;&amp;c" * 4 or ("a&lt;b&gt;&amp;c" * 4).startswith(body)
    assert not body.endswith(("&", "&l", "&lt", "&a", "&am", "&amp", "&g", "&gt"))
