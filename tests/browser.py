"""Open a page in headless Chromium (Debian's, driven by Playwright) and report what a viewer sees."""

import os
import shutil

import pytest

VIEWPORT = {"width": 1280, "height": 800}  # a projector

# the ids the contents bar's links jump to, and those that no element of the page holds
CONTENTS = """() => {
  const bar = document.querySelector("nav.contents");
  if (!bar) return null;
  const targets = Array.from(bar.querySelectorAll("a")).map(a => decodeURIComponent(a.hash.slice(1)));
  return {targets, missing: targets.filter(id => !document.getElementById(id))};
}"""
# where the bar and the element of an id lie in the viewport
WHERE = """id => {
  const bar = document.querySelector("nav.contents").getBoundingClientRect();
  const target = document.getElementById(id);
  return {scroll_y: window.scrollY, bar_top: bar.top, bar_bottom: bar.bottom,
          target_top: target ? target.getBoundingClientRect().top : null};
}"""


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
    number of images, those that did not decode, console errors and page errors, widths, and what
    the contents bar does (``contents``: None where the page has none; else the ids its links
    target, those missing, where it lies scrolled far down, and where it and each link's target lie
    after a click on the link)."""
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
            contents = _contents(page)
        finally:
            browser.close()
    return {"images": len(images), "broken_images": [alt for alt, ok in images if not ok],
            "console_errors": errors, "scroll_width": scroll_width, "viewport_width": VIEWPORT["width"],
            "contents": contents}


def _contents(page):
    contents = page.evaluate(CONTENTS)
    if contents is None:
        return None
    page.evaluate("window.scrollTo(0, 20000)")
    contents["scrolled"] = page.evaluate(WHERE, contents["targets"][0])
    contents["jumps"] = {}
    links = page.locator("nav.contents a")
    for index, target in enumerate(contents["targets"]):
        links.nth(index).click()
        contents["jumps"][target] = page.evaluate(WHERE, target)
    return contents


def contents_problems(contents):
    """What is wrong with a contents bar as ``open_page`` saw it: a link to no section, the bar out
    of view scrolled far down, a section a click did not bring into view or left under the bar."""
    if contents is None:
        return ["the page has no contents bar"]
    problems = [f"no section has the id {target!r}" for target in contents["missing"]]
    scrolled = contents["scrolled"]
    if scrolled["scroll_y"] < 1000 or abs(scrolled["bar_top"]) > 1:
        problems.append(f"scrolled to {scrolled['scroll_y']} px, the bar's top is at {scrolled['bar_top']} px")
    for target, where in contents["jumps"].items():
        if where["target_top"] is None:
            continue  # counted as missing
        if abs(where["bar_top"]) > 1 or not where["bar_bottom"] <= where["target_top"] < VIEWPORT["height"] - 40:
            problems.append(f"after a click on #{target}: bar {where['bar_top']}-{where['bar_bottom']} px, "
                            f"section at {where['target_top']} px of {VIEWPORT['height']}")
    return problems
