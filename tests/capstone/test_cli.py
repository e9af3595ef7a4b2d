"""`capstone up / down / sweep` as a user runs them, against a standalone localcloud: the
tutorial's names up and down leave nothing; SIGTERM during set-up leaves nothing; after kill -9,
`capstone down --run-id` finishes from the ledger; bad input is refused before anything."""
from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

from capstone import leaks
from capstone.target import Target
from tests.capstone.standalone import CAPSTONE, cli_env, run, standalone_cloud  # noqa: F401 (fixture)

pytestmark = pytest.mark.integration


@pytest.fixture
def reports(tmp_path):
    return tmp_path / "reports"


def _leaks(url: str, prefix: str) -> leaks.LeakReport:
    return leaks.find(Target("local", "us-east-1", url), prefix)


def _ledger(reports, run_id=None) -> dict:
    paths = sorted(reports.glob(f"{run_id or '*'}/ledger.json"))
    assert paths, f"no ledger under {reports}"
    return json.loads(paths[-1].read_text())


def test_up_with_the_tutorial_prefix_then_down_leaves_nothing(standalone_cloud, reports):
    env = cli_env(reports)
    up = run(["up", "--endpoint-url", standalone_cloud, "--prefix", "awscicd"], env)
    assert up.returncode == 0, up.stderr[-3000:]
    described = json.loads(up.stdout)
    assert described["names"]["pipeline"] == "awscicd-cap-pipeline"
    assert described["alb_headers"]["Host"].startswith("awscicd-cap-alb")
    assert "baseline reached" in up.stderr and "serves v2" in up.stderr
    assert f"capstone down --run-id {described['run_id']}" in up.stderr

    again = run(["up", "--endpoint-url", standalone_cloud, "--prefix", "awscicd"], env)
    assert again.returncode != 0 and "already exist" in again.stderr and "capstone sweep --prefix awscicd" in again.stderr

    down = run(["down", "--run-id", described["run_id"]], env)
    assert down.returncode == 0, down.stderr[-3000:]
    assert "leak check: nothing left for prefix 'awscicd'" in down.stderr
    assert _leaks(standalone_cloud, "awscicd").ok
    ledger = _ledger(reports, described["run_id"])
    assert all(r["deleted_at"] for r in ledger["resources"])
    assert (reports / described["run_id"] / "leaks.json").exists()


def _start_up(url: str, prefix: str, reports) -> subprocess.Popen:
    return subprocess.Popen([*CAPSTONE, "up", "--endpoint-url", url, "--prefix", prefix],
                            env=cli_env(reports), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_resources(reports, count: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            ledger = _ledger(reports)
            if sum(1 for r in ledger["resources"] if r.get("id") or r.get("arn")) >= count:
                return ledger
        except (AssertionError, ValueError):
            pass
        time.sleep(0.05)
    pytest.fail(f"set-up did not create {count} resources in {timeout}s")


def test_sigterm_during_setup_tears_everything_down(standalone_cloud, reports):
    proc = _start_up(standalone_cloud, "sigterm", reports)
    _wait_for_resources(reports, 10)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)  # a second one (an impatient CI) must not abandon the teardown
    _, err = proc.communicate(timeout=120)
    # 130 (interrupted); or killed by the second SIGTERM once everything was done and unshielded
    assert proc.returncode in (130, -signal.SIGTERM), err[-3000:]
    assert "teardown:" in err and "leak check: nothing left for prefix 'sigterm'" in err
    assert _leaks(standalone_cloud, "sigterm").ok
    assert all(r["deleted_at"] for r in _ledger(reports)["resources"])


def test_after_kill_9_down_finishes_from_the_ledger(standalone_cloud, reports):
    proc = _start_up(standalone_cloud, "killed", reports)
    ledger = _wait_for_resources(reports, 8)
    proc.kill()
    proc.wait(timeout=30)
    assert not _leaks(standalone_cloud, "killed").ok  # left behind, as kill -9 does
    down = run(["down", "--run-id", ledger["run_id"]], cli_env(reports))
    assert down.returncode == 0, down.stderr[-3000:]
    assert _leaks(standalone_cloud, "killed").ok


def test_down_by_prefix_without_a_ledger(standalone_cloud, reports):
    target = Target("local", "us-east-1", standalone_cloud)
    target.client("s3").create_bucket(Bucket="byprefix-artifacts-x")
    target.client("ssm").put_parameter(Name="/capstone/byprefix/demo-app/greeting", Value="v", Type="String")
    dry = run(["sweep", "--prefix", "byprefix", "--endpoint-url", standalone_cloud, "--older-than", "0s"], cli_env(reports))
    assert dry.returncode == 0 and "dry run: 2 resource(s) would be deleted" in dry.stdout
    assert not _leaks(standalone_cloud, "byprefix").ok
    down = run(["down", "--prefix", "byprefix", "--endpoint-url", standalone_cloud], cli_env(reports))
    assert down.returncode == 0, down.stdout + down.stderr
    assert _leaks(standalone_cloud, "byprefix").ok


@pytest.mark.parametrize("args, message", [
    (["down", "--run-id", "no-such-run"], "no ledger for run id 'no-such-run'"),
    (["up", "--prefix", "Bad_Prefix"], "invalid prefix 'Bad_Prefix'"),
    (["up", "--prefix", "a-prefix-that-is-far-too-long"], "at most 24"),
    (["up", "--target", "aws", "--region", "moon-1"], "unknown region 'moon-1'"),
    (["sweep", "--older-than", "soon"], "--older-than must look like"),
    (["up", "--time-scale", "2"], "--time-scale 2 is out of range"),
    (["up", "--target", "aws", "--region", "us-east-1", "--time-scale", "0.1"], "real AWS runs at 1"),
])
def test_bad_input_is_refused_before_anything(reports, args, message, standalone_cloud):
    if args[0] == "sweep":
        args = [*args, "--endpoint-url", standalone_cloud]
    result = run(args, cli_env(reports), timeout=60)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_aws_target_without_credentials_is_refused(reports, tmp_path):
    env = cli_env(reports, AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"), AWS_CONFIG_FILE=str(tmp_path / "none"),
                  AWS_EC2_METADATA_DISABLED="true")
    result = run(["up", "--target", "aws", "--region", "us-east-1"], env, timeout=60)
    assert result.returncode == 2 and "needs AWS credentials" in result.stderr
    assert not reports.exists() or not list(reports.glob("*/ledger*.json"))
