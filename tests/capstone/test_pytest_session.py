"""The guarantees inside pytest: after a failing scenario the environment is still torn down; a
leak fails the run (non-zero exit, an error entry, the leaks listed); SIGTERM during set-up is a
clean interrupt that tears down. Runs pytest as a subprocess against a standalone localcloud so
what is left can be checked afterwards."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capstone import leaks
from capstone.target import Target
from tests.capstone.standalone import cli_env, standalone_cloud  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]

SCENARIOS = '''
def test_a_failing_scenario(capstone_env):
    assert capstone_env.served_version() == "v2"
    assert False, "this scenario fails on purpose"

def test_a_scenario_that_leaks(capstone_env):
    capstone_env.target.client("s3").create_bucket(Bucket=capstone_env.prefix + "-planted-leak")
'''

PLUGINS = ["-p", "fixtures.options", "-p", "fixtures.cloud", "-p", "fixtures.lifecycle", "-p", "fixtures.environment"]


def _pytest(tmp_path: Path, url: str, prefix: str, reports: Path, body: str = SCENARIOS) -> subprocess.Popen:
    (tmp_path / "test_session.py").write_text(body)
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout_method = signal\n")
    args = [sys.executable, "-m", "pytest", *PLUGINS, "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
            "-p", "no:cacheprovider", "-q", "-s", f"--junitxml={tmp_path / 'junit.xml'}",
            "--endpoint-url", url, "--prefix", prefix, str(tmp_path / "test_session.py")]
    return subprocess.Popen(args, cwd=ROOT, env=cli_env(reports), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_failing_scenario_still_tears_down_and_a_leak_fails_the_run(standalone_cloud, tmp_path):
    reports = tmp_path / "reports"
    proc = _pytest(tmp_path, standalone_cloud, "sessleak", reports)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 1, out[-4000:]
    assert "1 failed, 1 passed, 1 error" in out, out[-4000:]
    assert "capstone leak check" in out and "s3:bucket sessleak-planted-leak" in out
    junit = (tmp_path / "junit.xml").read_text()
    assert "sessleak-planted-leak" in junit  # the failing entry in the results names the leak
    ledger = json.loads(next(reports.glob("*/ledger.json")).read_text())
    assert ledger["resources"] and all(r["deleted_at"] for r in ledger["resources"])
    report = leaks.find(Target("local", "us-east-1", standalone_cloud), "sessleak")
    assert [f.name for f in report.leaks] == ["sessleak-planted-leak"]
    Target("local", "us-east-1", standalone_cloud).client("s3").delete_bucket(Bucket="sessleak-planted-leak")


def test_sigterm_during_setup_is_a_clean_interrupt(standalone_cloud, tmp_path):
    reports = tmp_path / "reports"
    proc = _pytest(tmp_path, standalone_cloud, "sessterm", reports, body="def test_x(capstone_env):\n    pass\n")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        paths = list(reports.glob("*/ledger.json"))
        if paths and len(json.loads(paths[0].read_text() or "{}").get("resources", [])) >= 10:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=180)
    assert "SIGTERM received" in out and "teardown:" in out, out[-4000:]
    assert proc.returncode != 0
    assert leaks.find(Target("local", "us-east-1", standalone_cloud), "sessterm").ok


def test_pytest_timeout_during_setup_still_tears_down(standalone_cloud, tmp_path):
    reports = tmp_path / "reports"
    leaks.find(Target("local", "us-east-1", standalone_cloud), "warm-up")  # a cold moto would eat the timeout
    body = "import pytest\n\n@pytest.mark.timeout(6)\ndef test_x(capstone_env):\n    pass\n"
    proc = _pytest(tmp_path, standalone_cloud, "sesstime", reports, body=body)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 1 and "Timeout" in out, out[-4000:]
    created = [r for p in reports.glob("*/ledger.json") for r in json.loads(p.read_text())["resources"]]
    if created:  # the timeout landed after the first create (it normally does): teardown ran
        assert "teardown:" in out and all(r["deleted_at"] for r in created), out[-4000:]
    report = leaks.find(Target("local", "us-east-1", standalone_cloud), "sesstime")
    assert report.ok, out[-6000:]
