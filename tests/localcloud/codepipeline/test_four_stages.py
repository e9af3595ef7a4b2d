"""The pipeline under test, on localcloud's real providers: CodeCommit -> CodeBuild -> Manual ->
CodeDeploy. A build really runs the buildspec, a deployment really runs the appspec hooks."""
from __future__ import annotations

import json
import re

import pytest

from tests.localcloud.codedeploy import infra as deploy_infra
from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import approval_token, approve, wait_status

pytestmark = pytest.mark.integration

BUILDSPEC = """version: 0.2
env:
  exported-variables:
    - BUILT_VERSION
phases:
  build:
    commands:
      - if [ -f fail.flag ]; then echo "2 tests failed"; exit 1; fi
      - export BUILT_VERSION=$(cat site/version.txt)
      - echo "built $BUILT_VERSION from $CODEBUILD_RESOLVED_SOURCE_VERSION"
artifacts:
  files:
    - '**/*'
"""


def _repository(codecommit) -> tuple[str, str]:
    name = support.unique("app")
    codecommit.create_repository(repositoryName=name)
    files = {"buildspec.yml": BUILDSPEC, "appspec.yml": deploy_infra.APPSPEC, "site/version.txt": "v1",
             "scripts/start.sh": deploy_infra.SERVER_SCRIPT, "scripts/stop.sh": deploy_infra.STOP_SCRIPT,
             "scripts/validate.sh": deploy_infra.VALIDATE_OK}
    parent = None
    for path, content in files.items():
        kwargs = {"parentCommitId": parent} if parent else {}
        mode = "EXECUTABLE" if path.endswith(".sh") else "NORMAL"
        parent = codecommit.put_file(repositoryName=name, branchName="main", filePath=path, fileContent=content.encode(),
                                     fileMode=mode, commitMessage=f"add {path}", **kwargs)["commitId"]
    return name, parent


@pytest.fixture
def four_stage(aws, infra):
    codecommit, codebuild, iam = aws("codecommit"), aws("codebuild"), aws("iam")
    repo, commit = _repository(codecommit)
    project = support.unique("build")
    codebuild.create_project(
        name=project, source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"}, serviceRole=support.role(iam, "codebuild.amazonaws.com"),
        environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"})
    env = deploy_infra.build(aws, instances=1)
    group = deploy_infra.in_place_group(env)
    name = support.unique("pipe")
    stages = [
        support.codecommit_source(repo),
        {"name": "BuildAndTest", "actions": [support.action(
            "Build", "Build", "CodeBuild",
            {"ProjectName": project, "EnvironmentVariables": json.dumps([{"name": "COMMIT", "value": "#{SourceVariables.CommitId}", "type": "PLAINTEXT"}])},
            inputs=["SourceArtifact"], outputs=["BuildArtifact"], namespace="BuildVariables")]},
        support.approval_stage(CustomData="version #{BuildVariables.BUILT_VERSION}"),
        {"name": "DeployBlueGreen", "actions": [support.action(
            "Deploy", "Deploy", "CodeDeploy", {"ApplicationName": env.app, "DeploymentGroupName": group},
            inputs=["BuildArtifact"])]},
    ]
    aws("codepipeline").create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket, stages,
                                                                     executionMode="SUPERSEDED"))

    class FourStage:
        pass

    f = FourStage()
    f.name, f.repo, f.commit, f.project, f.env, f.group = name, repo, commit, project, env, group
    return f


def _details(cp, name, execution_id):
    return {d["actionName"]: d for d in cp.list_action_executions(
        pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]}


def test_creation_run_builds_waits_for_approval_and_deploys(cp, aws, four_stage):
    f = four_stage
    execution_id = support.first_execution(cp, f.name)
    token = approval_token(cp, f.name, execution_id, timeout=60)
    state = {s["stageName"]: s for s in cp.get_pipeline_state(name=f.name)["stageStates"]}
    build_action = state["BuildAndTest"]["actionStates"][0]["latestExecution"]
    assert build_action["status"] == "Succeeded"
    assert re.fullmatch(rf"{f.project}:[0-9a-f-]{{36}}", build_action["externalExecutionId"])
    build = aws("codebuild").batch_get_builds(ids=[build_action["externalExecutionId"]])["builds"][0]
    assert build["initiator"] == f"codepipeline/{f.name}"
    assert build["resolvedSourceVersion"] == f.commit
    details = _details(cp, f.name, execution_id)
    assert details["Build"]["output"]["outputVariables"] == {"BUILT_VERSION": "v1"}
    assert details["ManualApproval"]["input"]["resolvedConfiguration"]["CustomData"] == "version v1"
    assert json.loads(details["Build"]["input"]["resolvedConfiguration"]["EnvironmentVariables"])[0]["value"] == f.commit

    approve(cp, f.name, token)
    wait_status(cp, f.name, execution_id, "Succeeded", timeout=120)
    deploy = _details(cp, f.name, execution_id)["Deploy"]
    deployment_id = deploy["output"]["executionResult"]["externalExecutionId"]
    assert deployment_id.startswith("d-")
    assert deploy["output"]["executionResult"]["externalExecutionSummary"] == "Deployment Succeeded"
    info = aws("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["status"] == "Succeeded"
    artifact = details["Build"]["output"]["outputArtifacts"][0]["s3location"]
    assert info["revision"]["s3Location"]["bucket"] == artifact["bucket"]
    assert info["revision"]["s3Location"]["key"] == artifact["key"]


def test_a_failing_build_fails_the_execution_and_approval_never_starts(cp, aws, four_stage):
    f = four_stage
    first = support.first_execution(cp, f.name)
    approval_token(cp, f.name, first, timeout=60)
    cp.stop_pipeline_execution(pipelineName=f.name, pipelineExecutionId=first, abandon=True)
    support.push(aws("codecommit"), f.repo, "fail.flag", "1", "break the tests")
    execution_id = cp.start_pipeline_execution(name=f.name)["pipelineExecutionId"]
    wait_status(cp, f.name, execution_id, "Failed", timeout=60)
    state = {s["stageName"]: s for s in cp.get_pipeline_state(name=f.name)["stageStates"]}
    action = state["BuildAndTest"]["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed"
    assert action["errorDetails"]["code"] == "JobFailed"
    assert action["errorDetails"]["message"].startswith("Build terminated with state: FAILED. Phase: BUILD, Code: COMMAND_EXECUTION_ERROR")
    assert state["Approval"]["latestExecution"]["pipelineExecutionId"] == first, "Approval never saw the failed run"
    assert set(_details(cp, f.name, execution_id)) == {"Source", "Build"}


def test_missing_project_and_deployment_group_fail_at_the_action(cp, aws, infra):
    repo, _ = support.repository(aws("codecommit"))
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket, [
        support.codecommit_source(repo),
        {"name": "Build", "actions": [support.action("Build", "Build", "CodeBuild", {"ProjectName": "no-such-project"},
                                                     inputs=["SourceArtifact"])]}]))
    execution_id = support.first_execution(cp, name)
    wait_status(cp, name, execution_id, "Failed")
    action = support.stage_state(cp, name, "Build")["actionStates"][0]["latestExecution"]
    assert action["errorDetails"]["message"].startswith("Error calling startBuild: Project cannot be found: "
                                                        "arn:aws:codebuild:us-east-1:123456789012:project/no-such-project")

    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket, [
        support.codecommit_source(repo),
        {"name": "Deploy", "actions": [support.action("Deploy", "Deploy", "CodeDeploy",
                                                      {"ApplicationName": "no-such-app", "DeploymentGroupName": "g"},
                                                      inputs=["SourceArtifact"])]}]))
    execution_id = support.first_execution(cp, name)
    wait_status(cp, name, execution_id, "Failed")
    action = support.stage_state(cp, name, "Deploy")["actionStates"][0]["latestExecution"]
    assert action["errorDetails"]["code"] == "JobFailed"
    assert "no-such-app" in action["errorDetails"]["message"]
