"""Scenario 5 — alarm after traffic moved: a release passes its hooks and the load balancer's
health checks but answers users with errors. Once traffic is on green, the load balancer's own
metric of target 5XX answers (AWS/ApplicationELB HTTPCode_Target_5XX_Count) fires the
deployment group's alarm, the deployment stops and traffic returns to the blue fleet. The suite
never writes a metric or an alarm state: only real traffic moves the alarm."""
from __future__ import annotations

import pytest

from capstone import evidence
from capstone.aws_status import DEPLOYMENT_DONE
from capstone.drivers import alarm, app, expect
from capstone.drivers.deployments import event_time

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(150, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="When users get errors from a release after traffic moved to green, the load balancer's 5XX "
                    "metric MUST fire the deployment group's alarm, the deployment MUST stop, be rolled back by a "
                    "codeDeployRollback deployment, and traffic MUST return to blue.",
        feature="Rollback", story="Alarm from the load balancer's 5XX after traffic moved", severity="critical"),
]


def test_errors_after_traffic_moved_fire_the_alarm_and_send_traffic_back_to_blue(operator):
    op = operator
    good, bad = op.good_version, op.next_version()
    blue_group = op.env.current_asg_name()
    blue_instances = op.fleet.instance_ids(blue_group)

    run = op.release(bad, app.settings(proxied_index_status=500),
                     message=f"Release {bad}: passes its hooks and health checks, fails every user")
    evidence.record("commit", run.commit)
    evidence.record("execution_id", run.execution_id)
    op.on_teardown(f"revert {run.commit[:12]}", lambda: op.restore(run, deploy=False))
    op.on_teardown(f"alarm {op.names.alarm} back out of ALARM", lambda: op.wait_alarm_not("ALARM"))
    op.wait_for_approval(run)

    with op.probe() as probe:
        with evidence.step(f"approve {bad}; users get its errors; the load balancer's 5XX metric fires "
                           f"{op.names.alarm}; the deployment stops"):
            op.approve(run, f"Release {bad}")
            deployment_id = op.deployment_id(run)
            watched = alarm.watch(op.cloudwatch, op.names.alarm,
                                  until=lambda: op.deployments.get(deployment_id)["status"] in DEPLOYMENT_DONE,
                                  deadline=op.pace.deployment, interval=op.pace.fast_poll, log=op.log)
            evidence.record("alarm", watched)
            assert "ALARM" in watched["alarm_states"], (
                f"rollback did not happen on the alarm: {op.names.alarm} never reached ALARM while users got "
                f"errors ({watched})")

        with evidence.step("the deployment stopped on the alarm after traffic moved, rolled back, blue serves again"):
            _, _, result = expect.failed_at_deploy(op, run, deployment_status="Stopped")
            assert (result["info"].get("errorInformation") or {}).get("code") == "ALARM_ACTIVE", result["info"]
            lifecycle = op.deployments.lifecycle(deployment_id)
            assert event_time(lifecycle, "Green", "AllowTraffic") is not None, (
                f"traffic never moved to green before the alarm stopped the deployment: {lifecycle}")
            rollback = expect.rollback_of(op, deployment_id)
            op.wait_served(good)
    summary = probe.summary()

    expect.back_on_blue(op, deployment_id, blue_group, blue_instances)
    expect.served(op, good)
    evidence.attach("probe summary", summary.to_dict())
    # What users saw: the bad release's errors, and only while it had the traffic.
    failed = [s for s in summary.samples if s.failed]
    assert failed, f"users never got an error from {bad}: the alarm cannot have fired from real traffic"
    assert {(s.status, s.version) for s in failed} == {(500, bad)}, (
        f"users got errors other than {bad}'s 500: {summary.describe_failures()}")
    last_good = max(s.t for s in summary.samples if s.status == 200 and s.version == good)
    assert last_good > max(s.t for s in failed), f"users did not get {good} back after the rollback"
    evidence.attach("rollback deployment", op.deployments.summary(rollback["deploymentId"]))
