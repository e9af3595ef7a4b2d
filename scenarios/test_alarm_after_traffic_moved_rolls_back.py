"""Scenario 5 — alarm after traffic moved: a good version is deployed and takes the traffic; while
blue waits for termination the deployment group's alarm fires on real metric data; the deployment
stops and traffic returns to the blue fleet, with no failed request."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.aws_status import DEPLOYMENT_DONE
from capstone.drivers import alarm, expect
from capstone.drivers.deployments import event_time
from capstone.retry import Deadline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(150, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="When the deployment group's alarm fires after traffic moved to green, the deployment MUST "
                    "stop, be rolled back by a codeDeployRollback deployment, and traffic MUST return to blue "
                    "with no failed request.",
        feature="Rollback", story="Alarm during the termination wait", severity="critical"),
]


def traffic_on_green(op, info: dict, blue_instances: list[str]) -> dict | None:
    """The moment to fire: deployment InProgress, green healthy in the target group, blue
    deregistered (waiting for termination). Returns the facts seen, or None if not yet."""
    deployment_id = info["deploymentId"]
    if info["status"] != "InProgress":
        return None
    lifecycle = op.deployments.lifecycle(deployment_id)
    green = [t["targetId"] for t in lifecycle if t["label"] == "Green"]
    blocked = event_time(lifecycle, "Blue", "BlockTraffic")
    health = op.fleet.target_health(op.env.target_group_arn)
    if (green and blocked is not None
            and all(t["status"] == "Succeeded" for t in lifecycle if t["label"] == "Blue")
            and sorted(i for i, s in health.items() if s == "healthy") == sorted(green)
            and not set(blue_instances) & set(health)):
        return {"green": green, "target_health": health, "blue_blocked_at": blocked}
    return None


def test_an_alarm_after_traffic_moved_sends_traffic_back_to_blue(operator):
    op = operator
    good, version = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(version)
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)
    op.on_teardown(f"alarm {op.names.alarm} back out of ALARM", lambda: op.wait_alarm_not("ALARM"))
    op.wait_for_approval(run)

    with op.probe() as probe:
        with evidence.step(f"approve {version}; wait until traffic is on green and blue waits for termination"):
            op.approve(run, f"Release {version}")
            deployment_id = op.deployment_id(run)
            deadline = Deadline(op.pace.deployment)
            while (moved := traffic_on_green(op, (info := op.deployments.get(deployment_id)), blue_instances)) is None:
                assert info["status"] not in DEPLOYMENT_DONE, (
                    f"precondition not reached: deployment {deployment_id} ended {info['status']} before traffic "
                    f"was seen on green with blue waiting for termination (the termination wait may be too short "
                    f"to observe: {op.deployments.lifecycle(deployment_id)})")
                assert not deadline.expired(), f"timed out after {deadline.seconds:.0f}s waiting for traffic on green"
                deadline.sleep(op.pace.fast_poll)
            evidence.attach("traffic on green", moved)
            assert op.get("/").version == version, "served the wrong version: traffic moved but green is not served"

        with evidence.step(f"drive alarm {op.names.alarm} into ALARM with metric data until the deployment stops"):
            fed = alarm.breach(op.cloudwatch, op.names.alarm, op.env.alarm_metric,
                               until=lambda: op.deployments.get(deployment_id)["status"] in DEPLOYMENT_DONE,
                               deadline=op.pace.settle, interval=op.pace.alarm_interval, log=op.log)
            evidence.record("alarm", fed)
            assert "ALARM" in fed["alarm_states"], f"the alarm never reached ALARM: {fed}"

        with evidence.step("the deployment stopped, rolled back, and blue serves again"):
            _, _, result = expect.failed_at_deploy(op, run, deployment_status="Stopped")
            assert (result["info"].get("errorInformation") or {}).get("code") == "ALARM_ACTIVE", result["info"]
            rollback = expect.rollback_of(op, deployment_id)
            op.wait_served(good)
    summary = probe.summary()

    expect.back_on_blue(op, deployment_id, blue_group, blue_instances)
    expect.served(op, good)
    expect.probe_clean(summary, forward=False)  # back to blue is the point: versions go v_new -> v_old
    evidence.attach("rollback deployment", op.deployments.summary(rollback["deploymentId"]))
