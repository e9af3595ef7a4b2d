"""A pipeline action whose role lacks one permission fails as CodePipeline fails it: the action
Failed with JobFailed and AWS's message, shown by GetPipelineState and ListActionExecutions, and
the execution Failed. See docs/aws-behaviour.md, "How a denial shows"."""
from __future__ import annotations

import json
import re

import pytest

from tests.localcloud.codedeploy import infra as deploy_infra
from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import wait_status

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def _role_without(iam, service: str, *actions: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    name = support.unique("deny")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all-but", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": list(actions), "Resource": "*"}]}))
    return arn


def _session(role: str) -> str:
    # CodePipeline's session on its role is named by the time in milliseconds
    return rf"arn:aws:sts::{ACCOUNT}:assumed-role/{re.escape(role.rsplit('/', 1)[-1])}/\d+"


def _failed_action(cp, name: str, stage: str, action: str) -> tuple[dict, dict]:
    """(GetPipelineState's latestExecution, ListActionExecutions' detail) of the failed action."""
    execution_id = support.first_execution(cp, name)
    wait_status(cp, name, execution_id, "Failed", timeout=60)
    latest = support.stage_state(cp, name, stage)["actionStates"][0]["latestExecution"]
    detail = next(d for d in cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})
                  ["actionExecutionDetails"] if d["actionName"] == action)
    assert latest["status"] == detail["status"] == "Failed"
    assert latest["errorDetails"] == detail["output"]["executionResult"]["errorDetails"]
    assert latest["errorDetails"]["code"] == "JobFailed"
    return latest, detail


def test_a_build_action_whose_role_may_not_start_the_build_fails_with_codebuilds_error(cp, aws, infra):
    iam = aws("iam")
    role = _role_without(iam, "codepipeline.amazonaws.com", "codebuild:StartBuild")
    repo, _ = support.repository(aws("codecommit"))
    project = support.unique("build")
    aws("codebuild").create_project(
        name=project, source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"},
        serviceRole=support.role(iam, "codebuild.amazonaws.com"),
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"})
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, role, infra.bucket, [
        support.codecommit_source(repo),
        {"name": "Build", "actions": [support.action("Build", "Build", "CodeBuild", {"ProjectName": project},
                                                     inputs=["SourceArtifact"])]}]))
    latest, _ = _failed_action(cp, name, "Build", "Build")
    assert re.fullmatch(
        rf"Error calling startBuild: User: {_session(role)} is not authorized to perform: codebuild:StartBuild on "
        rf"resource: arn:aws:codebuild:us-east-1:{ACCOUNT}:project/{project} because no identity-based policy allows "
        r"the codebuild:StartBuild action \(Service: AWSCodeBuild; Status Code: 400; Error Code: AccessDeniedException\)",
        latest["errorDetails"]["message"]), latest["errorDetails"]["message"]
    assert "externalExecutionId" not in latest or latest["externalExecutionId"] is None  # no build was started
    assert aws("codebuild").list_builds_for_project(projectName=project)["ids"] == []


def test_a_source_action_that_may_not_write_the_artifact_store_fails_with_insufficient_permissions(cp, aws, infra):
    role = _role_without(aws("iam"), "codepipeline.amazonaws.com", "s3:PutObject")
    repo, _ = support.repository(aws("codecommit"))
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, role, infra.bucket, [
        support.codecommit_source(repo),
        support.approval_stage()]))
    latest, _ = _failed_action(cp, name, "Source", "Source")
    assert re.fullmatch(
        rf"The provided role does not have permissions to perform this action. Underlying error: User: {_session(role)} "
        rf'is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::{infra.bucket}/[^"]+" because no '
        r"identity-based policy allows the s3:PutObject action", latest["errorDetails"]["message"]), latest["errorDetails"]


@pytest.mark.parametrize("action", ["codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision",
                                    "codedeploy:CreateDeployment"])
def test_a_deploy_action_needs_what_codepipelines_codedeploy_action_uses(cp, aws, infra, action):
    role = _role_without(aws("iam"), "codepipeline.amazonaws.com", action)
    env = deploy_infra.build(aws, instances=1)
    try:
        group = deploy_infra.in_place_group(env)
        repo, _ = support.repository(aws("codecommit"))
        name = support.unique("pipe")
        cp.create_pipeline(pipeline=support.declaration(name, role, infra.bucket, [
            support.codecommit_source(repo),
            {"name": "Deploy", "actions": [support.action(
                "Deploy", "Deploy", "CodeDeploy", {"ApplicationName": env.app, "DeploymentGroupName": group},
                inputs=["SourceArtifact"])]}]))
        latest, _ = _failed_action(cp, name, "Deploy", "Deploy")
        assert latest["errorDetails"]["message"] == "The provided role does not have sufficient permissions to access CodeDeploy"
        # refused before anything was deployed
        assert aws("codedeploy").list_deployments(applicationName=env.app, deploymentGroupName=group)["deployments"] == []
    finally:
        deploy_infra.teardown(env)
