"""Scenario 10 — the pipeline rolls its deploy stage back: with `onFailure: {result: ROLLBACK}` on
DeployBlueGreen, a failed deployment makes CodePipeline start a ROLLBACK execution that redeploys
the last successful execution's artifacts, and the ALB serves that version from a fresh fleet.

CodeDeploy's own automatic rollback is switched off for the scenario: CodeDeploy creates its
rollback deployment the moment the release fails, and the deployment group then has an active
deployment, so the pipeline's rollback deployment would be refused (DeploymentLimitExceeded) on
AWS as offline. A team picks one of the two; this scenario proves the pipeline's, and its
assertions tell them apart (no codeDeployRollback deployment; an execution of type ROLLBACK whose
deployment CodePipeline created from the target execution's artifact).

Added through UpdatePipeline and restored in teardown rather than carried by the environment's
pipeline: scenarios 3, 4 and 5 rely on CodeDeploy's rollback, and a pipeline rollback racing it
would fail on every one of them. UpdatePipeline starts a new pipeline version, and a rollback
target must have run in the current version (AWS CodePipeline User Guide, "Configure stage
rollback"), so a good release in that version comes first.
"""
from __future__ import annotations

import copy

import pytest

from capstone import evidence
from capstone.drivers import app, expect
from capstone.retry import Deadline

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(300, func_only=True),
    pytest.mark.xdist_group("capstone-b"),
    pytest.mark.capstone(
        requirement="With onFailure ROLLBACK on the deploy stage, a failed deployment MUST make CodePipeline start a "
                    "ROLLBACK execution targeting the last successful execution, which MUST redeploy that "
                    "execution's build artifact so that the ALB serves the previous version again.",
        feature="Rollback", story="Pipeline stage rollback on a failed deployment", severity="critical"),
]


def _pipeline_with_stage_rollback(op) -> None:
    """onFailure ROLLBACK on the deploy stage, restored in teardown (newest teardown runs first)."""
    cp = op.codepipeline
    original = cp.get_pipeline(name=op.names.pipeline)["pipeline"]
    changed = copy.deepcopy(original)
    deploy = next(s for s in changed["stages"] if s["name"] == op.deploy_stage)
    deploy["onFailure"] = {"result": "ROLLBACK"}
    cp.update_pipeline(pipeline=changed)

    def restore():
        current = cp.get_pipeline(name=op.names.pipeline)["pipeline"]
        restored = copy.deepcopy(original)
        restored["version"] = current["version"]
        cp.update_pipeline(pipeline=restored)
    op.on_teardown("remove onFailure ROLLBACK from the deploy stage", restore)


def _without_codedeploy_rollback(op) -> None:
    codedeploy = op.env.target.client("codedeploy")
    group = codedeploy.get_deployment_group(applicationName=op.names.application,
                                            deploymentGroupName=op.names.deployment_group)["deploymentGroupInfo"]
    original = group.get("autoRollbackConfiguration") or {"enabled": False}
    codedeploy.update_deployment_group(applicationName=op.names.application,
                                       currentDeploymentGroupName=op.names.deployment_group,
                                       autoRollbackConfiguration={"enabled": False})
    op.on_teardown("restore CodeDeploy's automatic rollback", lambda: codedeploy.update_deployment_group(
        applicationName=op.names.application, currentDeploymentGroupName=op.names.deployment_group,
        autoRollbackConfiguration=original))


def _deploy_action(op, execution_id: str) -> dict:
    details = op.codepipeline.list_action_executions(
        pipelineName=op.names.pipeline, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
    found = [d for d in details if d["stageName"] == op.deploy_stage]
    assert found, f"execution {execution_id} ran no {op.deploy_stage} action"
    return found[0]


def _rollback_execution(op, failed_id: str) -> dict:
    deadline, backoff = Deadline(op.pace.settle), op.backoff()
    while True:
        summaries = op.codepipeline.list_pipeline_executions(pipelineName=op.names.pipeline)["pipelineExecutionSummaries"]
        found = [s for s in summaries if s.get("executionType") == "ROLLBACK"
                 and (s.get("trigger") or {}).get("triggerDetail") == failed_id]
        if found:
            return found[0]
        if deadline.expired():
            raise AssertionError(f"rollback did not happen: {deadline.seconds:.0f}s after execution {failed_id} failed "
                                 "in the deploy stage, the pipeline has no ROLLBACK execution: "
                                 f"{[(s['pipelineExecutionId'][:8], s.get('executionType'), s['status']) for s in summaries[:5]]}")
        deadline.sleep(backoff.next())


def test_a_failed_deployment_rolls_the_deploy_stage_back_to_the_last_good_artifacts(operator):
    op = operator
    _without_codedeploy_rollback(op)
    _pipeline_with_stage_rollback(op)

    good_version = op.next_version()
    with evidence.step(f"release {good_version} in the pipeline version that rolls back"):
        good = op.release(good_version)
        op.wait_for_approval(good)
        op.approve(good, f"Release {good_version}")
        snap = op.finish(good)
        assert snap.status == "Succeeded", f"the good release ended {snap.status}: {snap.describe()}"
        op.wait_served(good_version)
        op.mark_good(good_version)
        good_artifact = _deploy_action(op, good.execution_id)["input"]["inputArtifacts"][0]["s3location"]

    bad_version = op.next_version()
    bad = op.release(bad_version, app.settings(index_status=500), message=f"Release {bad_version} with a broken index page")
    op.on_teardown(f"revert {bad.commit[:12]}", lambda: op.restore(bad, deploy=False))
    evidence.record("execution_id", bad.execution_id)

    with evidence.step(f"approve {bad_version}; its deployment fails and CodeDeploy does not roll it back"):
        op.wait_for_approval(bad)
        op.approve(bad, f"Release {bad_version}")
        _, failed_deployment, _ = expect.failed_at_deploy(op, bad)
        info = op.deployments.get(failed_deployment)
        assert not info.get("rollbackInfo"), f"CodeDeploy rolled {failed_deployment} back itself: {info.get('rollbackInfo')}"
        green = expect.green_group_name(op, failed_deployment)
        op.on_teardown(f"delete the failed green group {green}", lambda: _delete_group(op, green))

    with evidence.step("the pipeline starts a ROLLBACK execution of the deploy stage to the good release"):
        rollback = _rollback_execution(op, bad.execution_id)
        rollback_id = rollback["pipelineExecutionId"]
        evidence.record("rollback_execution_id", rollback_id)
        assert rollback.get("rollbackMetadata") == {"rollbackTargetPipelineExecutionId": good.execution_id}, (
            f"rollback did not happen to the last successful execution {good.execution_id}: {rollback}")
        assert rollback["trigger"]["triggerType"] == "AutomatedRollback", rollback["trigger"]

    with evidence.step(f"the rollback redeploys {good_version}'s artifact and the ALB serves {good_version}"):
        deadline, backoff = Deadline(op.pace.deployment), op.backoff()
        while (execution := op.codepipeline.get_pipeline_execution(
                pipelineName=op.names.pipeline, pipelineExecutionId=rollback_id)["pipelineExecution"])["status"] == "InProgress":
            assert not deadline.expired(), f"rollback did not happen: execution {rollback_id} still InProgress"
            deadline.sleep(backoff.next())
        assert execution["status"] == "Succeeded", f"rollback did not happen: execution {rollback_id} ended {execution['status']}"
        assert execution["executionType"] == "ROLLBACK", execution
        action = _deploy_action(op, rollback_id)
        assert action["input"]["inputArtifacts"][0]["s3location"] == good_artifact, (
            f"the rollback deployed {action['input']['inputArtifacts']}, not the good release's {good_artifact}")
        deployment_id = action["output"]["executionResult"]["externalExecutionId"]
        redeploy = op.deployments.get(deployment_id)
        assert redeploy["status"] == "Succeeded" and redeploy.get("creator") != "codeDeployRollback", (
            f"the pipeline's rollback deployment {deployment_id}: {redeploy.get('status')} by {redeploy.get('creator')}")
        op.wait_served(good_version)
        expect.served(op, good_version)
        evidence.attach("rollback deployment", op.deployments.summary(deployment_id))


def _delete_group(op, name: str) -> None:
    autoscaling = op.env.target.client("autoscaling")
    if op.fleet.group(name) is not None:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
        op.wait_group_gone(name)
