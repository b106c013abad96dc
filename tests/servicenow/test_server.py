"""The local Table API server holds to the real API's rules, checked over raw HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from integrations.servicenow.emulator import ServiceNowServer


@pytest.fixture
async def http(server: ServiceNowServer) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": aiohttp.encode_basic_auth(server.user, server.password)}
    async with aiohttp.ClientSession(base_url=server.url, headers=headers) as session:
        yield session


async def test_wrong_or_missing_credentials_get_401_with_the_error_body(
    server: ServiceNowServer,
) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get("/api/now/table/incident") as reply:
            assert reply.status == 401
            assert "BASIC" in reply.headers["WWW-Authenticate"]
            assert await reply.json() == {
                "error": {
                    "message": "User is not authenticated",
                    "detail": "Required to provide Auth information",
                },
                "status": "failure",
            }
        wrong = {"Authorization": aiohttp.encode_basic_auth(server.user, "not-the-password")}
        async with anonymous.get("/api/now/table/incident", headers=wrong) as reply:
            assert reply.status == 401
    assert [r.authorized for r in server.requests] == [False, False]
    assert server.incidents() == []


async def test_create_generates_sys_id_and_number_and_ignores_unknown_fields(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    body = {"short_description": "disk full", "urgency": "1", "impact": "3", "u_nonsense": "x"}
    async with http.post("/api/now/table/incident", json=body) as reply:
        assert reply.status == 201
        created = (await reply.json())["result"]
        assert reply.headers["Location"].endswith(f"/api/now/table/incident/{created['sys_id']}")
    assert re.fullmatch(r"[0-9a-f]{32}", created["sys_id"])
    assert created["number"] == "INC0010001"
    assert created["priority"] == "3"  # computed from impact x urgency, not sent
    assert created["state"] == "1"
    assert "u_nonsense" not in created
    assert server.requests[-1].ignored_fields == ["u_nonsense"]
    async with http.post("/api/now/table/incident", json={"short_description": "2"}) as reply:
        assert (await reply.json())["result"]["number"] == "INC0010002"


async def test_query_filters_with_equals_like_and_limit(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    server.add_record("incident", number="INC1", correlation_id="a", short_description="DB down")
    server.add_record("incident", number="INC2", correlation_id="b", short_description="db slow")
    server.add_record("incident", number="INC3", correlation_id="b", short_description="web")

    async def numbers(**params: str) -> list[str]:
        async with http.get("/api/now/table/incident", params=params) as reply:
            assert reply.status == 200
            return [r["number"] for r in (await reply.json())["result"]]

    assert await numbers(sysparm_query="correlation_id=b") == ["INC2", "INC3"]
    assert await numbers(sysparm_query="correlation_id=b^short_descriptionLIKEDB") == ["INC2"]
    assert await numbers(sysparm_query="short_descriptionLIKEdb^ORDERBYDESCnumber") == [
        "INC2",
        "INC1",
    ]
    assert await numbers(sysparm_query="correlation_id!=b") == ["INC1"]
    assert await numbers(sysparm_query="correlation_id=b", sysparm_limit="1") == ["INC2"]
    assert await numbers(sysparm_query="correlation_id=zzz") == []
    # Like an instance, a term on a field the table lacks is dropped, not an error.
    assert await numbers(sysparm_query="u_missing=1^correlation_id=a") == ["INC1"]
    assert server.requests[-1].ignored_fields == ["u_missing"]


async def test_fields_parameter_and_reference_links(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    group = server.add_record("sys_user_group", name="DBA")
    server.add_record("incident", number="INC1", assignment_group=group["sys_id"])
    params = {"sysparm_fields": "number,assignment_group"}
    async with http.get("/api/now/table/incident", params=params) as reply:
        (row,) = (await reply.json())["result"]
    assert set(row) == {"number", "assignment_group"}
    assert row["assignment_group"]["value"] == group["sys_id"]
    assert row["assignment_group"]["link"].endswith(f"/sys_user_group/{group['sys_id']}")
    params["sysparm_exclude_reference_link"] = "true"
    async with http.get("/api/now/table/incident", params=params) as reply:
        (row,) = (await reply.json())["result"]
    assert row["assignment_group"] == group["sys_id"]


async def test_work_notes_append_journal_entries_readable_through_the_table_api(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    incident = server.add_record("incident", number="INC1")
    path = f"/api/now/table/incident/{incident['sys_id']}"
    for note in ("first", "second"):
        async with http.patch(path, json={"work_notes": note}) as reply:
            assert reply.status == 200
            assert (await reply.json())["result"]["work_notes"] == ""  # journals read empty
    query = f"element_id={incident['sys_id']}^element=work_notes^ORDERBYsys_created_on"
    async with http.get(
        "/api/now/table/sys_journal_field", params={"sysparm_query": query}
    ) as reply:
        values = [r["value"] for r in (await reply.json())["result"]]
    assert values == ["first", "second"]
    assert server.journal(incident["sys_id"]) == ["first", "second"]


async def test_missing_record_is_404_with_the_error_body(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    path = f"/api/now/table/incident/{'0' * 32}"
    for method in ("GET", "PATCH", "PUT"):
        async with http.request(method, path, json={"state": "2"}) as reply:
            assert reply.status == 404
            body = await reply.json()
            assert body["status"] == "failure"
            assert body["error"]["message"] == "No Record found"
    assert [r.method for r in server.requests] == ["GET", "PATCH", "PUT"]


async def test_put_updates_like_patch_and_is_recorded_as_put(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    incident = server.add_record("incident", number="INC1", short_description="old")
    path = f"/api/now/table/incident/{incident['sys_id']}"
    async with http.put(path, json={"short_description": "new"}) as reply:
        assert reply.status == 200
    assert server.incidents()[0]["short_description"] == "new"
    assert server.calls("PUT", "incident")[0].body == {"short_description": "new"}


async def test_resolving_without_close_fields_is_refused(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    incident = server.add_record("incident", number="INC1", state="2")
    path = f"/api/now/table/incident/{incident['sys_id']}"
    async with http.patch(path, json={"state": "6", "close_notes": "done"}) as reply:
        assert reply.status == 403
        assert "mandatory" in (await reply.json())["error"]["detail"]
    assert server.incidents()[0]["state"] == "2"
    body = {"state": "6", "close_notes": "done", "close_code": "Solution provided"}
    async with http.patch(path, json=body) as reply:
        assert reply.status == 200
    resolved = server.incidents()[0]
    assert (resolved["state"], resolved["resolved_by"]) == ("6", server.user)


async def test_bad_requests_are_refused(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    async with http.post(
        "/api/now/table/incident", data="{not json", headers={"Content-Type": "application/json"}
    ) as reply:
        assert reply.status == 400
        assert (await reply.json())["error"]["detail"] == "The payload is not valid JSON."
    async with http.post(
        "/api/now/table/incident", data="a=b", headers={"Content-Type": "text/plain"}
    ) as reply:
        assert reply.status == 415
    async with http.get("/api/now/table/no_such_table") as reply:
        assert reply.status == 400
        assert (await reply.json())["error"]["message"] == "Invalid table no_such_table"
    async with http.post("/api/now/table/sys_journal_field", json={"value": "x"}) as reply:
        assert reply.status == 403
    async with http.get("/api/now/table/incident", params={"sysparm_query": "a=1^ORb=2"}) as reply:
        assert reply.status == 400  # not implemented here, so a test cannot pass by accident
    assert server.incidents() == []
    assert server.tables["sys_journal_field"] == []


async def test_v1_answers_an_empty_query_with_404() -> None:
    async with ServiceNowServer(empty_query_404=True) as v1:
        headers = {"Authorization": aiohttp.encode_basic_auth(v1.user, v1.password)}
        async with (
            aiohttp.ClientSession(base_url=v1.url, headers=headers) as http,
            http.get("/api/now/table/incident") as reply,
        ):
            assert reply.status == 404
            assert (await reply.json())["error"]["message"] == "No Record found"


async def test_faults_fire_once_each_in_order(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    server.fail_next("unavailable", method="GET")
    server.fail_next("rate_limited", retry_after=7)
    async with http.get("/api/now/table/incident") as reply:
        assert reply.status == 503
    async with http.get("/api/now/table/incident") as reply:
        assert reply.status == 429
        assert reply.headers["Retry-After"] == "7"
    async with http.get("/api/now/table/incident") as reply:
        assert reply.status == 200
    assert [r.fault for r in server.requests] == ["unavailable", "rate_limited", None]


async def test_commit_then_drop_stores_the_record_but_sends_no_answer(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    server.fail_next("commit_then_drop", method="POST")
    with pytest.raises(aiohttp.ClientError):
        async with http.post("/api/now/table/incident", json={"short_description": "x"}):
            pass
    assert len(server.incidents()) == 1
    assert server.requests[-1].status is None


async def test_offline_refuses_connections_until_online(
    server: ServiceNowServer, http: aiohttp.ClientSession
) -> None:
    await server.go_offline()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get("/api/now/table/incident"):
            pass
    await server.go_online()
    async with http.get("/api/now/table/incident") as reply:
        assert reply.status == 200
    assert len(server.requests) == 1  # the refused connection never reached the app
