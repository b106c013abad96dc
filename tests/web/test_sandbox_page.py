"""The sandbox page in a real browser: an alert, its cards, a click, a command, bad input."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from playwright.async_api import expect
from sqlmodel import select

from bot.demo.web.run import WebSandbox
from bot.store.models import ActionRow

# The README's picture; refreshed only when asked, so a test run leaves the tree clean.
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "sandbox-web.png"
UPDATE_SCREENSHOT = os.environ.get("SMOKEJUMPER_UPDATE_SCREENSHOT") == "1"
TIMEOUT_MS = 30_000


async def _waiting_action(sandbox: WebSandbox, action: str) -> ActionRow:
    async with sandbox.bot.runtime.sessions() as session:
        rows = (await session.exec(select(ActionRow).where(ActionRow.action == action))).all()
    [row] = rows
    return row


async def _fire_crash_loop(page: Any) -> None:
    await page.select_option("#demo", "KubePodCrashLooping shop/checkout")
    channel = page.locator("#channels li", has_text="inc-")
    await expect(channel).to_have_count(1, timeout=TIMEOUT_MS)
    await channel.click()
    messages = page.locator("#messages")
    await expect(messages).to_contain_text("#1 Pod is crash looping.", timeout=TIMEOUT_MS)
    await expect(messages).to_contain_text("Triage · crash_looping_service", timeout=TIMEOUT_MS)
    await expect(messages).to_contain_text("restart deployment shop/checkout", timeout=TIMEOUT_MS)


async def test_alert_approve_restart_verified_then_freeze(
    page: Any, sandbox: WebSandbox, tmp_path: Path
) -> None:
    await _fire_crash_loop(page)
    messages = page.locator("#messages")
    await expect(page.locator("#channel-topic")).to_contain_text("checkout", timeout=TIMEOUT_MS)
    await expect(messages).to_contain_text("v2.13.2 -> v2.14.0")  # the recent deploy

    restart = await _waiting_action(sandbox, "restart_deployment")
    approve = page.locator(
        f'button[data-action-id="sj_action_approve"][data-value="{restart.id}:{restart.params_hash}"]'
    )
    await expect(approve).to_have_text("Approve")
    await approve.click()
    if await page.locator("#confirm").is_visible():
        await page.click("#confirm-ok")

    # The PATCH reached the cluster, the pods recovered, the card says verified.
    await expect(page.locator("#deployments")).to_contain_text("shop/checkout")
    await expect(page.locator("#deployments .restarted")).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(messages).to_contain_text("✅ verified by @alice", timeout=TIMEOUT_MS)
    await expect(messages).to_contain_text("mitigated", timeout=TIMEOUT_MS)
    patches = [w for w in sandbox.peers.cluster.writes() if w["method"] == "PATCH"]
    assert [w["path"] for w in patches] == ["/apis/apps/v1/namespaces/shop/deployments/checkout"]

    await page.fill("#input", "/incident freeze")
    await page.press("#input", "Enter")
    await expect(messages).to_contain_text("🧊 @alice froze autonomy", timeout=TIMEOUT_MS)
    await page.fill("#input", "/incident ticket")
    await page.press("#input", "Enter")
    await expect(page.locator("#tickets .ticket")).to_contain_text("INC0010001", timeout=TIMEOUT_MS)
    shot = README_SCREENSHOT if UPDATE_SCREENSHOT else tmp_path / "sandbox-web.png"
    await page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000


async def test_bad_input_shows_the_ephemeral_error(page: Any, sandbox: WebSandbox) -> None:
    await _fire_crash_loop(page)
    messages = page.locator("#messages")
    await page.fill("#input", "/incident frobnicate")
    await page.press("#input", "Enter")
    error = page.locator(".msg.ephemeral", has_text="Unknown subcommand")
    await expect(error).to_contain_text("Only visible to you", timeout=TIMEOUT_MS)
    await expect(error).to_contain_text("frobnicate")

    # Half an hour later the proposals have expired; a click on one says so, to the clicker.
    diagnostics = await _waiting_action(sandbox, "collect_diagnostics")
    button = page.locator(
        f'button[data-action-id="sj_action_approve"]'
        f'[data-value="{diagnostics.id}:{diagnostics.params_hash}"]'
    )
    await expect(button).to_have_text("Approve")
    await page.click("#later")
    await button.click()
    if await page.locator("#confirm").is_visible():
        await page.click("#confirm-ok")
    expired = page.locator(".msg.ephemeral", has_text="expired")
    await expect(expired).to_contain_text("ask for a fresh one", timeout=TIMEOUT_MS)
    await expect(messages).not_to_contain_text("You approved `collect_diagnostics`")
