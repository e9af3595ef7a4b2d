"""CodeDeploy is regional: applications, groups, configs and deployments exist in one Region, and a
deployment in Region R reaches Auto Scaling, ELBv2, EC2 and CloudWatch in R."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from localcloud.codedeploy.contract import DeploymentResult
from localcloud.codedeploy.exceptions import (
    ApplicationDoesNotExistException, DeploymentDoesNotExistException, DeploymentGroupDoesNotExistException,
)
from localcloud.principal import Principal
from tests.localcloud.codedeploy import infra
from tests.iam_support import role_fixture

pytestmark = pytest.mark.integration

EU = "eu-west-1"
PIPELINE = Principal.assumed_role("arn:aws:iam::123456789012:role/service-role/pipeline", "regions-test")

pipeline_role = role_fixture(PIPELINE)  # its role exists and may act


@pytest.fixture
def eu_env(aws):
    built = infra.build(aws, instances=1, region=EU)
    yield built
    infra.teardown(built)


def error_code(call) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"]


def asg_names(client) -> set[str]:
    return {g["AutoScalingGroupName"] for g in client.describe_auto_scaling_groups()["AutoScalingGroups"]}


def test_blue_green_in_eu_west_1_copies_the_eu_asg_and_moves_the_eu_target_group(aws, eu_env):
    env = eu_env
    assert env.aws("codedeploy").meta.region_name == EU
    infra.blue_green_group(env)  # CreateDeploymentGroup finds the ASG in eu-west-1
    d = env.aws("codedeploy").create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                                                revision=env.upload("v1.zip", infra.bundle("v1")))["deploymentId"]
    info = infra.wait_status(env.aws, d)
    assert info["status"] == "Succeeded", info.get("errorInformation")
    green = f"CodeDeploy_{env.group}_{d}"
    assert info["targetInstances"]["autoScalingGroups"] == [green]
    names = asg_names(aws("autoscaling", EU))
    assert green in names and env.asg not in names
    assert green not in asg_names(aws("autoscaling", "us-east-1"))
    green_ids = {i for i, t in infra.targets(env.aws, d).items() if t["instanceLabel"] == "Green"}
    assert all(t["targetArn"].startswith(f"arn:aws:ec2:{EU}:") for t in infra.targets(env.aws, d).values())
    descs = aws("elbv2", EU).describe_target_health(TargetGroupArn=env.tg_arn)["TargetHealthDescriptions"]
    assert {x["Target"]["Id"] for x in descs if x["TargetHealth"]["State"] not in ("draining", "unused")} == green_ids

    # The deployment, its group and its application are eu-west-1's only.
    us = aws("codedeploy", "us-east-1")
    assert error_code(lambda: us.get_deployment(deploymentId=d)) == "DeploymentDoesNotExistException"
    assert error_code(lambda: us.get_application(applicationName=env.app)) == "ApplicationDoesNotExistException"
    assert d not in us.list_deployments()["deployments"]


def test_in_place_and_scale_out_in_eu_west_1(eu_env):
    env = eu_env
    cd, asg = env.aws("codedeploy"), env.aws("autoscaling")
    infra.in_place_group(env, traffic=True)
    d = cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                             revision=env.upload("v1.zip", infra.bundle("v1")))["deploymentId"]
    assert infra.wait_status(env.aws, d)["status"] == "Succeeded"

    # Auto Scaling's launch hook in eu-west-1 reaches the eu-west-1 group: a launch deployment there.
    asg.update_auto_scaling_group(AutoScalingGroupName=env.asg, MaxSize=2)
    asg.set_desired_capacity(AutoScalingGroupName=env.asg, DesiredCapacity=2)
    deadline = time.monotonic() + 30
    while not (launched := [i for i in cd.batch_get_deployments(
            deploymentIds=cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group)["deployments"]
    )["deploymentsInfo"] if i["creator"] == "autoscaling"]):
        assert time.monotonic() < deadline, "no deployment created by autoscaling"
        time.sleep(0.05)
    info = infra.wait_status(env.aws, launched[0]["deploymentId"])
    assert info["status"] == "Succeeded", info.get("errorInformation")
    assert info["revision"]["s3Location"]["key"] == "v1.zip"


def test_the_same_names_in_two_regions_are_independent(aws, eu_env):
    env = eu_env
    us, eu = aws("codedeploy", "us-east-1"), aws("codedeploy", EU)
    name = "same-" + uuid.uuid4().hex[:6]
    us_id = us.create_application(applicationName=name)["applicationId"]
    eu_id = eu.create_application(applicationName=name)["applicationId"]  # no ApplicationAlreadyExists
    assert us_id != eu_id
    assert name in us.list_applications()["applications"] and name in eu.list_applications()["applications"]
    assert env.app in eu.list_applications()["applications"]
    assert env.app not in us.list_applications()["applications"]

    # A group in eu-west-1 only: the other Region has the application but not the group.
    eu.create_deployment_group(applicationName=name, deploymentGroupName="g", serviceRoleArn=env.role_arn,
                               autoScalingGroups=[env.asg])
    assert eu.get_deployment_group(applicationName=name, deploymentGroupName="g")["deploymentGroupInfo"]["autoScalingGroups"][0]["name"] == env.asg
    assert error_code(lambda: us.get_deployment_group(applicationName=name, deploymentGroupName="g")) == \
        "DeploymentGroupDoesNotExistException"
    assert us.list_deployment_groups(applicationName=name)["deploymentGroups"] == []
    assert error_code(lambda: us.get_deployment_group(applicationName=env.app, deploymentGroupName="g")) == \
        "ApplicationDoesNotExistException"
    # The ASG is eu-west-1's: the same group in us-east-1 cannot name it.
    assert error_code(lambda: us.create_deployment_group(
        applicationName=name, deploymentGroupName="g", serviceRoleArn=env.role_arn,
        autoScalingGroups=[env.asg])) == "InvalidAutoScalingGroupException"

    # ARNs name their Region; tagging by ARN acts in it.
    eu.tag_resource(ResourceArn=f"arn:aws:codedeploy:{EU}:123456789012:application:{name}", Tags=[{"Key": "r", "Value": "eu"}])
    assert eu.list_tags_for_resource(ResourceArn=f"arn:aws:codedeploy:{EU}:123456789012:application:{name}")["Tags"] == \
        [{"Key": "r", "Value": "eu"}]
    assert us.list_tags_for_resource(ResourceArn=f"arn:aws:codedeploy:us-east-1:123456789012:application:{name}")["Tags"] == []

    # Deployment configs: the built-in ones in every Region, a custom one in its Region only.
    config = "cfg-" + uuid.uuid4().hex[:6]
    eu.create_deployment_config(deploymentConfigName=config, minimumHealthyHosts={"type": "HOST_COUNT", "value": 0})
    assert "CodeDeployDefault.OneAtATime" in us.list_deployment_configs()["deploymentConfigsList"]
    assert config in eu.list_deployment_configs()["deploymentConfigsList"]
    assert config not in us.list_deployment_configs()["deploymentConfigsList"]

    # Deleting one Region's application leaves the other's.
    us.delete_application(applicationName=name)
    assert name in eu.list_applications()["applications"]
    eu.delete_application(applicationName=name)
    eu.delete_deployment_config(deploymentConfigName=config)


def test_the_door_creates_and_waits_in_the_region_it_is_given(localcloud, eu_env):
    env, door = eu_env, localcloud.services.codedeploy
    infra.in_place_group(env)
    env.upload("v1.zip", infra.bundle("v1"))
    create = dict(application_name=env.app, deployment_group_name=env.group, revision_bucket=env.bucket,
                  revision_key="v1.zip", bundle_type="zip")
    with pytest.raises(ApplicationDoesNotExistException):
        door.create_deployment(PIPELINE, region="us-east-1", **create)
    deployment_id = door.create_deployment(PIPELINE, region=EU, **create)
    with pytest.raises(DeploymentDoesNotExistException):
        door.wait_for_deployment(PIPELINE, "us-east-1", deployment_id, stop=threading.Event(), timeout=5)
    result = door.wait_for_deployment(PIPELINE, EU, deployment_id, stop=threading.Event(), timeout=120)
    assert result == DeploymentResult(deployment_id, "Succeeded", None, None)
    group_arn = f"arn:aws:codedeploy:{EU}:{localcloud.account_id}:deploymentgroup:{env.app}/{env.group}"
    assert ("codedeploy:CreateDeployment", group_arn) in [
        (d.action, d.resource) for d in localcloud.authorizer.log.decisions() if d.principal == PIPELINE.arn]
    with pytest.raises(DeploymentGroupDoesNotExistException):
        door.create_deployment(PIPELINE, region=EU, **{**create, "deployment_group_name": "no-such-group"})
