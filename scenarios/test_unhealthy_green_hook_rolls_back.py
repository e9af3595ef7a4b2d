"""Scenario 3 — unhealthy green, caught by a hook: ValidateService fails on the green fleet, the
deployment fails and CodeDeploy rolls back; users never see the bad version nor an error."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import app, expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(150, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A version whose ValidateService hook fails MUST fail its deployment, which MUST be rolled "
                    "back by a codeDeployRollback deployment removing the green group, and users MUST never see "
                    "the bad version nor a failed request.",
        feature="Rollback", story="Unhealthy green: ValidateService fails", severity="critical"),
]


def test_a_version_failing_validate_service_is_rolled_back_unseen(operator):
    op = operator
    good, bad = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(bad, app.settings(index_status=500), message=f"Release {bad} with a broken index page")
    op.on_teardown(f"revert {run.commit[:12]}", lambda: op.restore(run, deploy=False))
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step(f"approve {bad}; its deployment fails at ValidateService and is rolled back"):
        op.wait_for_approval(run)
        with op.probe() as probe:
            op.approve(run, f"Release {bad}")
            _, deployment_id, result = expect.failed_at_deploy(op, run)
            rollback = expect.rollback_of(op, deployment_id)
            op.wait_served(good)
        summary = probe.summary()

    with evidence.step("the failure is the green ValidateService hook"):
        info = result["info"]
        assert (info.get("errorInformation") or {}).get("code") == "HEALTH_CONSTRAINTS", info.get("errorInformation")
        lifecycle = op.deployments.lifecycle(deployment_id)
        evidence.attach("failed deployment lifecycle", lifecycle)
        failed_hooks = [(t["label"], e["name"], e.get("errorCode")) for t in lifecycle for e in t["events"]
                        if e["status"] == "Failed"]
        assert ("Green", "ValidateService", "ScriptFailed") in failed_hooks, failed_hooks
        assert result["error"].get("code") == "JobFailed", result["error"]

    with evidence.step("back on blue: green group gone, users saw no error and never the bad version"):
        expect.back_on_blue(op, deployment_id, blue_group, blue_instances)
        expect.served(op, good)
        expect.probe_clean(summary, forward=False)
        expect.never_served(summary, bad)
        evidence.attach("rollback deployment", op.deployments.summary(rollback["deploymentId"]))
