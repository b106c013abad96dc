"""TableClient: error classification, fresh parameters per call, and the pysnow quirk behind it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pysnow
import pytest
import requests

from integrations.servicenow.client import ServiceNowError, TableClient, classify
from integrations.servicenow.emulator import ServiceNowServer
from tests.servicenow.conftest import make_config

NOW = datetime(2015, 10, 21, 7, 20, tzinfo=UTC)


def http_error(status: int, headers: dict[str, str] | None = None) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    response._content = b'{"error":{"message":"m","detail":"d"},"status":"failure"}'
    return requests.HTTPError(f"{status} error", response=response)


@pytest.mark.parametrize(
    ("exc", "code", "retryable"),
    [
        (http_error(400), "bad_request", False),  # our request is wrong; resending won't help
        (http_error(401), "unauthorized", False),  # credentials need fixing
        (http_error(403), "forbidden", False),  # ACL or data policy
        (http_error(404), "not_found", False),
        # One table for every integration: a conflict means the record moved; retry.
        (http_error(409), "conflict", True),
        (http_error(408), "timeout", True),
        (http_error(429), "rate_limited", True),
        (http_error(500), "server_error", True),
        (http_error(502), "server_error", True),
        (http_error(503), "server_error", True),
        (http_error(504), "server_error", True),
        (requests.ConnectionError("refused"), "connection_error", True),
        (requests.ReadTimeout("slow"), "timeout", True),
        (requests.ConnectTimeout("slow"), "timeout", True),  # a timeout, not a refusal
        (TimeoutError(), "timeout", True),  # asyncio.wait_for gave up
        (requests.exceptions.ChunkedEncodingError("cut"), "transport_error", True),
        (requests.exceptions.InvalidURL("bad"), "invalid_request", False),
        (pysnow.exceptions.MissingResult("no result"), "bad_response", True),
        (ValueError("not json"), "bad_response", True),
        (RuntimeError("bug"), "unexpected_error", False),
    ],
)
def test_classification(exc: Exception, code: str, retryable: bool) -> None:
    error = classify(exc, "query incident", NOW)
    assert (error.code, error.retryable) == (code, retryable)
    assert error.message.startswith("ServiceNow query incident")


def test_retry_after_is_read_only_from_retryable_responses() -> None:
    assert classify(http_error(429, {"Retry-After": "12"}), "x", NOW).retry_after == 12.0
    assert classify(http_error(503, {"Retry-After": "bogus"}), "x", NOW).retry_after is None
    assert classify(http_error(400, {"Retry-After": "12"}), "x", NOW).retry_after is None
    # A date is read against the `now` given: eight minutes ahead of it, or long gone.
    date = http_error(429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert classify(date, "x", NOW).retry_after == 480.0
    assert classify(date, "x", datetime(2026, 1, 1, tzinfo=UTC)).retry_after == 0.0


@pytest.fixture
async def client(server: ServiceNowServer) -> AsyncIterator[TableClient]:
    table = TableClient(make_config(server))
    yield table
    await table.close()


async def test_each_call_starts_from_clean_parameters(
    client: TableClient, server: ServiceNowServer
) -> None:
    record = server.add_record("incident", number="INC1", correlation_id="c1", state="2")
    rows = await client.query("incident", "correlation_id=c1", fields=["sys_id"], limit=5)
    assert rows == [{"sys_id": record["sys_id"]}]
    fetched = await client.get("incident", record["sys_id"], fields=["state"])
    assert fetched == {"state": "2"}
    await client.patch("incident", record["sys_id"], {"short_description": "patched"})
    again = await client.query("incident", "", fields=["number"], limit=1)
    assert again == [{"number": "INC1"}]

    query, get, patch, unfiltered = server.requests
    assert query.query["sysparm_query"] == "correlation_id=c1"
    assert query.query["sysparm_limit"] == "5"
    assert get.query.get("sysparm_query", "") == ""
    assert get.query["sysparm_fields"] == "state"
    assert patch.method == "PATCH"
    assert patch.query.get("sysparm_query", "") == ""
    assert patch.query.get("sysparm_fields", "") == ""
    assert patch.body == {"short_description": "patched"}
    assert unfiltered.query["sysparm_query"] == ""
    assert unfiltered.query["sysparm_limit"] == "1"


async def test_a_shared_pysnow_resource_would_leak_its_query(server: ServiceNowServer) -> None:
    # Why TableClient makes a resource per call: the library keeps sysparm_query on it.
    def reuse_one_resource() -> None:
        snow = pysnow.Client(
            host=server.url.removeprefix("http://"),
            user=server.user,
            password=server.password,
            use_ssl=False,
        )
        resource = snow.resource(api_path="/table/incident")
        resource.get(query="number=NOPE").all()
        resource.request("POST", data=json.dumps({"short_description": "x"})).one()
        snow.close()

    await asyncio.to_thread(reuse_one_resource)
    lookup, create = server.requests
    assert lookup.query["sysparm_query"] == "number=NOPE"
    assert create.method == "POST"
    assert create.query["sysparm_query"] == "number=NOPE"


async def test_a_404_for_a_missing_record_is_an_error_not_an_empty_result(
    client: TableClient,
) -> None:
    with pytest.raises(ServiceNowError) as caught:
        await client.get("incident", "0" * 32, fields=["sys_id"])
    assert (caught.value.code, caught.value.status) == ("not_found", 404)


async def test_an_unknown_table_is_a_permanent_error(client: TableClient) -> None:
    with pytest.raises(ServiceNowError) as caught:
        await client.query("u_no_such_table", "", fields=["sys_id"], limit=1)
    assert (caught.value.code, caught.value.retryable) == ("bad_request", False)


async def test_malformed_names_never_reach_the_wire(
    client: TableClient, server: ServiceNowServer
) -> None:
    with pytest.raises(ServiceNowError) as table:
        await client.query("incident/../sys_user", "", fields=["sys_id"], limit=1)
    with pytest.raises(ServiceNowError) as sys_id:
        await client.patch("incident", "not-a-sys-id", {"state": "2"})
    assert (table.value.code, sys_id.value.code) == ("invalid_table", "invalid_sys_id")
    assert server.requests == []
