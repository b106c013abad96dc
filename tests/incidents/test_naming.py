"""Channel names stay within Slack's rules whatever the service is called."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.incidents.naming import channel_name

WHEN = datetime(2026, 11, 21, tzinfo=UTC)
TEMPLATE = "inc-{date}-{service}-{number}"


@pytest.mark.parametrize(
    ("service", "number", "suffix", "expected"),
    [
        ("db", 7, 0, "inc-20261121-db-7"),
        ("Checkout API", 12, 0, "inc-20261121-checkout-api-12"),
        ("pay.ments/EU#1", 3, 0, "inc-20261121-pay-ments-eu-1-3"),
        ("db", 7, 2, "inc-20261121-db-7-2"),
        ("💥", 1, 0, "inc-20261121-incident-1"),
    ],
)
def test_names(service: str, number: int, suffix: int, expected: str) -> None:
    assert channel_name(TEMPLATE, service=service, number=number, when=WHEN, suffix=suffix) == (
        expected
    )


def test_long_service_names_are_cut_but_keep_the_number() -> None:
    name = channel_name(TEMPLATE, service="x" * 200, number=123456, when=WHEN, suffix=3)
    assert len(name) <= 80
    assert name.endswith("-123456-3")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
