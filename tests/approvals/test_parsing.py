"""Button values and freeze durations: what is accepted, and what the refusal says."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.approvals.button import button_value, parse_button_value
from bot.autonomy.duration import DurationError, describe_duration, parse_duration

HASH = "ab" * 32


def test_a_button_value_round_trips() -> None:
    parsed = parse_button_value(button_value(42, HASH))
    assert parsed is not None and parsed.action_id == 42 and parsed.params_hash == HASH


@pytest.mark.parametrize(
    "value",
    ["", "42", f"x:{HASH}", f"42:{HASH[:-1]}", f"42:{HASH.upper()}", f"-1:{HASH}", f"42:{HASH}:1"],
)
def test_anything_else_is_not_a_button_value(value: str) -> None:
    assert parse_button_value(value) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
        ("1h30m", timedelta(minutes=90)),
        (" 2H ", timedelta(hours=2)),
        ("30d", timedelta(days=30)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("90", "has no unit: write 90m"),
        ("5x", "is not a duration. Write it like 30m, 2h or 1d"),
        ("soon", "is not a duration"),
        ("0m", "at least one minute"),
        ("31d", "at most 30 days"),
        ("", "Give a duration"),
    ],
)
def test_bad_durations_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(DurationError) as refused:
        parse_duration(text)
    assert says in str(refused.value)


def test_durations_read_back_shortly() -> None:
    assert describe_duration(timedelta(days=1, hours=2, minutes=30)) == "1d 2h 30m"
    assert describe_duration(timedelta(minutes=45)) == "45m"
