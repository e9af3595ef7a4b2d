"""Scenario 4 — unhealthy green, caught by the load balancer: every hook passes but the green
targets never pass the target group's health check; the deployment fails and is rolled back."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.drivers import app, expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(180, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="A version that passes its hooks but fails the target group health check MUST fail its "
                    "deployment, which MUST be rolled back by a codeDeployRollback deployment removing the green "
                    "group, and users MUST never see the bad version nor a failed request.",
        feature="Rollback", story="Unhealthy green: load balancer health check fails", severity="critical"),
]


def test_a_version_failing_the_health_check_is_rolled_back_unseen(operator):
    op = operator
    good, bad = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(bad, app.settings(health_status=503), message=f"Release {bad} with a failing health check")
    op.on_teardown(f"revert {run.commit[:12]}", lambda: op.restore(run, deploy=False))
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step(f"approve {bad}; green never turns healthy, the deployment fails and is rolled back"):
        op.wait_for_approval(run)
        with op.probe() as probe:
            op.approve(run, f"Release {bad}")
            _, deployment_id, result = expect.failed_at_deploy(op, run)
            rollback = expect.rollback_of(op, deployment_id)
            op.wait_served(good)
        summary = probe.summary()

    with evidence.step("the hooks passed; the failure is green's AllowTraffic"):
        lifecycle = op.deployments.lifecycle(deployment_id)
        evidence.attach("failed deployment lifecycle", lifecycle)
        green = [t for t in lifecycle if t["label"] == "Green"]
        assert green, f"the deployment has no green targets: {lifecycle}"
        for target in green:
            statuses = {e["name"]: e["status"] for e in target["events"]}
            assert statuses.get("ValidateService") == "Succeeded", (target["targetId"], statuses)
        failed = [(t["targetId"], e["name"]) for t in green for e in t["events"] if e["status"] == "Failed"]
        assert failed and all(name == "AllowTraffic" for _, name in failed), (
            f"expected green to fail at AllowTraffic (health check), failed events: {failed}")
        assert result["error"].get("code") == "JobFailed", result["error"]

    with evidence.step("back on blue: green group gone, users saw no error and never the bad version"):
        expect.back_on_blue(op, deployment_id, blue_group, blue_instances)
        expect.served(op, good)
        expect.probe_clean(summary, forward=False)
        expect.never_served(summary, bad)
        evidence.attach("rollback deployment", op.deployments.summary(rollback["deploymentId"]))
