"""What the ServiceNow config accepts, refuses and maps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from integrations.servicenow.config import ServiceNowConfig, UrgencyImpact

SECRET = "s3cr3t-pa55word"


def config(instance_url: str = "https://acme.service-now.com", **extra: object) -> ServiceNowConfig:
    return ServiceNowConfig.model_validate(
        {"instance_url": instance_url, "user": "bot", "password": SECRET, **extra}
    )


@pytest.mark.parametrize(
    ("url", "host", "tls"),
    [
        ("https://acme.service-now.com", "acme.service-now.com", True),
        ("https://acme.service-now.com/", "acme.service-now.com", True),  # trailing slash
        ("http://127.0.0.1:8123", "127.0.0.1:8123", False),  # local test server
        ("http://localhost:8123", "localhost:8123", False),
        ("https://10.0.0.5:8443", "10.0.0.5:8443", True),  # https anywhere
    ],
)
def test_accepted_instance_urls(url: str, host: str, tls: bool) -> None:
    parsed = config(url)
    assert parsed.host == host
    assert parsed.use_tls is tls
    assert not parsed.instance_url.endswith("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.service-now.com",  # plain http to a remote host
        "http://10.0.0.5:8080",
        "ftp://acme.service-now.com",
        "acme.service-now.com",  # no scheme
        "https://bot:pw@acme.service-now.com",  # credentials belong in user/password
        "https://acme.service-now.com/api/now",  # a path instead of the root
        "https://acme.service-now.com?x=1",
    ],
)
def test_refused_instance_urls(url: str) -> None:
    with pytest.raises(ValidationError):
        config(url)


def test_default_priorities_follow_the_classification_table() -> None:
    parsed = config()
    assert parsed.priority_for("sev1") == UrgencyImpact(urgency=1, impact=1)
    assert parsed.priority_for("high") == UrgencyImpact(urgency=1, impact=2)
    assert parsed.priority_for("medium") == UrgencyImpact(urgency=2, impact=2)
    assert parsed.priority_for("low") == UrgencyImpact(urgency=3, impact=3)
    # A class nobody mapped gets the medium mapping rather than failing the ticket.
    assert parsed.priority_for("mystery") == UrgencyImpact(urgency=2, impact=2)


def test_priorities_and_groups_are_configurable() -> None:
    parsed = config(
        priorities={"sev1": {"urgency": 1, "impact": 1}, "low": {"urgency": 3, "impact": 2}},
        unknown_classification="low",
        assignment_groups={"payments": "Payments On-Call"},
        default_assignment_group="Service Desk",
    )
    assert parsed.priority_for("medium") == UrgencyImpact(urgency=3, impact=2)
    assert parsed.group_for("payments") == "Payments On-Call"
    assert parsed.group_for("search") == "Service Desk"


def test_out_of_range_values_are_refused() -> None:
    with pytest.raises(ValidationError):
        config(priorities={"high": {"urgency": 0, "impact": 2}})
    with pytest.raises(ValidationError):
        config(timeout_seconds=0)
    with pytest.raises(ValidationError):
        config(timeout_seconds=600)
    with pytest.raises(ValidationError):
        config(priorities={})
    with pytest.raises(ValidationError):
        config(unknown_setting=True)
    # Retries belong to the ticket jobs now; a leftover setting is refused, not ignored.
    with pytest.raises(ValidationError):
        config(max_attempts=3)


def test_resolve_defaults() -> None:
    parsed = config()
    assert parsed.resolved_state == "6"
    assert parsed.close_code == "Solved (Permanently)"
    assert parsed.timeout_seconds == 15.0


def test_password_is_not_in_repr_or_dump() -> None:
    parsed = config()
    assert SECRET not in repr(parsed)
    assert SECRET not in str(parsed)
    assert SECRET not in parsed.model_dump_json()
    assert parsed.password.get_secret_value() == SECRET
