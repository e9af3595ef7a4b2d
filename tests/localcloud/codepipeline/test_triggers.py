"""What starts a pipeline: an EventBridge rule on a push, PollForSourceChanges, and nothing else."""
from __future__ import annotations

import json
import time

import pytest

from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import approval_token, approve, wait_for, wait_status

pytestmark = pytest.mark.integration


def push_rule(events, repo_arn: str, pipeline_arn: str, role_arn: str, transformer: dict | None = None) -> str:
    name = support.unique("rule")
    events.put_rule(Name=name, EventPattern=json.dumps({
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"], "resources": [repo_arn],
        "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": ["main"]},
    }))
    target = {"Id": "pipeline", "Arn": pipeline_arn, "RoleArn": role_arn}
    if transformer:
        target["InputTransformer"] = transformer
    events.put_targets(Rule=name, Targets=[target])
    return name


def create(cp, infra, repo, poll="false"):
    name = support.unique("pipe")
    arn_stage = [support.codecommit_source(repo, poll=poll), support.approval_stage()]
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket, arn_stage))
    first = support.first_execution(cp, name)
    approve(cp, name, approval_token(cp, name, first))
    wait_status(cp, name, first, "Succeeded")
    return name, cp.get_pipeline(name=name)["metadata"]["pipelineArn"]


def test_a_push_starts_the_pipeline_through_an_eventbridge_rule(cp, aws, infra, source_repo, localcloud):
    codecommit, events = aws("codecommit"), aws("events")
    repo = source_repo[0]
    name, pipeline_arn = create(cp, infra, repo)
    repo_arn = codecommit.get_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    rule = push_rule(events, repo_arn, pipeline_arn, infra.events_role)

    commit = support.push(codecommit, repo, "app.txt", "v2", "release v2")
    newest = wait_for(lambda: (lambda e: e[0] if len(e) == 2 else None)(support.executions(cp, name)), "a push-started execution")
    assert newest["trigger"]["triggerType"] == "CloudWatchEvent"
    assert newest["trigger"]["triggerDetail"].endswith(f":rule/{rule}")
    assert newest["sourceRevisions"][0]["revisionId"] == commit
    token = approval_token(cp, name, newest["pipelineExecutionId"])
    approve(cp, name, token)
    execution = wait_status(cp, name, newest["pipelineExecutionId"], "Succeeded")
    assert execution["artifactRevisions"][0]["revisionSummary"] == "release v2"


def test_a_push_starts_nothing_without_rule_or_polling(cp, aws, infra, source_repo, localcloud):
    codecommit = aws("codecommit")
    repo = source_repo[0]
    name, _ = create(cp, infra, repo, poll="false")
    support.push(codecommit, repo, "app.txt", "v2")
    localcloud.services.events.wait_idle()
    time.sleep(localcloud.clock.scaled(60) * 1.5)  # past one (scaled) polling period
    assert len(support.executions(cp, name)) == 1


def test_a_rule_whose_role_does_not_trust_events_starts_nothing(cp, aws, infra, source_repo, localcloud):
    codecommit, events = aws("codecommit"), aws("events")
    repo = source_repo[0]
    name, pipeline_arn = create(cp, infra, repo)
    repo_arn = codecommit.get_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    push_rule(events, repo_arn, pipeline_arn, infra.pipeline_role)   # trusts codepipeline, not events
    support.push(codecommit, repo, "app.txt", "v2")
    assert localcloud.services.events.wait_idle()
    assert len(support.executions(cp, name)) == 1


def test_input_transformer_source_revisions_override_the_revision(cp, aws, infra, source_repo, localcloud):
    codecommit, events = aws("codecommit"), aws("events")
    repo, first_commit = source_repo
    name, pipeline_arn = create(cp, infra, repo)
    repo_arn = codecommit.get_repository(repositoryName=repo)["repositoryMetadata"]["Arn"]
    # Deliberately point at the *old* commit, to see that the override is what is used.
    transformer = {"InputPathsMap": {"repo": "$.detail.repositoryName"},
                   "InputTemplate": json.dumps({"sourceRevisions": {"actionName": "Source", "revisionType": "COMMIT_ID",
                                                                   "revisionValue": first_commit}})}
    push_rule(events, repo_arn, pipeline_arn, infra.events_role, transformer)
    support.push(codecommit, repo, "app.txt", "v2")
    newest = wait_for(lambda: (lambda e: e[0] if len(e) == 2 else None)(support.executions(cp, name)), "the override run")
    approval_token(cp, name, newest["pipelineExecutionId"])
    execution = support.execution(cp, name, newest["pipelineExecutionId"])
    assert execution["artifactRevisions"][0]["revisionId"] == first_commit


def test_poll_for_source_changes_by_default_starts_on_a_new_commit(cp, aws, infra, source_repo):
    codecommit = aws("codecommit")
    repo = source_repo[0]
    name, _ = create(cp, infra, repo, poll=None)   # omitted: CodePipeline polls (action-reference-CodeCommit.html)
    commit = support.push(codecommit, repo, "app.txt", "v2")
    newest = wait_for(lambda: (lambda e: e[0] if len(e) == 2 else None)(support.executions(cp, name)),
                      "a polling-started execution", timeout=10)
    assert newest["trigger"]["triggerType"] == "PollForSourceChanges"
    assert newest["sourceRevisions"][0]["revisionId"] == commit
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=newest["pipelineExecutionId"], abandon=True)


def test_start_pipeline_execution_is_idempotent_per_client_token_and_takes_variables(cp, infra, source_repo):
    name = support.unique("pipe")
    cp.create_pipeline(pipeline=support.declaration(
        name, infra.pipeline_role, infra.bucket,
        [support.codecommit_source(source_repo[0]),
         {"name": "Approval", "actions": [support.action("ManualApproval", "Approval", "Manual",
                                                         {"CustomData": "env=#{variables.env} commit=#{SourceVariables.CommitId}"})]}],
        variables=[{"name": "env", "defaultValue": "dev"}]))
    creation = support.first_execution(cp, name)
    approve(cp, name, approval_token(cp, name, creation))
    assert support.execution(cp, name, creation)["variables"] == [{"name": "env", "resolvedValue": "dev"}]
    first = cp.start_pipeline_execution(name=name, clientRequestToken="token-1", variables=[{"name": "env", "value": "prod"}])
    again = cp.start_pipeline_execution(name=name, clientRequestToken="token-1", variables=[{"name": "env", "value": "prod"}])
    assert first["pipelineExecutionId"] == again["pipelineExecutionId"]
    execution_id = first["pipelineExecutionId"]
    approval_token(cp, name, execution_id)
    execution = support.execution(cp, name, execution_id)
    assert execution["variables"] == [{"name": "env", "resolvedValue": "prod"}]
    assert execution["trigger"]["triggerType"] == "StartPipelineExecution"
    detail = next(d for d in cp.list_action_executions(pipelineName=name, filter={"pipelineExecutionId": execution_id})["actionExecutionDetails"]
                  if d["actionName"] == "ManualApproval")
    assert detail["input"]["resolvedConfiguration"]["CustomData"] == f"env=prod commit={source_repo[1]}"
    assert detail["input"]["configuration"]["CustomData"].startswith("env=#{variables.env}")


def test_source_revisions_override_through_the_api(cp, aws, infra, source_repo):
    repo, first_commit = source_repo
    name, _ = create(cp, infra, repo)
    support.push(aws("codecommit"), repo, "app.txt", "v2")
    execution_id = cp.start_pipeline_execution(name=name, sourceRevisions=[
        {"actionName": "Source", "revisionType": "COMMIT_ID", "revisionValue": first_commit}])["pipelineExecutionId"]
    approval_token(cp, name, execution_id)
    assert support.execution(cp, name, execution_id)["artifactRevisions"][0]["revisionId"] == first_commit
    with pytest.raises(Exception) as err:
        cp.start_pipeline_execution(name=name, sourceRevisions=[
            {"actionName": "Source", "revisionType": "S3_OBJECT_KEY", "revisionValue": "x"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_execution_state_changes_are_published_to_eventbridge(cp, aws, infra, source_repo, localcloud):
    events, sqs = aws("events"), aws("sqs")
    queue_url = sqs.create_queue(QueueName=support.unique("cp-events"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name = support.unique("pipe")
    rule = support.unique("cp-state")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
        "detail": {"pipeline": [name]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    cp.create_pipeline(pipeline=support.declaration(name, infra.pipeline_role, infra.bucket,
                                                    [support.codecommit_source(source_repo[0]), support.approval_stage()]))
    execution_id = support.first_execution(cp, name)
    approve(cp, name, approval_token(cp, name, execution_id))
    wait_status(cp, name, execution_id, "Succeeded")

    def states():
        localcloud.services.events.wait_idle()
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        seen.extend(json.loads(m["Body"])["detail"]["state"] for m in got)
        return "SUCCEEDED" in seen

    seen: list[str] = []
    wait_for(states, "the SUCCEEDED state-change event")
    assert seen[0] == "STARTED"
