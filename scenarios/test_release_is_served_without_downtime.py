"""Scenario 1 — release: a developer bumps the version and pushes; a reviewer approves; users
get the new version from a new (green) fleet without a single failed request."""
from __future__ import annotations

import re

import pytest

from capstone import evidence
from capstone.drivers import expect

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(120, func_only=True),
    pytest.mark.xdist_group("capstone-a"),
    pytest.mark.capstone(
        requirement="A pushed version MUST pass Source and BuildAndTest, wait at Approval without deploying, and "
                    "once approved MUST be served from a new green fleet with no failed request, the blue fleet "
                    "terminated after the wait.",
        feature="Release", story="Push, approve, blue/green", severity="critical"),
]


def test_an_approved_push_is_served_from_a_green_fleet_without_downtime(operator):
    op = operator
    old_version, version = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(version)
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)

    with evidence.step("Source and BuildAndTest succeed; Approval waits; nothing deploys yet"):
        snap = op.wait_for_approval(run)
        assert snap.stage("Source").status == "Succeeded", snap.describe()
        assert snap.stage(op.build_stage).status == "Succeeded", snap.describe()
        assert snap.stage(op.approval_stage).status == "InProgress", snap.describe()
        assert snap.stage(op.deploy_stage).status is None, (
            f"{op.deploy_stage} started before approval: approval was not honoured ({snap.describe()})")
        expect.no_new_deployment(op, run, "approval was not honoured")
        evidence.record("build_id", op.external_id(snap, op.build_stage))
        expect.served(op, old_version)

    with evidence.step("the approval notice reached the topic's subscriber before the approval"):
        expect.approval_notice(op, run)

    assert blue_instances, f"the blue group {blue_group} has no instances to replace"
    with evidence.step(f"approve and deploy {version} under the probe; blue lives through the termination wait"):
        with op.probe() as probe:
            op.approve(run, f"Release {version}: reviewed")
            deployment_id = op.deployment_id(run)
            wait = expect.blue_lives_through_termination_wait(op, deployment_id, blue_group, blue_instances)
            evidence.record("termination_wait", wait)
            snap = op.finish(run)
            op.wait_served(version)
        summary = probe.summary()

    with evidence.step("all four stages Succeeded and the new version is served without downtime"):
        assert snap.status == "Succeeded", f"the release execution ended {snap.status}: {snap.describe()}"
        for stage in op.stages:
            assert snap.stage(stage).status == "Succeeded", f"stage {stage}: {snap.describe()}"
        expect.served(op, version)
        expect.probe_clean(summary)
        expect.execution_notice(op, run, "SUCCEEDED")
        assert version in summary.versions, f"served the wrong version: the probe never saw {version} ({summary.versions})"

    with evidence.step("a green group CodeDeploy_<group>_d-* serves; blue is terminated"):
        info = op.deployments.get(deployment_id)
        assert info["status"] == "Succeeded", info
        green_group = op.env.current_asg_name()
        assert re.fullmatch(rf"CodeDeploy_{re.escape(op.names.deployment_group)}_d-[A-Z0-9]+", green_group), green_group
        assert green_group == expect.green_group_name(op, deployment_id)
        green_instances = op.fleet.instance_ids(green_group)
        health = op.fleet.target_health(op.env.target_group_arn)
        assert sorted(i for i, s in health.items() if s == "healthy") == sorted(green_instances), health
        states = op.fleet.instance_states(blue_instances)
        # an instance EC2 no longer lists proves nothing: terminated instances stay visible for a while
        assert sorted(states) == sorted(blue_instances), f"blue instances not terminated after the wait: {states}"
        assert all(states[i] in ("shutting-down", "terminated") for i in blue_instances), (
            f"blue instances not terminated after the wait: {states}")
        expect.terminated_after_the_wait(op, deployment_id, wait)
        assert op.fleet.group(blue_group) is None, f"the blue group {blue_group} still exists"
        evidence.attach("deployment", op.deployments.summary(deployment_id))

    op.mark_good(version)
