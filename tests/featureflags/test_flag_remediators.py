"""Unleash and LaunchDarkly behave the same behind the Remediator capability."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.ports.adapters import AdapterError, NotReady
from bot.ports.remediation import ExecutionResult, VerifyStatus
from tests.featureflags.conftest import Vendor, flag_request


async def test_disable_turns_the_flag_off_in_that_environment_only(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True, **{vendor.staging: True})

    result = await vendor.remediator().execute(flag_request("disable_feature_flag"))

    assert vendor.state("new-checkout", "production") is False
    assert vendor.state("new-checkout", vendor.staging) is True
    assert result.summary == "turned flag new-checkout off in production (was on)"
    assert dict(result.details) == {
        "flag": "new-checkout",
        "environment": "production",
        "previous": "on",
        "target": "off",
        "changed": "true",
    }
    assert [w.method for w in vendor.server.writes] == [vendor.write_method]


async def test_enable_turns_the_flag_on(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout")

    result = await vendor.remediator().execute(flag_request("enable_feature_flag"))

    assert vendor.state("new-checkout", "production") is True
    assert result.details["previous"] == "off"
    assert result.details["changed"] == "true"


async def test_an_already_off_flag_is_a_successful_no_op_that_says_so(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=False)

    result = await vendor.remediator().execute(flag_request("disable_feature_flag"))

    assert result.summary == "flag new-checkout was already off in production; no change"
    assert result.details["changed"] == "false"
    assert vendor.server.writes == []
    assert vendor.state("new-checkout", "production") is False


async def test_describe_says_what_would_change_and_writes_nothing(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    remediator = vendor.remediator()

    plan = await remediator.describe(flag_request("disable_feature_flag"))

    assert plan.adapter == vendor.name
    assert plan.summary == "turn flag new-checkout off in production (now on)"
    assert dict(plan.details) == {
        "flag": "new-checkout",
        "environment": "production",
        "current": "on",
        "target": "off",
    }
    assert vendor.server.writes == []
    assert vendor.state("new-checkout", "production") is True
    assert len(vendor.server.requests) == 1


async def test_describe_of_an_already_satisfied_action_says_nothing_changes(
    vendor: Vendor,
) -> None:
    vendor.server.add_flag("new-checkout", production=True)

    plan = await vendor.remediator().describe(flag_request("enable_feature_flag"))

    assert plan.summary == "flag new-checkout is already on in production; nothing to change"
    assert vendor.server.writes == []


async def test_verify_reads_the_state_back(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    remediator = vendor.remediator()
    request = flag_request("disable_feature_flag")
    result = await remediator.execute(request)

    healthy = await remediator.verify(request, result)
    assert healthy.status is VerifyStatus.HEALTHY
    assert healthy.summary == "flag new-checkout is off in production"

    # Someone turns it back on behind our back.
    vendor.server.flags["new-checkout"]["production"] = True
    failed = await remediator.verify(request, result)
    assert failed.status is VerifyStatus.FAILED
    assert failed.summary == "flag new-checkout is on in production, expected off"


async def test_rollback_restores_the_state_before_execute(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    remediator = vendor.remediator()
    request = flag_request("disable_feature_flag")
    result = await remediator.execute(request)
    assert vendor.state("new-checkout", "production") is False

    undone = await remediator.rollback(request, result)

    assert vendor.state("new-checkout", "production") is True
    assert undone.details["target"] == "on"
    assert undone.details["changed"] == "true"
    assert len(vendor.server.writes) == 2


async def test_rollback_of_a_no_op_changes_nothing(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=False)
    remediator = vendor.remediator()
    request = flag_request("disable_feature_flag")
    result = await remediator.execute(request)
    # Someone else turns it on later; undoing our no-op must not turn it off again.
    vendor.server.flags["new-checkout"]["production"] = True

    undone = await remediator.rollback(request, result)

    assert undone.summary == "nothing to undo: flag new-checkout was not changed in production"
    assert vendor.server.writes == []
    assert vendor.state("new-checkout", "production") is True


async def test_rollback_without_a_recorded_earlier_state_is_not_reversible(
    vendor: Vendor,
) -> None:
    vendor.server.add_flag("new-checkout", production=False)

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().rollback(
            flag_request("disable_feature_flag"), ExecutionResult("?", {"changed": "true"})
        )

    assert caught.value.code == "not_reversible"
    assert caught.value.retryable is False
    assert vendor.server.writes == []


async def test_our_environment_maps_to_the_vendor_environment(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True, **{vendor.staging: True})

    result = await vendor.remediator().execute(
        flag_request("disable_feature_flag", environment="staging")
    )

    assert result.details["environment"] == vendor.staging
    assert vendor.state("new-checkout", vendor.staging) is False
    assert vendor.state("new-checkout", "production") is True


async def test_probe_passes_with_a_good_token(vendor: Vendor) -> None:
    await vendor.remediator().probe()
    assert [r.method for r in vendor.server.requests] == ["GET"]


async def test_probe_with_a_refused_token_is_not_ready(vendor: Vendor) -> None:
    with pytest.raises(NotReady) as caught:
        await vendor.remediator(token="not-the-token").probe()

    assert caught.value.adapter == vendor.name
    assert "HTTP 401" in caught.value.reason
    assert "token" in caught.value.reason


async def test_probe_of_an_unreachable_server_is_not_ready(vendor: Vendor) -> None:
    dead_url = vendor.server.base_url
    await vendor.server.stop()

    with pytest.raises(NotReady) as caught:
        await vendor.remediator(base_url=dead_url).probe()

    assert "cannot reach 127.0.0.1" in caught.value.reason


async def test_a_server_that_never_answers_is_a_retryable_timeout(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    vendor.server.stall()

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator(timeout=0.2).execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("timeout", True)
    assert caught.value.message.endswith("read flag new-checkout: no answer in time")


async def test_a_refused_token_on_execute_is_not_retryable(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator(token="stale-token").execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("unauthorized", False)
    assert vendor.state("new-checkout", "production") is True


async def test_a_rate_limited_write_is_retryable_and_changes_nothing(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    vendor.server.inject(429, method=vendor.write_method)

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().execute(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("rate_limited", True)
    assert "HTTP 429" in caught.value.message
    assert vendor.state("new-checkout", "production") is True


async def test_a_server_error_is_retryable(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)
    vendor.server.inject(500, method="GET")

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().describe(flag_request())

    assert (caught.value.code, caught.value.retryable) == ("server_error", True)


async def test_an_unknown_flag_is_not_retryable(vendor: Vendor) -> None:
    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().execute(flag_request(flag="no-such-flag"))

    assert (caught.value.code, caught.value.retryable) == ("not_found", False)
    assert "no-such-flag" in caught.value.message


async def test_an_environment_the_flag_lacks_is_not_retryable(vendor: Vendor) -> None:
    vendor.server.add_flag("new-checkout", production=True)

    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().execute(flag_request(environment="qa"))

    assert (caught.value.code, caught.value.retryable) == ("unknown_environment", False)
    assert vendor.server.writes == []


@pytest.mark.parametrize("flag", ["team/new-checkout", "../admin", "a b", "x?y=1"])
async def test_a_flag_name_that_would_change_the_url_is_refused_before_any_call(
    vendor: Vendor, flag: str
) -> None:
    with pytest.raises(AdapterError) as caught:
        await vendor.remediator().execute(flag_request(flag=flag))

    assert (caught.value.code, caught.value.retryable) == ("invalid_name", False)
    assert vendor.server.requests == []


async def test_actions_it_does_not_run_and_missing_params_are_refused(vendor: Vendor) -> None:
    remediator = vendor.remediator()
    assert remediator.actions == frozenset({"disable_feature_flag", "enable_feature_flag"})

    with pytest.raises(AdapterError) as unsupported:
        await remediator.describe(flag_request("restart_deployment"))
    with pytest.raises(AdapterError) as missing:
        await remediator.execute(replace(flag_request(), params={}))

    assert (unsupported.value.code, unsupported.value.retryable) == ("unsupported_action", False)
    assert (missing.value.code, missing.value.retryable) == ("missing_param", False)
    assert vendor.server.requests == []
