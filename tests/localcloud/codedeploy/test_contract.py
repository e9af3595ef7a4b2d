"""CodeDeploy's door (what CodePipeline's Deploy action uses): create a deployment in-process, wait
on its completion signal; and who CodeDeploy acted as meanwhile (the authorization log)."""
from __future__ import annotations

import threading

import pytest

from localcloud.codedeploy.contract import DeploymentResult
from localcloud.codedeploy.exceptions import (
    DeploymentDoesNotExistException, DeploymentGroupDoesNotExistException, InvalidRevisionException,
    RevisionDoesNotExistException,
)
from localcloud.principal import Principal
from tests.localcloud.codedeploy import infra
from tests.iam_support import role_fixture

pytestmark = pytest.mark.integration

PIPELINE = Principal.assumed_role("arn:aws:iam::123456789012:role/service-role/pipeline", "contract-test")

pipeline_role = role_fixture(PIPELINE)  # its role exists and may act


@pytest.fixture
def profiled_env(aws):
    built = infra.build(aws, instances=1, instance_profile=True)
    yield built
    infra.teardown(built)


def _create(localcloud, env, key: str, **kw) -> str:
    env.upload(key, infra.bundle(key))
    return localcloud.services.codedeploy.create_deployment(
        PIPELINE, region=localcloud.region, application_name=env.app, deployment_group_name=env.group,
        revision_bucket=env.bucket, revision_key=key, bundle_type="zip", **kw)


def _seen(localcloud, principal_arn: str) -> list[tuple[str, str]]:
    return [(d.action, d.resource) for d in localcloud.authorizer.log.decisions() if d.principal == principal_arn]


def test_create_and_wait_through_the_door(localcloud, aws, profiled_env):
    env, door = profiled_env, localcloud.services.codedeploy
    infra.in_place_group(env)
    group_arn = f"arn:aws:codedeploy:{localcloud.region}:{localcloud.account_id}:deploymentgroup:{env.app}/{env.group}"
    deployment_id = _create(localcloud, env, "v1.zip", description="through the door")
    info = aws("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert (info["description"], info["creator"], info["revision"]["s3Location"]["key"]) == ("through the door", "user", "v1.zip")

    stopped = threading.Event()
    stopped.set()
    assert door.wait_for_deployment(PIPELINE, localcloud.region, deployment_id, stop=stopped, timeout=60) is None
    with pytest.raises(TimeoutError):
        door.wait_for_deployment(PIPELINE, localcloud.region, deployment_id, stop=threading.Event(), timeout=0.01)
    result = door.wait_for_deployment(PIPELINE, localcloud.region, deployment_id, stop=threading.Event(), timeout=120)
    assert result == DeploymentResult(deployment_id, "Succeeded", None, None)

    # the caller registers and reads the revision, reads the group's deployment configuration,
    # creates (and its session reads the revision, as CreateDeployment's caller), then waits
    app_arn = f"arn:aws:codedeploy:{localcloud.region}:{localcloud.account_id}:application:{env.app}"
    config_arn = f"arn:aws:codedeploy:{localcloud.region}:{localcloud.account_id}:deploymentconfig:CodeDeployDefault.OneAtATime"
    assert _seen(localcloud, PIPELINE.arn) == [("codedeploy:RegisterApplicationRevision", app_arn),
                                               ("codedeploy:GetApplicationRevision", app_arn),
                                               ("codedeploy:CreateDeployment", group_arn),
                                               ("codedeploy:GetDeploymentConfig", config_arn),
                                               ("s3:GetObject", f"arn:aws:s3:::{env.bucket}/v1.zip")] + \
        [("codedeploy:GetDeployment", group_arn)] * 3
    # CodeDeploy's checks and its run: as the group's service role
    role_session = Principal.assumed_role(env.role_arn, "AWSCodeDeploy").arn
    as_role = _seen(localcloud, role_session)
    # the role check is CodeDeploy assuming the role, as itself
    assert ("sts:AssumeRole", env.role_arn) in _seen(localcloud, "codedeploy.amazonaws.com")
    assert ("autoscaling:DescribeAutoScalingGroups", "*") in as_role
    # the agent: as the instance profile's role, session named by the instance id
    [instance_id] = infra.targets(aws, deployment_id)
    agent = Principal.assumed_role(env.extra["instance_role_arn"], instance_id).arn
    assert ("s3:GetObject", f"arn:aws:s3:::{env.bucket}/v1.zip") in _seen(localcloud, agent)


def test_a_failed_deployment_and_the_apis_errors(localcloud, aws, env):
    door = localcloud.services.codedeploy
    infra.in_place_group(env)
    env.upload("bad.zip", infra.bundle("bad", validate=infra.VALIDATE_FAIL))
    deployment_id = door.create_deployment(PIPELINE, region=localcloud.region, application_name=env.app,
                                           deployment_group_name=env.group, revision_bucket=env.bucket,
                                           revision_key="bad.zip", bundle_type="zip")
    result = door.wait_for_deployment(PIPELINE, localcloud.region, deployment_id, stop=threading.Event(), timeout=120)
    assert (result.status, result.error_code) == ("Failed", "HEALTH_CONSTRAINTS") and not result.succeeded
    assert result.error_message
    # without an instance profile the agent has no role: it read as EC2 (IAM issue, kept working)
    assert ("s3:GetObject", f"arn:aws:s3:::{env.bucket}/bad.zip") in _seen(localcloud, "ec2.amazonaws.com")

    create = dict(region=localcloud.region, application_name=env.app, deployment_group_name=env.group,
                  revision_bucket=env.bucket, bundle_type="zip")
    with pytest.raises(RevisionDoesNotExistException, match="no object at"):
        door.create_deployment(PIPELINE, **create, revision_key="missing.zip")
    with pytest.raises(InvalidRevisionException):
        door.create_deployment(PIPELINE, **{**create, "bundle_type": "YAML"}, revision_key="bad.zip")
    with pytest.raises(DeploymentGroupDoesNotExistException):
        door.create_deployment(PIPELINE, **{**create, "deployment_group_name": "no-such-group"}, revision_key="bad.zip")
    with pytest.raises(DeploymentDoesNotExistException):
        door.wait_for_deployment(PIPELINE, localcloud.region, "d-AAAAAAAAA", stop=threading.Event(), timeout=1)
