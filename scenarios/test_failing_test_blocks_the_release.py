"""Scenario 2 — a failing test blocks: the build gate stops a change whose tests fail, before
anyone is asked to approve it and before anything is deployed."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.aws_status import EXECUTION_ENDED
from capstone.drivers import app, expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120, func_only=True),
    pytest.mark.xdist_group("capstone-a"),
    pytest.mark.capstone(
        requirement="A commit whose tests fail MUST fail BuildAndTest, with the failing test in the build's test "
                    "report, and MUST never reach Approval or create a deployment.",
        feature="Build gate", story="Failing test blocks the release", severity="critical"),
]


def test_a_failing_test_stops_the_pipeline_before_approval(operator):
    op = operator
    served_before = op.good_version
    run = op.push(app.failing_test("this change must not ship"), "Add a test that fails")
    op.on_teardown(f"revert {run.commit[:12]} and deploy the revert", lambda: op.restore(run))
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step("BuildAndTest fails and the execution stops there"):
        # stop looking as soon as the change gets past the gate: waiting longer proves nothing
        snap = run.watcher.wait_for(
            lambda s: s.status in EXECUTION_ENDED or s.stage(op.approval_stage).status is not None, op.pace.to_approval,
            what=f"{op.build_stage} to decide", fail_if=None)
        assert snap.stage(op.build_stage).status == "Failed", (
            f"the gate did not block: {op.build_stage} is {snap.stage(op.build_stage).status} ({snap.describe()})")
        assert snap.status == "Failed", f"the gate did not block: the execution ended {snap.status}"
        assert not run.watcher.ever("stage", op.approval_stage, "InProgress") and snap.stage(op.approval_stage).status is None, (
            f"the gate did not block: {op.approval_stage} was reached ({snap.describe()})")
        assert snap.stage(op.deploy_stage).status is None, f"the gate did not block: {snap.describe()}"
        expect.no_new_deployment(op, run, "the gate did not block")

    with evidence.step("the failing test is in the build's test report"):
        build_id = op.external_id(snap, op.build_stage)
        assert build_id, f"the {op.build_stage} action names no build: {snap.describe()}"
        build = op.builds.build(build_id)  # its log tail and reports are attached as the run is watched
        assert build["buildStatus"] == "FAILED", build["buildStatus"]
        names = [name for report in op.builds.test_reports(build) for name in report["failedTestCases"]]
        assert any("test_release_gate_blocks_a_failing_change" in (n or "") for n in names), (
            f"the failing test is not in the build's test report (reports {build.get('reportArns')}, "
            f"failed cases {names})")

    with evidence.step("the topic's subscriber is told the execution failed, with no secret of the build"):
        expect.execution_notice(op, run, "FAILED")

    with evidence.step("production still serves the previous version"):
        expect.served(op, served_before)
