"""TIMED_OUT and STOPPED end the build and kill every process it started.

A build runs sandboxed (it cannot write where the test reads, and its pids are its own PID
namespace's), so the test finds the build's processes as localcloud does: by the owner marker
every one of them carries, seen from the host.
"""
from __future__ import annotations

import os
import time

import pytest

from localcloud.processes import _pids_with_marker, alive

pytestmark = pytest.mark.integration

SLEEPER = """version: 0.2
phases:
  build:
    commands:
      - sleep 60 &
      - sleep 61
"""


def _processes(localcloud, build_id: str) -> list[int]:
    """The live host pids of the build's processes (its sandbox's included)."""
    return [p for p in _pids_with_marker(localcloud.owner("build", build_id), prefix=False) if alive(p)]


def _sleeping(localcloud, build_id: str) -> bool:
    for pid in _processes(localcloud, build_id):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if fh.read().split(b"\0")[:2] == [b"sleep", b"61"]:
                    return True
        except OSError:
            continue
    return False


def test_timeout_kills_the_build_and_reports_timed_out(codebuild, localcloud, monkeypatch):
    project = codebuild.project(SLEEPER)
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
    assert _processes(localcloud, build["id"]) == []


def test_stop_build_stops_and_kills(codebuild, localcloud):
    project = codebuild.project(SLEEPER)
    build = codebuild.client.start_build(projectName=project)["build"]
    deadline = time.monotonic() + 15
    while not _sleeping(localcloud, build["id"]) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert codebuild.client.batch_get_builds(ids=[build["id"]])["builds"][0]["currentPhase"] == "BUILD"
    stopped = codebuild.client.stop_build(id=build["id"])["build"]
    assert stopped["buildStatus"] == "STOPPED" and stopped["buildComplete"] is True
    assert codebuild.phase(stopped, "BUILD")["phaseStatus"] == "STOPPED"
    assert _processes(localcloud, build["id"]) == []
    # stopping again changes nothing
    assert codebuild.client.stop_build(id=build["id"])["build"]["buildStatus"] == "STOPPED"


def test_builds_beyond_the_concurrency_bound_wait_queued(codebuild, localcloud, monkeypatch):
    provider = localcloud.provider("codebuild")
    monkeypatch.setattr(provider, "max_concurrent_builds", 1)
    monkeypatch.setattr(provider, "_pool", None)  # a fresh one-worker pool for this test
    project = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 0.5\n")
    first = codebuild.client.start_build(projectName=project)["build"]
    second = codebuild.client.start_build(projectName=project)["build"]
    third = codebuild.client.start_build(projectName=project)["build"]
    deadline = time.monotonic() + 15
    while (codebuild.client.batch_get_builds(ids=[first["id"]])["builds"][0]["currentPhase"] in ("SUBMITTED", "QUEUED")
           and time.monotonic() < deadline):
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
    assert "BUILD" not in codebuild.phase_types(codebuild.client.batch_get_builds(ids=[third["id"]])["builds"][0])
    provider._pool.shutdown(wait=True)


def test_no_process_of_a_finished_build_survives(codebuild, localcloud):
    project = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - (setsid sleep 60 &)\n")
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED"
    assert _processes(localcloud, build["id"]) == []
    assert os.environ.get("LOCALCLOUD_OWNER") is None
