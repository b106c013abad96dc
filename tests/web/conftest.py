"""A real browser (Debian's chromium through Playwright) on the sandbox's web page."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.demo.web.run import WebSandbox

CHROMIUM = os.environ.get("SMOKEJUMPER_CHROMIUM", "/usr/bin/chromium")
# CI sets this: there a missing browser is a failure, not a skip.
REQUIRE_BROWSER = os.environ.get("SMOKEJUMPER_REQUIRE_BROWSER") == "1"


def _why_no_browser() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.lock)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no chromium at {CHROMIUM} (apt-get install chromium, or set SMOKEJUMPER_CHROMIUM)"
    return None


@pytest.fixture
async def sandbox() -> AsyncIterator[WebSandbox]:
    running = WebSandbox(port=0)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def page(sandbox: WebSandbox) -> AsyncIterator[Any]:
    why = _why_no_browser()
    if why is not None:
        if REQUIRE_BROWSER:
            pytest.fail(f"the browser tests must run here: {why}")
        pytest.skip(why)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        opened = await context.new_page()
        await opened.goto(sandbox.url)
        yield opened
        await browser.close()
