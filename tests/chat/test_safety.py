"""Replies never broadcast, never name strangers, never link what the record does not hold."""

from __future__ import annotations

import pytest

from bot.chat.safety import link, problems, untrusted
from tests.chat.support import ask, deploy, message_text, open_incident
from tests.support.harness import Harness


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!channel> deploy is bad", "broadcast"),
        ("hey <!here|here>", "broadcast"),
        ("@everyone look", "broadcast"),
        ("ask <!subteam^S123>", "broadcast"),
        ("ask <@U0MALLORY>", "not in the record"),
        ("see <https://evil.example/x|logs>", "not in the record"),
        ("see https://evil.example/x", "not in the record"),
    ],
)
def test_each_rule_refuses(text: str, problem: str) -> None:
    found = problems(text, {"U0ALICE"}, {"https://ok.example/a"})
    assert found and problem in found[0]


def test_what_the_record_holds_passes() -> None:
    text = "ask <@U0ALICE>, see " + link("https://ok.example/a", "deploy")
    assert problems(text, {"U0ALICE"}, {"https://ok.example/a"}) == []


def test_untrusted_text_is_made_inert() -> None:
    text = untrusted("run <!channel> @here <@U0MALLORY> https://evil.example <b>", 200)
    assert problems(text, set(), set()) == []
    assert "&lt;!channel&gt;" in text and "https[:]//evil.example" in text


async def test_a_hostile_change_description_reaches_the_reply_inert(harness: Harness) -> None:
    hostile = deploy(
        description="<!channel> @here ping <@U0MALLORY> and open https://evil.example/steal",
    )
    _, channel = await open_incident(harness, hostile)
    text = message_text(await ask(harness, channel, "what changed?"))
    assert "<!channel>" not in text and "<@U0MALLORY>" not in text
    assert "https://evil.example" not in text
    assert "v2.14.0" in text
