"""A deployment whose service role or instance profile lacks one permission fails as CodeDeploy
fails it: the service role's refusals are IAM_ROLE_PERMISSIONS (InvalidRoleException when the
API itself checks the Auto Scaling group), an instance that may not read the bundle fails
DownloadBundle, and the deployment fails its minimum healthy hosts. See docs/aws-behaviour.md,
"How a denial shows"."""
from __future__ import annotations

import json

import pytest

from tests.localcloud.codedeploy import infra

pytestmark = pytest.mark.integration

ADMIN_MESSAGE = ("does not give you permission to perform operations in the following AWS service: {service}. Contact "
                 "your AWS administrator if you need help. If you are an AWS administrator, you can grant permissions "
                 "to your users or groups by creating IAM policies.")


def _deny(aws, role_arn: str, *actions: str) -> None:
    """Replace the role's allow-everything policy by one that allows all but `actions`."""
    aws("iam").put_role_policy(RoleName=role_arn.rsplit("/", 1)[-1], PolicyName="tests-allow-all", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": list(actions), "Resource": "*"}]}))


def _role_message(role_arn: str, service: str) -> str:
    return f"The IAM role {role_arn} " + ADMIN_MESSAGE.format(service=service)


@pytest.fixture
def env(aws):
    built = infra.build(aws, instances=1, instance_profile=True)
    yield built
    infra.teardown(built)


def _deploy(aws, env, key: str = "v1.zip") -> dict:
    revision = env.upload(key, infra.bundle("v1"))
    deployment_id = aws("codedeploy").create_deployment(applicationName=env.app, deploymentGroupName=env.group,
                                                        revision=revision)["deploymentId"]
    return infra.wait_status(aws, deployment_id, timeout=90)


def test_a_service_role_that_may_not_copy_the_auto_scaling_group_fails_with_iam_role_permissions(aws, env):
    infra.blue_green_group(env)
    _deny(aws, env.role_arn, "autoscaling:CreateAutoScalingGroup")
    info = _deploy(aws, env)
    assert info["status"] == "Failed"
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS",
                                        "message": _role_message(env.role_arn, "AmazonAutoScaling")}


def test_a_service_role_that_may_not_deregister_targets_fails_with_iam_role_permissions(aws, env):
    infra.in_place_group(env, traffic=True)
    _deny(aws, env.role_arn, "elasticloadbalancing:DeregisterTargets")
    info = _deploy(aws, env)
    assert info["errorInformation"] == {"code": "IAM_ROLE_PERMISSIONS",
                                        "message": _role_message(env.role_arn, "AmazonElasticLoadBalancing")}
    [target] = infra.targets(aws, info["deploymentId"]).values()
    events = {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
    assert target["status"] == "Failed" and events["BlockTraffic"]["status"] == "Failed"
    assert "elasticloadbalancing:DeregisterTargets" in events["BlockTraffic"]["diagnostics"]["message"]


def test_a_group_whose_role_may_not_read_its_auto_scaling_group_is_an_invalid_role(aws, env):
    _deny(aws, env.role_arn, "autoscaling:DescribeAutoScalingGroups")
    cd = aws("codedeploy")
    with pytest.raises(cd.exceptions.InvalidRoleException) as err:
        infra.in_place_group(env)
    assert err.value.response["Error"]["Message"] == _role_message(env.role_arn, "AmazonAutoScaling")


def test_an_instance_that_may_not_read_the_bundle_fails_download_bundle(aws, env):
    infra.in_place_group(env)
    _deny(aws, env.extra["instance_role_arn"], "s3:GetObject")
    info = _deploy(aws, env)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    [target] = infra.targets(aws, info["deploymentId"]).values()
    events = {e["lifecycleEventName"]: e for e in target["lifecycleEvents"]}
    download = events["DownloadBundle"]
    assert download["status"] == "Failed" and download["diagnostics"]["errorCode"] == "UnknownError"
    instance_session = f"assumed-role/{env.extra['instance_role_arn'].rsplit('/', 1)[-1]}/{target['targetId']}"
    assert download["diagnostics"]["message"] == (
        f'AccessDenied: User: arn:aws:sts::123456789012:{instance_session} is not authorized to perform: s3:GetObject '
        f'on resource: "arn:aws:s3:::{env.bucket}/v1.zip" because no identity-based policy allows the s3:GetObject '
        f"action (s3://{env.bucket}/v1.zip)")
    assert events["Install"]["status"] == "Skipped"
