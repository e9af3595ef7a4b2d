"""Deployments created by Auto Scaling (creator `autoscaling`) through CodeDeploy's launch hook."""
from __future__ import annotations

import time

import pytest
import requests
from botocore.exceptions import ClientError

from tests.localcloud.codedeploy import infra

pytestmark = pytest.mark.integration

INSTALL_EVENTS = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
                  "ApplicationStart", "ValidateService"]


def deploy(env, key, data):
    return env.aws("codedeploy").create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                                                   revision=env.upload(key, data))["deploymentId"]


def group_asg(env) -> str:
    info = env.aws("codedeploy").get_deployment_group(applicationName=env.app, deploymentGroupName=env.group)
    return info["deploymentGroupInfo"]["autoScalingGroups"][0]["name"]


def instances(aws, asg) -> dict[str, str]:
    group = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0]
    return {i["InstanceId"]: i["LifecycleState"] for i in group["Instances"]}


def scale_out(aws, asg) -> str:
    """SetDesiredCapacity +1; the id of the instance Auto Scaling launched."""
    before = instances(aws, asg)
    group = aws("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[asg])["AutoScalingGroups"][0]
    aws("autoscaling").update_auto_scaling_group(AutoScalingGroupName=asg, MaxSize=group["MaxSize"] + 1)
    aws("autoscaling").set_desired_capacity(AutoScalingGroupName=asg, DesiredCapacity=group["DesiredCapacity"] + 1)
    [new] = set(instances(aws, asg)) - set(before)
    return new


def autoscaling_deployments(aws, env) -> list[dict]:
    cd = aws("codedeploy")
    ids = cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group)["deployments"]
    infos = cd.batch_get_deployments(deploymentIds=ids)["deploymentsInfo"] if ids else []
    return [i for i in infos if i["creator"] == "autoscaling"]


def wait_for(check, timeout=30, what="condition"):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def states(aws, env) -> dict[str, str]:
    descs = aws("elbv2").describe_target_health(TargetGroupArn=env.tg_arn)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in descs}


@pytest.fixture
def small_env(aws):
    built = infra.build(aws, instances=1)
    yield built
    infra.teardown(built)


def test_blue_green_scale_out_installs_last_successful_revision_then_takes_traffic(aws, small_env, data_plane, localcloud, app_port):
    env = small_env
    infra.blue_green_group(env)
    v1 = deploy(env, "v1.zip", infra.bundle("v1"))
    assert infra.wait_status(aws, v1)["status"] == "Succeeded"
    bad = deploy(env, "v2.zip", infra.bundle("v2", validate=infra.VALIDATE_FAIL))  # last attempted, not successful
    assert infra.wait_status(aws, bad)["status"] == "Failed"
    asg = group_asg(env)
    assert asg == f"CodeDeploy_{env.group}_{v1}"
    [old] = instances(aws, asg)

    new = scale_out(aws, asg)
    # Held by CodeDeploy's launch hook: not InService, not registered, while it is installed.
    assert instances(aws, asg)[new] == "Pending:Wait"
    assert new not in states(aws, env)

    [d] = wait_for(lambda: autoscaling_deployments(aws, env), what="a deployment created by autoscaling")
    info = infra.wait_status(aws, d["deploymentId"])
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["creator"] == "autoscaling"
    assert info["revision"]["s3Location"]["key"] == "v1.zip"  # the last SUCCESSFUL revision
    assert info["deploymentOverview"]["Succeeded"] == 1
    target = infra.targets(aws, d["deploymentId"])
    assert list(target) == [new]
    assert [e["lifecycleEventName"] for e in target[new]["lifecycleEvents"]] == INSTALL_EVENTS
    assert {e["status"] for e in target[new]["lifecycleEvents"]} == {"Succeeded"}
    port = app_port(new)
    assert requests.get(f"http://127.0.0.1:{port}/version.txt", timeout=5).text == "v1"

    # CONTINUE: InService, registered through the ASG's target groups, healthy.
    wait_for(lambda: instances(aws, asg)[new] == "InService", what="InService")
    wait_for(lambda: states(aws, env).get(new) == "healthy", what="the new instance healthy")
    group = aws("codedeploy").get_deployment_group(applicationName=env.app, deploymentGroupName=env.group)["deploymentGroupInfo"]
    assert group["lastSuccessfulDeployment"]["deploymentId"] == d["deploymentId"]

    # The ALB routes to it: with the old instance taken out, every answer comes from the new one.
    aws("elbv2").deregister_targets(TargetGroupArn=env.tg_arn, Targets=[{"Id": old}])
    wait_for(lambda: states(aws, env).get(old) in (None, "unused"), what="the old instance drained")
    for _ in range(5):
        r = requests.get(f"{localcloud.url}/version.txt", headers={"Host": env.dns_name}, timeout=5)
        assert (r.status_code, r.text) == (200, "v1")


def test_in_place_scale_out_runs_the_in_place_events(aws, small_env):
    env = small_env
    infra.in_place_group(env)
    v1 = deploy(env, "v1.zip", infra.bundle("v1"))
    assert infra.wait_status(aws, v1)["status"] == "Succeeded"
    new = scale_out(aws, env.asg)
    [d] = wait_for(lambda: autoscaling_deployments(aws, env), what="a deployment created by autoscaling")
    info = infra.wait_status(aws, d["deploymentId"])
    assert info["status"] == "Succeeded", info.get("errorInformation")
    target = infra.targets(aws, d["deploymentId"])[new]
    assert target.get("instanceLabel") is None
    assert [e["lifecycleEventName"] for e in target["lifecycleEvents"]][3:10] == INSTALL_EVENTS
    wait_for(lambda: instances(aws, env.asg)[new] == "InService", what="InService")


def test_group_never_deployed_deploys_nothing_and_the_instance_continues(aws, small_env):
    env = small_env
    infra.in_place_group(env)
    new = scale_out(aws, env.asg)
    wait_for(lambda: instances(aws, env.asg)[new] == "InService", what="InService")
    assert aws("codedeploy").list_deployments(applicationName=env.app, deploymentGroupName=env.group)["deployments"] == []
    assert new in states(aws, env)  # registered with the ASG's target group once InService


def test_launch_hook_heartbeat_timeout_applies_its_default_result(aws, small_env):
    env = small_env
    asg = aws("autoscaling")
    asg.put_lifecycle_hook(LifecycleHookName="mine", AutoScalingGroupName=env.asg, HeartbeatTimeout=30,
                           LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", DefaultResult="CONTINUE")
    new = scale_out(aws, env.asg)
    assert instances(aws, env.asg)[new] == "Pending:Wait"
    with pytest.raises(ClientError) as err:
        asg.complete_lifecycle_action(AutoScalingGroupName=env.asg, LifecycleHookName="mine",
                                      LifecycleActionToken="00000000-0000-0000-0000-000000000000", LifecycleActionResult="CONTINUE")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    wait_for(lambda: instances(aws, env.asg)[new] == "InService", what="the heartbeat timeout's CONTINUE")


def test_abandon_terminates_the_instance_and_launches_a_replacement(aws, small_env):
    env = small_env
    asg = aws("autoscaling")
    asg.put_lifecycle_hook(LifecycleHookName="mine", AutoScalingGroupName=env.asg, HeartbeatTimeout=3600,
                           LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING", DefaultResult="CONTINUE")
    new = scale_out(aws, env.asg)
    time.sleep(0.2)  # the action is recorded just after the launch request returns
    asg.complete_lifecycle_action(AutoScalingGroupName=env.asg, LifecycleHookName="mine", InstanceId=new,
                                  LifecycleActionResult="ABANDON")
    now = instances(aws, env.asg)
    assert new not in now and len(now) == 2  # replaced: the replacement waits on the hook again
    assert sorted(now.values()) == ["InService", "Pending:Wait"]
    state = aws("ec2").describe_instances(InstanceIds=[new])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state in ("shutting-down", "terminated")
