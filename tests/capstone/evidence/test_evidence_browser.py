"""The audit page as a browser shows it: headless Chromium, no network, a screenshot to look at."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

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
    pytest.skip("no headless Chromium on PATH (Debian: apt-get install -y chromium); "
                "the audit page is still checked as text by test_evidence_audit.py")


def headless(browser: str, *args: str) -> subprocess.CompletedProcess:
    # --no-sandbox: CI containers run as root; no proxy so nothing can be fetched from anywhere
    return subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-proxy-server", "--proxy-server=127.0.0.1:9", "--disable-background-networking",
                           *args], capture_output=True, text=True, timeout=90)


@pytest.mark.integration
def test_audit_page_renders_in_headless_chromium(recorded_run, tmp_path):
    browser = chromium()
    run_dir, evidence = recorded_run
    scrubber = Scrubber()
    scrubber.register(SECRET)
    finish.finish(run_dir, evidence, scrubber)
    url = (run_dir / "audit.html").as_uri()

    dom = headless(browser, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the timeline drew a bar per scenario, stage run and deployment (plus traffic spans)
    assert len(re.findall(r"<rect ", dom.stdout)) >= 3 + 8 + 3
    assert "Conformance audit: FAIL" in dom.stdout and SECRET not in dom.stdout

    shot = tmp_path / "audit.png"
    done = headless(browser, "--window-size=1280,2400", f"--screenshot={shot}", url)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 30_000
    keep = os.environ.get("CAPSTONE_SCREENSHOT_DIR")
    if keep:  # to look at it: CAPSTONE_SCREENSHOT_DIR=/tmp pytest -k chromium
        shutil.copy(shot, keep)
