"""Open a page in headless Chromium (Debian's, driven by Playwright) and report what a viewer sees."""

import os
import shutil

import pytest

VIEWPORT = {"width": 1280, "height": 800}  # a projector


def chromium():
    """The Chromium executable: skipped where there is none, except in CI (CISFLOW_CI=1), where
    tools/ensure-chromium.sh has installed it and its absence is a failure."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CISFLOW_CI"):
            pytest.fail("chromium is not installed: run tools/ensure-chromium.sh")
        pytest.skip("no chromium on this machine (tools/ensure-chromium.sh installs Debian's)")
    return path


def open_page(html, screenshot):
    """Load ``html`` at ``VIEWPORT``, save a full-page PNG to ``screenshot``, and return the
    number of images, those that did not decode, console errors and page errors, and widths."""
    from playwright.sync_api import sync_playwright

    errors = []
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(html.resolve().as_uri(), wait_until="load")
            images = page.evaluate("Array.from(document.images).map(i => [i.alt, i.complete && i.naturalWidth > 0])")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return {"images": len(images), "broken_images": [alt for alt, ok in images if not ok],
            "console_errors": errors, "scroll_width": scroll_width, "viewport_width": VIEWPORT["width"]}
