"""Scenario 6 — rejected approval: a reviewer rejects; the stage and the execution fail, nothing
is deployed and production is unchanged."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(90, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A rejected approval MUST fail the Approval stage and the execution, and MUST NOT deploy.",
        feature="Approval", story="Rejected approval", severity="critical"),
]


def test_a_rejected_release_is_not_deployed(operator):
    op = operator
    good, version = op.good_version, op.next_version()
    run = op.release(version)
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step(f"reject {version} at Approval"):
        decision = op.reject(run, f"Release {version}: rejected by review")
        evidence.record("approval", {k: decision[k] for k in ("decision", "summary", "at", "by")})
        snap = op.finish(run)

    with evidence.step("Approval and the execution Failed; no deployment; production unchanged"):
        assert snap.stage(op.approval_stage).status == "Failed", (
            f"approval was not honoured: {op.approval_stage} is {snap.stage(op.approval_stage).status} ({snap.describe()})")
        assert snap.status == "Failed", f"approval was not honoured: the execution ended {snap.status}"
        action = op.action_of(snap, op.approval_stage) or {}
        assert action.get("status") == "Failed", action
        assert snap.stage(op.deploy_stage).status is None, f"approval was not honoured: {snap.describe()}"
        expect.no_new_deployment(op, run, "approval was not honoured")
        expect.served(op, good)
