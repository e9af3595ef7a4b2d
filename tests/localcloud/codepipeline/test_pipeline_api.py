"""CreatePipeline / GetPipeline / UpdatePipeline / DeletePipeline / ListPipelines / tags: what AWS
accepts and refuses, and that nothing is half-created."""
from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import approval_token, wait_for, wait_status

pytestmark = pytest.mark.integration


def valid(infra, repo, name=None):
    return support.declaration(name or support.unique("pipe"), infra.pipeline_role, infra.bucket,
                               [support.codecommit_source(repo), support.approval_stage()])


def refused(cp, declaration, code, fragment, **kwargs):
    with pytest.raises(ClientError) as err:
        cp.create_pipeline(pipeline=declaration, **kwargs)
    assert err.value.response["Error"]["Code"] == code, err.value.response["Error"]
    assert fragment in err.value.response["Error"]["Message"]
    names = [p["name"] for p in cp.list_pipelines()["pipelines"]]
    assert declaration["name"] not in names, "a refused pipeline is not half-created"


def test_create_get_list_and_defaults(cp, infra, source_repo):
    declaration = valid(infra, source_repo[0])
    answer = cp.create_pipeline(pipeline=declaration, tags=[{"key": "team", "value": "ci"}])
    assert answer["pipeline"]["version"] == 1
    assert answer["tags"] == [{"key": "team", "value": "ci"}]
    got = cp.get_pipeline(name=declaration["name"])
    assert got["pipeline"]["executionMode"] == "SUPERSEDED", "the API default, V2 included"
    assert got["pipeline"]["stages"][1]["actions"][0]["runOrder"] == 1
    assert got["metadata"]["pipelineArn"] == f"arn:aws:codepipeline:us-east-1:123456789012:{declaration['name']}"
    listed = {p["name"]: p for p in cp.list_pipelines()["pipelines"]}
    assert listed[declaration["name"]]["pipelineType"] == "V2"
    assert cp.list_tags_for_resource(resourceArn=got["metadata"]["pipelineArn"])["tags"] == [{"key": "team", "value": "ci"}]
    with pytest.raises(ClientError) as err:
        cp.create_pipeline(pipeline=declaration)
    assert err.value.response["Error"]["Code"] == "PipelineNameInUseException"


def test_structure_errors(cp, aws, infra, source_repo):
    repo = source_repo[0]
    d = valid(infra, repo)
    d["stages"] = d["stages"][:1]
    refused(cp, d, "InvalidStructureException", "minimum of 2 stages")

    d = valid(infra, repo)
    d["artifactStores"] = {"us-east-1": {"type": "S3", "location": infra.bucket}}
    refused(cp, d, "InvalidStructureException", "either artifactStore or artifactStores")

    d = valid(infra, repo)
    d["stages"][1]["actions"].append(copy.deepcopy(d["stages"][0]["actions"][0]) | {"name": "Src2", "outputArtifacts": [{"name": "X"}]})
    refused(cp, d, "InvalidStructureException", "source actions")

    d = valid(infra, repo)
    d["stages"][1]["actions"][0]["inputArtifacts"] = [{"name": "Missing"}]
    refused(cp, d, "InvalidActionDeclarationException", "input artifact")

    d = valid(infra, repo)
    d["stages"].insert(1, {"name": "Build", "actions": [support.action("Build", "Build", "CodeBuild", {"ProjectName": "p"}, inputs=["Nope"])]})
    refused(cp, d, "InvalidStructureException", "Nope")

    d = valid(infra, repo)
    d["stages"][0]["actions"][0]["configuration"].pop("BranchName")
    refused(cp, d, "InvalidActionDeclarationException", "BranchName")

    d = valid(infra, repo)
    d["stages"][1]["actions"][0]["actionTypeId"]["provider"] = "Teleport"
    refused(cp, d, "InvalidActionDeclarationException", "is not available")

    d = valid(infra, repo)
    d["triggers"] = [{"providerType": "CodeStarSourceConnection",
                      "gitConfiguration": {"sourceActionName": "Source", "push": [{"branches": {"includes": ["main"]}}]}}]
    refused(cp, d, "InvalidStructureException", "CodeStarSourceConnection")

    d = valid(infra, repo)
    d["executionMode"] = "QUEUED"
    d["pipelineType"] = "V1"
    refused(cp, d, "ValidationException", "V2")


def test_role_and_bucket_are_checked(cp, aws, infra, source_repo):
    d = valid(infra, source_repo[0])
    d["roleArn"] = "arn:aws:iam::123456789012:role/does-not-exist"
    refused(cp, d, "InvalidStructureException", "not authorized to perform AssumeRole")
    d = valid(infra, source_repo[0])
    d["roleArn"] = infra.events_role
    refused(cp, d, "InvalidStructureException", "not authorized to perform AssumeRole")
    d = valid(infra, source_repo[0])
    d["artifactStore"]["location"] = support.unique("no-such-bucket")
    refused(cp, d, "InvalidStructureException", d["artifactStore"]["location"])


def test_names_must_match_the_model_pattern_entirely(cp, infra, source_repo):
    d = valid(infra, source_repo[0])
    d["name"] = "bad name!"
    refused(cp, d, "ValidationException", "bad name!")
    d = valid(infra, source_repo[0])
    d["stages"][1]["actions"][0]["name"] = "Manual Approval"
    refused(cp, d, "ValidationException", "Manual Approval")


def test_update_increments_version_and_cancels_running_executions(cp, infra, source_repo):
    d = valid(infra, source_repo[0])
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    approval_token(cp, d["name"], execution_id)
    d["stages"][1]["actions"][0]["configuration"] = {"CustomData": "v2"}
    answer = cp.update_pipeline(pipeline=d)
    assert answer["pipeline"]["version"] == 2
    execution = wait_status(cp, d["name"], execution_id, "Cancelled")
    assert execution["pipelineVersion"] == 1
    assert support.stage_state(cp, d["name"], "Approval")["actionStates"][0]["latestExecution"]["status"] == "Abandoned"
    assert cp.get_pipeline(name=d["name"], version=1)["pipeline"]["stages"][1]["actions"][0]["configuration"] == {}
    assert cp.get_pipeline(name=d["name"])["pipeline"]["version"] == 2
    with pytest.raises(ClientError) as err:
        cp.get_pipeline(name=d["name"], version=7)
    assert err.value.response["Error"]["Code"] == "PipelineVersionNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.retry_stage_execution(pipelineName=d["name"], stageName="Approval", pipelineExecutionId=execution_id,
                                 retryMode="ALL_ACTIONS")
    assert err.value.response["Error"]["Code"] == "StageNotRetryableException"


def test_delete_stops_executions_and_is_idempotent(cp, infra, source_repo):
    d = valid(infra, source_repo[0])
    cp.create_pipeline(pipeline=d)
    approval_token(cp, d["name"], support.first_execution(cp, d["name"]))
    cp.delete_pipeline(name=d["name"])
    cp.delete_pipeline(name=d["name"])
    for call in (lambda: cp.get_pipeline(name=d["name"]), lambda: cp.get_pipeline_state(name=d["name"]),
                 lambda: cp.list_pipeline_executions(pipelineName=d["name"])):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "PipelineNotFoundException"


def test_tags(cp, infra, source_repo):
    d = valid(infra, source_repo[0])
    arn = cp.create_pipeline(pipeline=d) and cp.get_pipeline(name=d["name"])["metadata"]["pipelineArn"]
    cp.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
    cp.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert cp.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "b", "value": "2"}]
    with pytest.raises(ClientError) as err:
        cp.tag_resource(resourceArn=arn, tags=[{"key": "aws:x", "value": "1"}])
    assert err.value.response["Error"]["Code"] == "InvalidTagsException"
    with pytest.raises(ClientError) as err:
        cp.list_tags_for_resource(resourceArn=arn + "-gone")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.list_tags_for_resource(resourceArn="arn:aws:codepipeline:us-east-1:123456789012:a/b")
    assert err.value.response["Error"]["Code"] == "InvalidArnException"


def test_unknown_pipeline_and_execution(cp, infra, source_repo):
    for call, code in ((lambda: cp.get_pipeline_state(name="nope"), "PipelineNotFoundException"),
                       (lambda: cp.start_pipeline_execution(name="nope"), "PipelineNotFoundException")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == code
    d = valid(infra, source_repo[0])
    cp.create_pipeline(pipeline=d)
    with pytest.raises(ClientError) as err:
        cp.get_pipeline_execution(pipelineName=d["name"], pipelineExecutionId="00000000-0000-4000-8000-000000000000")
    assert err.value.response["Error"]["Code"] == "PipelineExecutionNotFoundException"
    with pytest.raises(ClientError) as err:
        cp.start_pipeline_execution(name=d["name"], variables=[{"name": "undeclared", "value": "x"}])
    assert err.value.response["Error"]["Code"] == "ValidationException"


def test_an_action_localcloud_does_not_run_fails_clearly(cp, aws, infra, source_repo):
    d = valid(infra, source_repo[0])
    d["stages"][1] = {"name": "Invoke", "actions": [support.action("Lambda", "Invoke", "Lambda", {"FunctionName": "f"},
                                                                   inputs=["SourceArtifact"])]}
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Failed")
    action = support.stage_state(cp, d["name"], "Invoke")["actionStates"][0]["latestExecution"]
    assert action["status"] == "Failed"
    assert "Invoke/AWS/Lambda/1" in action["errorDetails"]["message"]


def test_missing_repository_and_branch_fail_at_the_source_action(cp, aws, infra):
    d = valid(infra, support.unique("no-such-repo"))
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Failed")
    action = support.stage_state(cp, d["name"], "Source")["actionStates"][0]["latestExecution"]
    assert action["errorDetails"]["code"] == "ConfigurationError"
    assert d["stages"][0]["actions"][0]["configuration"]["RepositoryName"] in action["errorDetails"]["message"]

    empty = support.unique("empty-repo")
    aws("codecommit").create_repository(repositoryName=empty)
    d = valid(infra, empty)
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Failed")
    action = support.stage_state(cp, d["name"], "Source")["actionStates"][0]["latestExecution"]
    assert action["errorDetails"]["message"].startswith(
        f"The action failed because no branch named main was found in the selected AWS CodeCommit repository {empty}.")


def test_approval_notification_is_published_to_sns(cp, aws, infra, source_repo):
    sns, sqs = aws("sns"), aws("sqs")
    topic = sns.create_topic(Name=support.unique("approvals"))["TopicArn"]
    queue_url = sqs.create_queue(QueueName=support.unique("approvals"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    d = valid(infra, source_repo[0])
    d["stages"][1]["actions"][0]["configuration"] = {"NotificationArn": topic, "CustomData": "please review",
                                                      "ExternalEntityLink": "http://example.com/review"}
    cp.create_pipeline(pipeline=d)
    token = approval_token(cp, d["name"], support.first_execution(cp, d["name"]))
    import json
    messages = wait_for(lambda: sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0).get("Messages"), "the SNS notification")
    body = json.loads(messages[0]["Body"])
    assert body["approval"]["token"] == token
    assert body["approval"]["pipelineName"] == d["name"]
    assert body["approval"]["customData"] == "please review"
    assert body["approval"]["externalEntityLink"] == "http://example.com/review"
