"""EC2 blue/green with COPY_AUTO_SCALING_GROUP, driven over HTTP with boto3 and the AWS CLI."""
from __future__ import annotations

import json
import subprocess
import time

import pytest
import requests

from tests.localcloud.codedeploy import infra

pytestmark = pytest.mark.integration


def deploy(env, key, data, **kw):
    cd = env.aws("codedeploy")
    return cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                                revision=env.upload(key, data), **kw)["deploymentId"]


def asg_names(aws):
    return {g["AutoScalingGroupName"] for g in aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]}


def registered(aws, env):
    descs = aws("elbv2").describe_target_health(TargetGroupArn=env.tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"] for d in descs if d["TargetHealth"]["State"] not in ("draining", "unused")}


def labelled(aws, deployment_id, label):
    return {i for i, t in infra.targets(aws, deployment_id).items() if t["instanceLabel"] == label}


def wait_for_termination_wait(aws, deployment_id):
    deadline = time.monotonic() + 60
    while not aws("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]["instanceTerminationWaitTimeStarted"]:
        assert time.monotonic() < deadline, "the termination wait never started"
        time.sleep(0.02)


def test_success_copies_the_asg_moves_traffic_and_retires_blue(aws, env, cli_env, app_port):
    infra.blue_green_group(env, termination_wait=1)
    blue_asg = env.asg
    d = deploy(env, "v1.zip", infra.bundle("v1"))
    seen = set()
    while (info := aws("codedeploy").get_deployment(deploymentId=d)["deploymentInfo"])["status"] not in ("Succeeded", "Failed", "Stopped"):
        if info["instanceTerminationWaitTimeStarted"]:
            seen.add(info["status"])
        time.sleep(0.02)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert seen == {"InProgress"}  # the termination wait happens before Succeeded
    green_asg = f"CodeDeploy_{env.group}_{d}"
    assert info["targetInstances"]["autoScalingGroups"] == [green_asg]
    assert info["deploymentOverview"] == {"Pending": 0, "InProgress": 0, "Succeeded": 4, "Failed": 0, "Skipped": 0, "Ready": 0}
    assert info["creator"] == "user" and info["computePlatform"] == "Server"
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    names = asg_names(aws)
    assert green_asg in names and blue_asg not in names
    green = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[green_asg])["AutoScalingGroups"][0]
    assert green["DesiredCapacity"] == 2 and green["VPCZoneIdentifier"] == env.subnet
    assert green["LaunchTemplate"]["LaunchTemplateId"] == env.launch_template_id
    assert {"Key": "app", "Value": env.name} in [{"Key": t["Key"], "Value": t["Value"]} for t in green["Tags"]]
    group = aws("codedeploy").get_deployment_group(applicationName=env.app, deploymentGroupName=env.group)["deploymentGroupInfo"]
    assert [g["name"] for g in group["autoScalingGroups"]] == [green_asg]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == d
    assert registered(aws, env) == labelled(aws, d, "Green")
    for iid in labelled(aws, d, "Green"):  # green serves v1 on its own port
        assert requests.get(f"http://127.0.0.1:{app_port(iid)}/version.txt", timeout=5).text == "v1"
    states = aws("ec2").describe_instances(InstanceIds=sorted(labelled(aws, d, "Blue")))["Reservations"]
    assert {i["State"]["Name"] for r in states for i in r["Instances"]} <= {"shutting-down", "terminated"}
    green_target = infra.targets(aws, d)[next(iter(labelled(aws, d, "Green")))]
    assert [e["lifecycleEventName"] for e in green_target["lifecycleEvents"]] == [
        "ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart",
        "ValidateService", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    out = subprocess.run(["aws", "deploy", "get-deployment", "--deployment-id", d, "--output", "json"],
                         env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cli = json.loads(out.stdout)["deploymentInfo"]
    assert cli["status"] == "Succeeded" and cli["deploymentOverview"]["Succeeded"] == 4


def test_second_blue_green_copies_the_new_group_and_serves_without_disruption(aws, env, data_plane, probe):
    infra.blue_green_group(env)
    assert infra.wait_status(aws, deploy(env, "v1.zip", infra.bundle("v1")))["status"] == "Succeeded"
    with probe(env.dns_name) as p:
        time.sleep(0.3)
        d2 = deploy(env, "v2.zip", infra.bundle("v2"))
        assert infra.wait_status(aws, d2)["status"] == "Succeeded"
        time.sleep(0.3)
    assert len(p.results) > 20
    assert p.failures == []
    assert p.versions() == ["v1", "v2"]
    assert p.last_version() == "v2"


def test_failing_validate_service_fails_and_rolls_back_to_blue(aws, env, localcloud):
    infra.blue_green_group(env, rollback_events=["DEPLOYMENT_FAILURE"])
    d1 = deploy(env, "v1.zip", infra.bundle("v1"))
    assert infra.wait_status(aws, d1)["status"] == "Succeeded"
    blue = labelled(aws, d1, "Green")
    d2 = deploy(env, "bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL))
    info = infra.wait_status(aws, d2)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    failed = [t for t in infra.targets(aws, d2).values() if t["status"] == "Failed"]
    assert failed and failed[0]["instanceLabel"] == "Green"
    validate = next(e for e in failed[0]["lifecycleEvents"] if e["lifecycleEventName"] == "ValidateService")
    assert validate["status"] == "Failed"
    assert validate["diagnostics"]["errorCode"] == "ScriptFailed"
    assert validate["diagnostics"]["scriptName"] == "scripts/validate.sh"
    assert "[stderr]version check failed" in validate["diagnostics"]["logTail"]
    rb = info["rollbackInfo"]["rollbackDeploymentId"]
    rb_info = infra.wait_status(aws, rb)
    assert rb_info["status"] == "Succeeded"
    assert rb_info["creator"] == "codeDeployRollback"
    assert rb_info["rollbackInfo"]["rollbackTriggeringDeploymentId"] == d2
    assert rb_info["revision"]["s3Location"]["key"] == "v1.zip"
    assert labelled(aws, rb, "Blue") == blue
    blue_target = infra.targets(aws, rb)[next(iter(blue))]
    assert [e["lifecycleEventName"] for e in blue_target["lifecycleEvents"]] == ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]
    assert registered(aws, env) == blue  # traffic never left blue
    assert f"CodeDeploy_{env.group}_{d2}" not in asg_names(aws)
    group = aws("codedeploy").get_deployment_group(applicationName=env.app, deploymentGroupName=env.group)["deploymentGroupInfo"]
    assert [g["name"] for g in group["autoScalingGroups"]] == [f"CodeDeploy_{env.group}_{d1}"]
    assert aws("codedeploy").get_deployment(deploymentId=d2)["deploymentInfo"]["rollbackInfo"]["rollbackMessage"]


def test_bad_version_is_never_served_through_the_alb(aws, env, data_plane, probe):
    infra.blue_green_group(env, rollback_events=["DEPLOYMENT_FAILURE"])
    assert infra.wait_status(aws, deploy(env, "v1.zip", infra.bundle("v1")))["status"] == "Succeeded"
    with probe(env.dns_name) as p:
        info = infra.wait_status(aws, deploy(env, "bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL)))
        infra.wait_status(aws, info["rollbackInfo"]["rollbackDeploymentId"])
    assert p.failures == [] and p.versions() == ["v1"]


def test_green_that_never_becomes_healthy_fails_allow_traffic_and_rolls_back(aws, env, data_plane, settings, probe):
    settings.allow_traffic_timeout = 120  # AWS seconds (2.4 s at the tests' time scale)
    infra.blue_green_group(env, rollback_events=["DEPLOYMENT_FAILURE"])
    assert infra.wait_status(aws, deploy(env, "v1.zip", infra.bundle("v1")))["status"] == "Succeeded"
    # v2 validates, but serves its health-check path with 404: the target group never calls it healthy
    unhealthy = infra.bundle("v2", omit=("site/version.txt",), extra={"site/index.html": "v2"},
                             validate="#!/bin/sh\nexit 0\n")
    with probe(env.dns_name) as p:
        info = infra.wait_status(aws, deploy(env, "v2.zip", unhealthy), timeout=120)
        assert info["status"] == "Failed"
        green = [t for t in infra.targets(aws, info["deploymentId"]).values() if t["instanceLabel"] == "Green"]
        allow = [e for t in green for e in t["lifecycleEvents"] if e["lifecycleEventName"] == "AllowTraffic"]
        assert any(e["status"] == "Failed" for e in allow)
        rb = infra.wait_status(aws, info["rollbackInfo"]["rollbackDeploymentId"])
        assert rb["status"] == "Succeeded"
    assert p.failures == [] and p.versions() == ["v1"]


def test_alarm_during_termination_wait_stops_and_puts_traffic_back_on_blue(aws, env):
    cw = aws("cloudwatch")
    alarm = f"{env.name}-errors"
    cw.put_metric_alarm(AlarmName=alarm, Namespace=env.name, MetricName="Errors", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    infra.blue_green_group(env, termination_wait=5, alarms=[alarm],
                           rollback_events=["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"])
    d1 = deploy(env, "v1.zip", infra.bundle("v1"))
    wait_for_termination_wait(aws, d1)
    aws("codedeploy").continue_deployment(deploymentId=d1, deploymentWaitType="TERMINATION_WAIT")
    assert infra.wait_status(aws, d1)["status"] == "Succeeded"
    blue = labelled(aws, d1, "Green")
    d2 = deploy(env, "v2.zip", infra.bundle("v2"))
    wait_for_termination_wait(aws, d2)
    assert registered(aws, env) == labelled(aws, d2, "Green")  # traffic moved to green
    # driven by metric data, not SetAlarmState: the evaluator must turn the data into ALARM
    cw.put_metric_data(Namespace=env.name, MetricData=[{"MetricName": "Errors", "Value": 5}])
    info = infra.wait_status(aws, d2)
    assert info["status"] == "Stopped"
    assert info["errorInformation"]["code"] == "ALARM_ACTIVE" and alarm in info["errorInformation"]["message"]
    rb = infra.wait_status(aws, info["rollbackInfo"]["rollbackDeploymentId"])
    assert rb["status"] == "Succeeded" and rb["creator"] == "codeDeployRollback"
    assert registered(aws, env) == blue
    assert f"CodeDeploy_{env.group}_{d2}" not in asg_names(aws)
    assert f"CodeDeploy_{env.group}_{d1}" in asg_names(aws)


def test_ready_wait_then_continue(aws, env):
    infra.blue_green_group(env, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60})
    cd = aws("codedeploy")
    d = deploy(env, "v1.zip", infra.bundle("v1"))
    info = infra.wait_status(aws, d, statuses=("Ready", "Failed"))
    assert info["status"] == "Ready" and info["deploymentOverview"]["Ready"] == 2
    assert registered(aws, env) == labelled(aws, d, "Blue")  # no traffic before ContinueDeployment
    with pytest.raises(cd.exceptions.InvalidDeploymentStatusException):
        cd.continue_deployment(deploymentId=d, deploymentWaitType="TERMINATION_WAIT")
    cd.continue_deployment(deploymentId=d, deploymentWaitType="READY_WAIT")
    assert infra.wait_status(aws, d)["status"] == "Succeeded"
    with pytest.raises(cd.exceptions.DeploymentAlreadyCompletedException):
        cd.continue_deployment(deploymentId=d, deploymentWaitType="READY_WAIT")


def test_ready_wait_expiry_stops_the_deployment(aws, env):
    infra.blue_green_group(env, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 1})
    info = infra.wait_status(aws, deploy(env, "v1.zip", infra.bundle("v1")))
    assert info["status"] == "Stopped"


def test_stop_deployment_with_rollback(aws, env):
    infra.blue_green_group(env, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60})
    cd = aws("codedeploy")
    d1 = deploy(env, "v1.zip", infra.bundle("v1"))
    infra.wait_status(aws, d1, statuses=("Ready",))
    cd.continue_deployment(deploymentId=d1, deploymentWaitType="READY_WAIT")
    assert infra.wait_status(aws, d1)["status"] == "Succeeded"
    d2 = deploy(env, "v2.zip", infra.bundle("v2"))
    infra.wait_status(aws, d2, statuses=("Ready",))
    answer = cd.stop_deployment(deploymentId=d2, autoRollbackEnabled=True)
    assert answer["status"] in ("Succeeded", "Pending")
    info = infra.wait_status(aws, d2)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "MANUAL_STOP"
    rb = infra.wait_status(aws, info["rollbackInfo"]["rollbackDeploymentId"])
    assert rb["status"] == "Succeeded"
    assert f"CodeDeploy_{env.group}_{d2}" not in asg_names(aws)
    with pytest.raises(cd.exceptions.DeploymentAlreadyCompletedException):
        cd.stop_deployment(deploymentId=d2)


def test_termination_wait_can_be_skipped(aws, env):
    infra.blue_green_group(env, termination_wait=600)
    cd = aws("codedeploy")
    d = deploy(env, "v1.zip", infra.bundle("v1"))
    wait_for_termination_wait(aws, d)
    cd.continue_deployment(deploymentId=d, deploymentWaitType="TERMINATION_WAIT")
    assert infra.wait_status(aws, d, timeout=10)["status"] == "Succeeded"


def test_failure_without_previous_success_has_no_rollback_and_leaves_green(aws, env):
    infra.blue_green_group(env, rollback_events=["DEPLOYMENT_FAILURE"])
    d = deploy(env, "bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL))
    info = infra.wait_status(aws, d)
    assert info["status"] == "Failed"
    assert "rollbackDeploymentId" not in info["rollbackInfo"] and info["rollbackInfo"]["rollbackMessage"]
    assert f"CodeDeploy_{env.group}_{d}" in asg_names(aws)  # the documented default: green is left
    aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=f"CodeDeploy_{env.group}_{d}", ForceDelete=True)
