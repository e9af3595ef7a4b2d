"""A standalone `capstone cloud` subprocess for CLI tests (resources must outlive the CLI
process under test, as they do with a real AWS)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

CAPSTONE = [sys.executable, "-m", "capstone.cli"]


def cli_env(reports: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CAPSTONE_", "PYTEST_"))}
    env.update({"CAPSTONE_REPORTS_DIR": str(reports), "PYTHONUNBUFFERED": "1", **extra})
    return env


@pytest.fixture(scope="module")
def standalone_cloud(tmp_path_factory):
    log = tmp_path_factory.mktemp("cloud") / "cloud.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([*CAPSTONE, "cloud", "--port", "0", "--time-scale", "0.02"], stdout=out,
                                stderr=subprocess.STDOUT, env=cli_env(log.parent))
    deadline = time.monotonic() + 60
    url = None
    while time.monotonic() < deadline and url is None:
        match = re.search(r"localcloud ready at (http://127\.0\.0\.1:\d+)", log.read_text())
        url = match.group(1) if match else None
        if proc.poll() is not None:
            pytest.fail(f"capstone cloud exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    if url is None:
        proc.kill()
        pytest.fail("capstone cloud did not start in 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def run(args: list[str], env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CAPSTONE, *args], env=env, capture_output=True, text=True, timeout=timeout)
