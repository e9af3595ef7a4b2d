"""The audit page as a browser shows it: Playwright driving Debian's headless Chromium, no
network, a screenshot to look at.

Playwright cannot download browsers here, so it is pointed at the system's Chromium
(`executable_path`). Without one the test skips, except in CI (`CI` set), where `.ci/run`
installs Debian's chromium and a skip would hide a page nobody rendered."""
from __future__ import annotations

import os
import shutil

import pytest
from evidence_recorded_run import SECRET

from capstone.evidence import finish
from capstone.evidence.scrub import Scrubber

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    reason = "no headless Chromium on PATH (Debian: apt-get install -y chromium)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run installs it, so CI must not skip the audit page's browser test")
    pytest.skip(f"{reason}; the audit page is still checked as text by test_evidence_audit.py")


@pytest.mark.integration
def test_audit_page_renders_in_headless_chromium(recorded_run, tmp_path):
    from playwright.sync_api import sync_playwright

    browser_path = chromium()
    run_dir, evidence = recorded_run
    scrubber = Scrubber()
    scrubber.register(SECRET)
    finish.finish(run_dir, evidence, scrubber)
    url = (run_dir / "audit.html").as_uri()

    with sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root; the proxy points nowhere so nothing is fetched
        browser = playwright.chromium.launch(executable_path=browser_path, args=[
            "--no-sandbox", "--disable-gpu", "--proxy-server=127.0.0.1:9", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(url)
            assert page.title().startswith("Conformance audit")
            assert page.get_by_text("Conformance audit: FAIL").count() >= 1
            # the timeline drew a bar per scenario, stage run and deployment (plus traffic spans)
            assert page.locator("svg rect").count() >= 3 + 8 + 3
            assert SECRET not in page.content()
            # the page is self-contained: nothing but the file itself was requested
            assert [r for r in requests if not r.startswith("file:") and not r.startswith("data:")] == []
            shot = tmp_path / "audit.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000
    keep = os.environ.get("CAPSTONE_SCREENSHOT_DIR")
    if keep:  # to look at it: CAPSTONE_SCREENSHOT_DIR=/tmp pytest -k chromium
        shutil.copy(shot, keep)
