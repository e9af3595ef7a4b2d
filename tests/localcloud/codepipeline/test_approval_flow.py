"""Source (CodeCommit) + Manual approval pipelines through boto3: the creation run, approve, reject,
token errors, retry, stop, supersede, and what the source action produces."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import approval_token, approve, wait_for, wait_status

pytestmark = pytest.mark.integration


def make_pipeline(cp, infra, repo, **extra):
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(
        name, infra.pipeline_role, infra.bucket, [support.codecommit_source(repo), support.approval_stage()], **extra))
    return name, support.first_execution(cp, name)


def test_creation_run_waits_for_approval_and_approve_succeeds_it(cp, aws, infra, source_repo):
    repo, commit = source_repo
    name, execution_id = make_pipeline(cp, infra, repo)
    token = approval_token(cp, name, execution_id)

    state = cp.get_pipeline_state(name=name)
    source, approval = state["stageStates"]
    assert source["latestExecution"] == {"pipelineExecutionId": execution_id, "status": "Succeeded", "type": "STANDARD"}
    assert approval["latestExecution"]["status"] == "InProgress"
    assert "token" not in approval["latestExecution"], "the token lives on the action, not the stage"
    source_action = source["actionStates"][0]
    assert source_action["latestExecution"]["externalExecutionId"] == commit
    assert source_action["latestExecution"]["summary"] == "add README.md"
    assert source_action["currentRevision"]["revisionId"] == commit

    execution = support.execution(cp, name, execution_id)
    assert execution["trigger"]["triggerType"] == "CreatePipeline"
    assert execution["executionMode"] == "SUPERSEDED"
    assert execution["artifactRevisions"][0]["revisionId"] == commit
    assert execution["artifactRevisions"][0]["name"] == "SourceArtifact"

    answer = approve(cp, name, token, summary="ship it")
    assert answer["approvedAt"]
    wait_status(cp, name, execution_id, "Succeeded")
    latest = support.stage_state(cp, name, "Approval")["actionStates"][0]["latestExecution"]
    assert latest["status"] == "Succeeded" and latest["summary"] == "ship it"
    assert latest["lastUpdatedBy"].startswith("arn:aws:iam::")
    assert "token" not in latest, "the token disappears once the approval is decided"


def test_source_artifact_is_a_zip_of_the_commit_under_aws_key_layout(cp, aws, infra):
    repo, commit = support.repository(aws("codecommit"), files={"app.py": "print('v1')\n", "scripts/run.sh": "echo\n"})
    name, execution_id = make_pipeline(cp, infra, repo)
    approval_token(cp, name, execution_id)
    details = cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
    source = next(d for d in details if d["actionName"] == "Source")
    location = source["output"]["outputArtifacts"][0]["s3location"]
    assert location["bucket"] == infra.bucket
    prefix, artifact, suffix = location["key"].split("/")
    assert prefix == name[:20] and artifact == "SourceArtifact"[:10]
    assert len(suffix) == 7 and suffix.isalnum() and not location["key"].endswith(".zip")
    body = aws("s3").get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert sorted(archive.namelist()) == ["app.py", "scripts/run.sh"]
        assert archive.read("app.py") == b"print('v1')\n"
    variables = source["output"]["outputVariables"]
    assert variables["CommitId"] == commit and variables["BranchName"] == "main" and variables["RepositoryName"] == repo
    assert variables["CommitMessage"] == "add scripts/run.sh"
    assert variables["AuthorDate"] and variables["CommitterDate"]
    assert source["output"]["executionResult"]["externalExecutionId"] == commit


def test_reject_fails_action_stage_and_execution(cp, infra, source_repo):
    name, execution_id = make_pipeline(cp, infra, source_repo[0])
    token = approval_token(cp, name, execution_id)
    approve(cp, name, token, status="Rejected", summary="not today")
    wait_status(cp, name, execution_id, "Failed")
    state = support.stage_state(cp, name, "Approval")
    assert state["latestExecution"]["status"] == "Failed"
    action = state["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed" and action["summary"] == "not today"
    assert action["errorDetails"]["code"] == "JobFailed"


def test_token_errors(cp, infra, source_repo):
    name, execution_id = make_pipeline(cp, infra, source_repo[0])
    token = approval_token(cp, name, execution_id)
    wrong = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as err:
        approve(cp, name, wrong)
    assert err.value.response["Error"]["Code"] == "InvalidApprovalTokenException"
    for kwargs, code in (({"stageName": "Nope"}, "StageNotFoundException"),
                         ({"actionName": "Nope"}, "ActionNotFoundException"),
                         ({"pipelineName": "no-such-pipeline"}, "PipelineNotFoundException")):
        call = {"pipelineName": name, "stageName": "Approval", "actionName": "ManualApproval",
                "result": {"summary": "", "status": "Approved"}, "token": token, **kwargs}
        with pytest.raises(ClientError) as err:
            cp.put_approval_result(**call)
        assert err.value.response["Error"]["Code"] == code
    with pytest.raises(ClientError) as err:
        cp.put_approval_result(pipelineName=name, stageName="Approval", actionName="ManualApproval",
                               result={"summary": "", "status": "approved"}, token=token)
    assert err.value.response["Error"]["Code"] == "ValidationException", "status is case-sensitive"
    approve(cp, name, token)
    with pytest.raises(ClientError) as err:
        approve(cp, name, token)
    assert err.value.response["Error"]["Code"] == "ApprovalAlreadyCompletedException"
    wait_status(cp, name, execution_id, "Succeeded")


@pytest.fixture
def faster_clock(localcloud):
    """The approval's 5-minute minimum at 0.002 instead of the session's 0.02 (0.6 s, not 6 s).
    Only waits that start during the test are affected."""
    saved = localcloud.clock.scale
    localcloud.clock.scale = 0.002
    yield
    localcloud.clock.scale = saved


def test_approval_times_out_as_a_failure(cp, infra, source_repo, faster_clock):
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket, [
        support.codecommit_source(source_repo[0]), support.approval_stage(timeoutInMinutes=5)]))
    execution_id = support.first_execution(cp, name)
    token = approval_token(cp, name, execution_id)
    wait_status(cp, name, execution_id, "Failed", timeout=20)
    action = support.stage_state(cp, name, "Approval")["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed" and "timed out" in action["errorDetails"]["message"]
    with pytest.raises(ClientError) as err:
        approve(cp, name, token)
    assert err.value.response["Error"]["Code"] == "InvalidApprovalTokenException", "an expired token is invalid"


def test_retry_after_reject_issues_a_new_token_and_continues_the_same_execution(cp, infra, source_repo):
    name, execution_id = make_pipeline(cp, infra, source_repo[0])
    first = approval_token(cp, name, execution_id)
    approve(cp, name, first, status="Rejected")
    wait_status(cp, name, execution_id, "Failed")
    answer = cp.retry_stage_execution(pipelineName=name, stageName="Approval", pipelineExecutionId=execution_id,
                                      retryMode="FAILED_ACTIONS")
    assert answer["pipelineExecutionId"] == execution_id
    second = approval_token(cp, name, execution_id)
    assert second != first
    approve(cp, name, second)
    wait_status(cp, name, execution_id, "Succeeded")
    runs = [d for d in cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
            if d["actionName"] == "ManualApproval"]
    assert [r["status"] for r in runs] == ["Succeeded", "Failed"], "newest first, both runs kept"
    with pytest.raises(ClientError) as err:
        cp.retry_stage_execution(pipelineName=name, stageName="Approval", pipelineExecutionId=execution_id,
                                 retryMode="FAILED_ACTIONS")
    assert err.value.response["Error"]["Code"] == "StageNotRetryableException"


def test_retry_is_refused_once_a_later_execution_ran_the_stage(cp, infra, source_repo):
    name, first_id = make_pipeline(cp, infra, source_repo[0])
    approve(cp, name, approval_token(cp, name, first_id), status="Rejected")
    wait_status(cp, name, first_id, "Failed")
    second_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    approval_token(cp, name, second_id)
    with pytest.raises(ClientError) as err:
        cp.retry_stage_execution(pipelineName=name, stageName="Approval", pipelineExecutionId=first_id,
                                 retryMode="FAILED_ACTIONS")
    assert err.value.response["Error"]["Code"] == "NotLatestPipelineExecutionException"


def test_stop_and_wait_then_stop_and_abandon(cp, infra, source_repo):
    name, execution_id = make_pipeline(cp, infra, source_repo[0])
    approval_token(cp, name, execution_id)
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, reason="wait for it")
    assert support.execution(cp, name, execution_id)["status"] == "Stopping"
    assert support.stage_state(cp, name, "Approval")["latestExecution"]["status"] == "Stopping"
    with pytest.raises(ClientError) as err:
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)
    assert err.value.response["Error"]["Code"] == "DuplicatedStopRequestException"
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id, abandon=True)
    wait_status(cp, name, execution_id, "Stopped")
    action = support.stage_state(cp, name, "Approval")["actionStates"][0]["latestExecution"]
    assert action["status"] == "Abandoned" and "token" not in action
    summary = support.executions(cp, name)[0]
    assert summary["stopTrigger"] == {"reason": "wait for it"}
    with pytest.raises(ClientError) as err:
        cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=execution_id)
    assert err.value.response["Error"]["Code"] == "PipelineExecutionNotStoppableException"


def test_newer_push_supersedes_the_execution_waiting_in_front_of_a_busy_approval(cp, aws, infra, source_repo):
    codecommit = aws("codecommit")
    repo = source_repo[0]
    name, first_id = make_pipeline(cp, infra, repo)
    first_token = approval_token(cp, name, first_id)
    support.push(codecommit, repo, "a.txt", "a")
    second_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_for(lambda: (support.stage_state(cp, name, "Approval").get("inboundExecution") or {}).get("pipelineExecutionId") == second_id,
             "the second execution waiting in front of Approval")
    third_commit = support.push(codecommit, repo, "b.txt", "b")
    third_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    wait_status(cp, name, second_id, "Superseded")
    assert support.execution(cp, name, first_id)["status"] == "InProgress", "the execution in the stage is never superseded"
    approve(cp, name, first_token)
    wait_status(cp, name, first_id, "Succeeded")
    third_token = approval_token(cp, name, third_id)
    assert support.execution(cp, name, third_id)["artifactRevisions"][0]["revisionId"] == third_commit
    approve(cp, name, third_token)
    wait_status(cp, name, third_id, "Succeeded")
    statuses = {e["pipelineExecutionId"]: e["status"] for e in support.executions(cp, name)}
    assert statuses == {first_id: "Succeeded", second_id: "Superseded", third_id: "Succeeded"}


def test_disabled_transition_keeps_the_inbound_execution_waiting(cp, infra, source_repo):
    name, first_id = make_pipeline(cp, infra, source_repo[0])
    approve(cp, name, approval_token(cp, name, first_id))
    wait_status(cp, name, first_id, "Succeeded")
    cp.disable_stage_transition(pipelineName=name, stageName="Approval", transitionType="Inbound", reason="freeze")
    second_id = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    state = wait_for(lambda: (lambda s: s if s.get("inboundExecution") else None)(support.stage_state(cp, name, "Approval")),
                     "an inbound execution at Approval")
    assert state["inboundExecution"]["pipelineExecutionId"] == second_id
    assert state["inboundTransitionState"]["enabled"] is False
    assert state["inboundTransitionState"]["disabledReason"] == "freeze"
    assert state["latestExecution"]["pipelineExecutionId"] == first_id
    cp.enable_stage_transition(pipelineName=name, stageName="Approval", transitionType="Inbound")
    approve(cp, name, approval_token(cp, name, second_id))
    wait_status(cp, name, second_id, "Succeeded")


def test_executions_are_listed_newest_first_with_pagination(cp, infra, source_repo):
    name, first_id = make_pipeline(cp, infra, source_repo[0], executionMode="PARALLEL")
    ids = [first_id] + [cp.start_pipeline_execution(name=name)["pipelineExecutionId"] for _ in range(3)]
    page = cp.list_pipeline_executions(pipelineName=name, maxResults=2)
    assert [e["pipelineExecutionId"] for e in page["pipelineExecutionSummaries"]] == ids[::-1][:2]
    rest = cp.list_pipeline_executions(pipelineName=name, maxResults=2, nextToken=page["nextToken"])
    assert [e["pipelineExecutionId"] for e in rest["pipelineExecutionSummaries"]] == ids[::-1][2:]
    assert "nextToken" not in rest
    # PARALLEL: no token in GetPipelineState; ListActionExecutions' externalExecutionId is the token.
    time.sleep(0.1)
    state = support.stage_state(cp, name, "Approval")
    assert "token" not in state["actionStates"][0].get("latestExecution", {})
    for execution_id in ids:
        details = wait_for(lambda: [d for d in cp.list_action_executions(
            pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
            if d["actionName"] == "ManualApproval" and d["output"]["executionResult"].get("externalExecutionId")],
            "the parallel approval")
        approve(cp, name, details[0]["output"]["executionResult"]["externalExecutionId"])
    for execution_id in ids:
        wait_status(cp, name, execution_id, "Succeeded")
