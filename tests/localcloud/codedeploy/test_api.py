"""The CodeDeploy API: AWS's errors on bad input (before anything is created), shapes, filters, tags."""
from __future__ import annotations

import json

import time
from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codedeploy import infra

pytestmark = pytest.mark.integration


def code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_copy_asg_requires_exactly_one_group(aws, env):
    cd = aws("codedeploy")
    aws("autoscaling").create_auto_scaling_group(AutoScalingGroupName=f"{env.name}-asg2", MinSize=0, MaxSize=0,
                                                 LaunchTemplate={"LaunchTemplateId": env.launch_template_id}, VPCZoneIdentifier=env.subnet)
    with pytest.raises(ClientError) as err:
        cd.create_deployment_group(
            applicationName=env.app, deploymentGroupName="two", serviceRoleArn=env.role_arn,
            autoScalingGroups=[env.asg, f"{env.name}-asg2"],
            deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
            blueGreenDeploymentConfiguration={"greenFleetProvisioningOption": {"action": "COPY_AUTO_SCALING_GROUP"}},
            loadBalancerInfo={"targetGroupInfoList": [{"name": env.tg_name}]})
    assert code(err) == "InvalidBlueGreenDeploymentConfigurationException"
    assert err.value.response["Error"]["Message"] == (
        "Exactly one AutoScaling group must be specifed when selecting the COPY_AUTO_SCALING_GROUP green fleet provisioning option")
    with pytest.raises(cd.exceptions.DeploymentGroupDoesNotExistException):
        cd.get_deployment_group(applicationName=env.app, deploymentGroupName="two")


def test_missing_role_application_group_and_config(aws, env):
    cd = aws("codedeploy")
    with pytest.raises(cd.exceptions.InvalidRoleException):
        cd.create_deployment_group(applicationName=env.app, deploymentGroupName="g",
                                   serviceRoleArn="arn:aws:iam::123456789012:role/does-not-exist")
    # a role that exists but does not trust codedeploy.amazonaws.com cannot be assumed either
    untrusting = aws("iam").create_role(RoleName=f"{env.name}-not-codedeploy", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    with pytest.raises(cd.exceptions.InvalidRoleException) as err:
        cd.create_deployment_group(applicationName=env.app, deploymentGroupName="g", serviceRoleArn=untrusting)
    assert untrusting in err.value.response["Error"]["Message"]
    with pytest.raises(cd.exceptions.ApplicationDoesNotExistException) as err:
        cd.get_application(applicationName="nope-" + env.name)
    assert err.value.response["Error"]["Message"] == f"No application found for name: nope-{env.name}"
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException):
        cd.create_deployment_group(applicationName=env.app, deploymentGroupName="g", serviceRoleArn=env.role_arn,
                                   deploymentConfigName="NoSuchConfig")
    with pytest.raises(cd.exceptions.ApplicationAlreadyExistsException):
        cd.create_application(applicationName=env.app)
    with pytest.raises(cd.exceptions.DeploymentDoesNotExistException):
        cd.get_deployment(deploymentId="d-ZZZZZZZZZ")


def test_missing_revision_and_deleted_asg_are_refused_before_anything_is_created(aws, env):
    cd = aws("codedeploy")
    infra.blue_green_group(env)
    missing = {"revisionType": "S3", "s3Location": {"bucket": env.bucket, "key": "nope.zip", "bundleType": "zip"}}
    with pytest.raises(cd.exceptions.RevisionDoesNotExistException):
        cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group, revision=missing)
    with pytest.raises(cd.exceptions.InvalidRevisionException):
        cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                             revision={"revisionType": "S3", "s3Location": {"bucket": env.bucket, "key": "x", "bundleType": "YAML"}})
    rev = env.upload("v1.zip", infra.bundle("v1"))
    aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName=env.asg, ForceDelete=True)
    with pytest.raises(cd.exceptions.InvalidAutoScalingGroupException):
        cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group, revision=rev)
    assert cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group)["deployments"] == []
    assert not [n for n in (g["AutoScalingGroupName"] for g in aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"])
                if n.startswith(f"CodeDeploy_{env.group}_")]


def test_second_concurrent_deployment_is_refused(aws, env):
    cd = aws("codedeploy")
    infra.blue_green_group(env, ready={"actionOnTimeout": "STOP_DEPLOYMENT", "waitTimeInMinutes": 60})
    rev = env.upload("v1.zip", infra.bundle("v1"))
    first = cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group, revision=rev)["deploymentId"]
    with pytest.raises(cd.exceptions.DeploymentLimitExceededException) as err:
        cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group, revision=rev)
    assert first in err.value.response["Error"]["Message"]
    infra.wait_status(aws, first, statuses=("Ready",))
    cd.stop_deployment(deploymentId=first)
    assert infra.wait_status(aws, first)["status"] == "Stopped"


def test_list_filters_targets_batches_and_tags(aws, env):
    cd = aws("codedeploy")
    infra.blue_green_group(env)
    before = datetime.now(timezone.utc) - timedelta(seconds=5)
    d = cd.create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                             revision=env.upload("v1.zip", infra.bundle("v1")))["deploymentId"]
    assert infra.wait_status(aws, d)["status"] == "Succeeded"
    listed = cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group,
                                 includeOnlyStatuses=["Succeeded"], createTimeRange={"start": before})["deployments"]
    assert listed == [d]
    assert cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group, includeOnlyStatuses=["Failed"])["deployments"] == []
    assert cd.list_deployments(applicationName=env.app, deploymentGroupName=env.group,
                               createTimeRange={"end": before})["deployments"] == []
    green = cd.list_deployment_targets(deploymentId=d, targetFilters={"ServerInstanceLabel": ["Green"]})["targetIds"]
    assert len(green) == 2
    with pytest.raises(cd.exceptions.DeploymentTargetListSizeExceededException):
        cd.batch_get_deployment_targets(deploymentId=d, targetIds=[f"i-{n:017x}" for n in range(26)])
    target = cd.get_deployment_target(deploymentId=d, targetId=green[0])["deploymentTarget"]
    assert target["deploymentTargetType"] == "InstanceTarget" and target["instanceTarget"]["instanceLabel"] == "Green"
    assert cd.batch_get_deployments(deploymentIds=[d, "d-ZZZZZZZZZ"])["deploymentsInfo"][0]["deploymentId"] == d
    arn = f"arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:{env.app}/{env.group}"
    cd.tag_resource(ResourceArn=arn, Tags=[{"Key": "run", "Value": env.name}])
    assert cd.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "run", "Value": env.name}]
    cd.untag_resource(ResourceArn=arn, TagKeys=["run"])
    assert cd.list_tags_for_resource(ResourceArn=arn)["Tags"] == []


def test_deployment_configs(aws):
    cd = aws("codedeploy")
    one = cd.get_deployment_config(deploymentConfigName="CodeDeployDefault.OneAtATime")["deploymentConfigInfo"]
    assert one["minimumHealthyHosts"] == {"type": "MOST_CONCURRENCY", "value": 1}
    name = f"Half-{time.time_ns()}"
    cd.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 50})
    assert name in cd.list_deployment_configs()["deploymentConfigsList"]
    with pytest.raises(cd.exceptions.DeploymentConfigAlreadyExistsException):
        cd.create_deployment_config(deploymentConfigName=name, minimumHealthyHosts={"type": "FLEET_PERCENT", "value": 50})
    with pytest.raises(cd.exceptions.InvalidOperationException):
        cd.delete_deployment_config(deploymentConfigName="CodeDeployDefault.AllAtOnce")
    cd.delete_deployment_config(deploymentConfigName=name)
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException):
        cd.get_deployment_config(deploymentConfigName=name)


def test_group_reports_its_asg_hook_and_delete_cleans_it(aws, env):
    cd = aws("codedeploy")
    infra.blue_green_group(env)
    info = cd.get_deployment_group(applicationName=env.app, deploymentGroupName=env.group)["deploymentGroupInfo"]
    hook = info["autoScalingGroups"][0]["hook"]
    assert info["autoScalingGroups"][0]["name"] == env.asg and hook.startswith("CodeDeploy-managed-automatic-launch-deployment-hook-")
    hooks = aws("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=env.asg)["LifecycleHooks"]
    assert hook in [h["LifecycleHookName"] for h in hooks]
    assert cd.delete_deployment_group(applicationName=env.app, deploymentGroupName=env.group)["hooksNotCleanedUp"] == []
    assert aws("autoscaling").describe_lifecycle_hooks(AutoScalingGroupName=env.asg)["LifecycleHooks"] == []
    assert env.group not in cd.list_deployment_groups(applicationName=env.app)["deploymentGroups"]
