"""TIMED_OUT and STOPPED end the build and kill every process it started."""
from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.integration

SLEEPER = """version: 0.2
phases:
  build:
    commands:
      - sleep 60 & echo $! > {pids}/background
      - echo $$ > {pids}/shell
      - sleep 60
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _pids(directory) -> list[int]:
    return [int((directory / name).read_text()) for name in ("background", "shell")]


def test_timeout_kills_the_build_and_reports_timed_out(codebuild, localcloud, monkeypatch, tmp_path):
    project = codebuild.project(SLEEPER.format(pids=tmp_path))
    # timeoutInMinutes' minimum is 5; shrink this test's time scale so 5 minutes last ~1 s
    monkeypatch.setattr(localcloud.clock, "scale", 1.0 / 300)
    start = time.monotonic()
    build = codebuild.run(project, timeout=20, timeoutInMinutesOverride=5)
    assert time.monotonic() - start < 10
    assert build["buildStatus"] == "TIMED_OUT" and build["timeoutInMinutes"] == 5
    phase = codebuild.phase(build, "BUILD")
    assert phase["phaseStatus"] == "TIMED_OUT"
    assert phase["contexts"] == [{"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}]
    assert codebuild.phase_types(build)[-1] == "COMPLETED"
    assert not any(_alive(pid) for pid in _pids(tmp_path))


def test_stop_build_stops_and_kills(codebuild, tmp_path):
    project = codebuild.project(SLEEPER.format(pids=tmp_path))
    build = codebuild.client.start_build(projectName=project)["build"]
    deadline = time.monotonic() + 15
    while not (tmp_path / "shell").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert codebuild.client.batch_get_builds(ids=[build["id"]])["builds"][0]["currentPhase"] == "BUILD"
    stopped = codebuild.client.stop_build(id=build["id"])["build"]
    assert stopped["buildStatus"] == "STOPPED" and stopped["buildComplete"] is True
    assert codebuild.phase(stopped, "BUILD")["phaseStatus"] == "STOPPED"
    assert not any(_alive(pid) for pid in _pids(tmp_path))
    # stopping again changes nothing
    assert codebuild.client.stop_build(id=build["id"])["build"]["buildStatus"] == "STOPPED"


def test_builds_beyond_the_concurrency_bound_wait_queued(codebuild, localcloud, monkeypatch, tmp_path):
    provider = localcloud.provider("codebuild")
    monkeypatch.setattr(provider, "max_concurrent_builds", 1)
    monkeypatch.setattr(provider, "_pool", None)  # a fresh one-worker pool for this test
    project = codebuild.project(f"version: 0.2\nphases:\n  build:\n    commands:\n      - touch {tmp_path}/$CODEBUILD_BUILD_NUMBER && sleep 0.5\n")
    first = codebuild.client.start_build(projectName=project)["build"]
    second = codebuild.client.start_build(projectName=project)["build"]
    third = codebuild.client.start_build(projectName=project)["build"]
    deadline = time.monotonic() + 15
    while not (tmp_path / "1").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    waiting = codebuild.client.batch_get_builds(ids=[second["id"]])["builds"][0]
    assert waiting["currentPhase"] == "QUEUED" and waiting["buildStatus"] == "IN_PROGRESS"
    # a queued build stops at once, without waiting for a worker
    stopped = codebuild.client.stop_build(id=third["id"])["build"]
    assert stopped["buildStatus"] == "STOPPED"
    assert codebuild.phase_types(stopped) == ["SUBMITTED", "QUEUED", "COMPLETED"]
    assert codebuild.phase(stopped, "QUEUED")["phaseStatus"] == "STOPPED"
    assert codebuild.wait(first["id"])["buildStatus"] == "SUCCEEDED"
    done = codebuild.wait(second["id"])
    assert done["buildStatus"] == "SUCCEEDED"
    queued = codebuild.phase(done, "QUEUED")
    assert queued["endTime"] > queued["startTime"]
    assert not (tmp_path / "3").exists()
    provider._pool.shutdown(wait=True)


def test_no_process_of_a_finished_build_survives(codebuild, tmp_path):
    project = codebuild.project(f"version: 0.2\nphases:\n  build:\n    commands:\n      - (sleep 60 & echo $! > {tmp_path}/bg)\n")
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    pid = int((tmp_path / "bg").read_text())
    assert not _alive(pid)
    assert os.environ.get("LOCALCLOUD_OWNER") is None
