"""POST /changes: signed like the generic webhook, recorded once, refused cleanly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.changes.models import MAX_CHANGES_PER_REQUEST
from bot.domain.events import EventKind
from bot.store.models import ChangeRow
from tests.support.harness import GENERIC_SECRET, Harness, post_signed, sign_body


def change_report(*items: dict[str, Any], timestamp: datetime | None = None) -> dict[str, Any]:
    return {
        "timestamp": (timestamp or datetime.now(UTC)).isoformat(),
        "changes": list(items),
    }


def deploy_change(change_id: str = "deploy-481", **overrides: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": change_id,
        "source": "argocd",
        "service": "checkout",
        "environment": "production",
        "kind": "deploy",
        "subject": "v2.14.0",
        "description": "checkout v2.13.2 -> v2.14.0",
        "url": "https://argocd.example.com/applications/checkout?rev=481",
        "actor": "ci-bot",
        "at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    item.update(overrides)
    return item


# A resend is dropped by an ON CONFLICT insert: both backends.
@pytest.mark.both_databases
async def test_signed_changes_are_recorded_once(harness: Harness) -> None:
    body = change_report(deploy_change(), deploy_change("flag-9", kind="feature_flag"))
    first = await post_signed(harness, "/changes", body)
    assert first.status == 202
    assert (first.body["recorded"], first.body["duplicates"]) == (2, 0)

    # A change system that resends (with a fresh timestamp) records nothing new.
    again = await post_signed(
        harness, "/changes", {**body, "timestamp": datetime.now(UTC).isoformat()}
    )
    assert again.status == 202
    assert (again.body["recorded"], again.body["duplicates"]) == (0, 2)

    assert await harness.count(ChangeRow) == 2
    events = [e for e in await harness.events() if e.kind == EventKind.CHANGE_RECEIVED]
    assert len(events) == 2
    assert {e.data["pointer"] for e in events} == {
        "https://argocd.example.com/applications/checkout?rev=481"
    }


async def test_a_change_without_url_gets_a_stable_pointer(harness: Harness) -> None:
    item = deploy_change()
    del item["url"]
    del item["environment"]
    reply = await post_signed(harness, "/changes", change_report(item))
    assert reply.status == 202
    [event] = [e for e in await harness.events() if e.kind == EventKind.CHANGE_RECEIVED]
    assert event.data["pointer"] == "change:argocd/deploy-481"
    assert event.data["environment"] == "production"  # the configured default


async def test_wrong_or_missing_signature_is_refused_and_records_nothing(harness: Harness) -> None:
    raw = json.dumps(change_report(deploy_change())).encode()
    missing = await harness.post("/changes", raw)
    assert missing.status == 401 and missing.body["error"] == "missing_signature"
    wrong = await harness.post(
        "/changes", raw, headers={"X-Smokejumper-Signature": f"sha256={sign_body('nope', raw)}"}
    )
    assert wrong.status == 401 and wrong.body["error"] == "invalid_signature"
    assert await harness.count(ChangeRow) == 0


async def test_stale_timestamp_is_refused(harness: Harness) -> None:
    old = datetime.now(UTC) - timedelta(hours=1)
    reply = await post_signed(harness, "/changes", change_report(deploy_change(), timestamp=old))
    assert reply.status == 401 and reply.body["error"] == "stale_timestamp"
    assert await harness.count(ChangeRow) == 0


async def test_bad_bodies_get_a_4xx_naming_the_problem(harness: Harness) -> None:
    bad_kind = await post_signed(harness, "/changes", change_report(deploy_change(kind="vibes")))
    assert bad_kind.status == 422
    assert "changes.0.kind" in bad_kind.body["message"]

    empty = await post_signed(harness, "/changes", change_report())
    assert empty.status == 422 and "changes" in empty.body["message"]

    too_many = change_report(*[deploy_change(f"d-{n}") for n in range(MAX_CHANGES_PER_REQUEST + 1)])
    assert (await post_signed(harness, "/changes", too_many)).status == 422

    raw = b"{not json"
    signature = f"sha256={sign_body(GENERIC_SECRET, raw)}"
    not_json = await harness.post("/changes", raw, headers={"X-Smokejumper-Signature": signature})
    assert not_json.status == 400 and not_json.body["error"] == "invalid_json"
    assert await harness.count(ChangeRow) == 0


async def test_changes_are_off_without_the_shared_secret(database: Any, emulator: Any) -> None:
    from tests.support.harness import start_harness, stop_harness

    h = await start_harness(database, emulator, generic_webhook_secret=None)
    try:
        reply = await h.post("/changes", change_report(deploy_change()))
        assert reply.status == 503
        assert "SMOKEJUMPER_GENERIC_WEBHOOK_SECRET" in reply.body["message"]
    finally:
        await stop_harness(h)
