"""PagerDuty pager settings: https only, a sender for notes, sane bounds."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from integrations.pagerduty.pager_config import (
    DEFAULT_API_URL,
    DEFAULT_EVENTS_URL,
    PagerDutyPagerConfig,
)
from tests.pagerduty.conftest import ROUTING_KEY


def test_defaults_point_at_pagerduty_with_a_bounded_request() -> None:
    config = PagerDutyPagerConfig(routing_key=ROUTING_KEY)

    assert (config.events_url, config.api_url) == (DEFAULT_EVENTS_URL, DEFAULT_API_URL)
    assert config.timeout == 10.0
    assert config.notes_enabled is False


def test_urls_lose_their_trailing_slash() -> None:
    config = PagerDutyPagerConfig(
        routing_key=ROUTING_KEY, events_url="https://events.eu.pagerduty.com/"
    )

    assert config.events_url == "https://events.eu.pagerduty.com"


@pytest.mark.parametrize(
    "settings",
    [
        {"events_url": "http://127.0.0.1:9000"},
        {"api_url": "ftp://api.pagerduty.com"},
        {"routing_key": "  "},
        {"api_token": "token"},  # no from_email
        {"timeout": 0},
        {"timeout": 600},
        {"ca_bundle": "/nonexistent/ca.pem"},
    ],
    ids=[
        "plain-http-events",
        "ftp-api",
        "blank-routing-key",
        "token-without-sender",
        "zero-timeout",
        "unbounded-timeout",
        "missing-ca-file",
    ],
)
def test_invalid_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PagerDutyPagerConfig(**{"routing_key": ROUTING_KEY, **settings})


def test_ca_bundle_must_be_an_existing_file(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")

    assert PagerDutyPagerConfig(routing_key=ROUTING_KEY, ca_bundle=ca).ca_bundle == ca
