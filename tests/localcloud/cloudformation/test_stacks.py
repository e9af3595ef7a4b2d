"""CloudFormation is moto's: it loads in localcloud's pinned environment and creates and deletes
stacks of moto-kept services; stacks that declare resources of services localcloud runs itself
are refused before anything is created (localcloud/cloudformation/owned_resources.py)."""
from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _template(**resources) -> str:
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})


def _queue_and_parameter(name: str) -> dict:
    return {
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}},
        "Param": {"Type": "AWS::SSM::Parameter",
                  "Properties": {"Name": f"/{name}", "Type": "String", "Value": "from-a-stack"}},
    }


def test_a_stack_of_moto_kept_services_is_created_and_deleted(aws):
    cfn, sqs, ssm = aws("cloudformation"), aws("sqs"), aws("ssm")
    name = f"cfn-{uuid.uuid4().hex[:10]}"
    stack_id = cfn.create_stack(StackName=name, TemplateBody=_template(**_queue_and_parameter(name)))["StackId"]
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["StackId"] == stack_id
    kinds = {r["LogicalResourceId"]: r["ResourceType"] for r in cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert kinds == {"Queue": "AWS::SQS::Queue", "Param": "AWS::SSM::Parameter"}
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    assert ssm.get_parameter(Name=f"/{name}")["Parameter"]["Value"] == "from-a-stack"

    cfn.delete_stack(StackName=name)
    deleted = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert deleted["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(ClientError) as err:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    assert "NonExistentQueue" in err.value.response["Error"]["Code"] or "QueueDoesNotExist" in err.value.response["Error"]["Code"]
    with pytest.raises(ClientError) as err:
        ssm.get_parameter(Name=f"/{name}")
    assert err.value.response["Error"]["Code"] == "ParameterNotFound"


OWNED = {
    "AWS::CodeBuild::Project": {"Name": "p", "ServiceRole": "arn:aws:iam::123456789012:role/r",
                                "Source": {"Type": "NO_SOURCE"}, "Artifacts": {"Type": "NO_ARTIFACTS"},
                                "Environment": {"Type": "LINUX_CONTAINER", "ComputeType": "BUILD_GENERAL1_SMALL",
                                                "Image": "aws/codebuild/standard:7.0"}},
    "AWS::CodeCommit::Repository": {"RepositoryName": "r"},
    "AWS::CodeDeploy::Application": {"ApplicationName": "a"},
    "AWS::CodePipeline::Pipeline": {"RoleArn": "arn:aws:iam::123456789012:role/r", "Stages": []},
    "AWS::Events::Rule": {"EventPattern": {"source": ["x"]}},
    "AWS::CloudWatch::Alarm": {"MetricName": "m", "Namespace": "n", "Statistic": "Sum", "Period": 60,
                               "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "GreaterThanThreshold"},
}


@pytest.mark.parametrize("kind", sorted(OWNED))
def test_a_stack_declaring_a_resource_localcloud_owns_is_refused_at_create_stack(aws, kind):
    cfn, sqs = aws("cloudformation"), aws("sqs")
    name = f"cfn-{uuid.uuid4().hex[:10]}"
    template = _template(**_queue_and_parameter(name), Owned={"Type": kind, "Properties": OWNED[kind]})
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName=name, TemplateBody=template)
    error = err.value.response["Error"]
    assert (error["Code"], err.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationError", 400)
    assert kind in error["Message"] and "localcloud does not create" in error["Message"]
    # nothing half-made: no stack, and not the queue it also declares
    with pytest.raises(ClientError):
        cfn.describe_stacks(StackName=name)
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_update_stack_and_change_sets_cannot_add_a_resource_localcloud_owns(aws):
    cfn = aws("cloudformation")
    name = f"cfn-{uuid.uuid4().hex[:10]}"
    cfn.create_stack(StackName=name, TemplateBody=_template(**_queue_and_parameter(name)))
    grown = _template(**_queue_and_parameter(name),
                      Repo={"Type": "AWS::CodeCommit::Repository", "Properties": {"RepositoryName": name}})
    try:
        with pytest.raises(ClientError) as err:
            cfn.update_stack(StackName=name, TemplateBody=grown)
        assert err.value.response["Error"]["Code"] == "ValidationError"
        assert "AWS::CodeCommit::Repository" in err.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as err:
            cfn.create_change_set(StackName=name, ChangeSetName="grow", TemplateBody=grown)
        assert "AWS::CodeCommit::Repository" in err.value.response["Error"]["Message"]
        assert name not in [r["repositoryName"] for r in aws("codecommit").list_repositories()["repositories"]]
        assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    finally:
        cfn.delete_stack(StackName=name)


def test_a_yaml_template_is_checked_too(aws):
    cfn = aws("cloudformation")
    body = "Resources:\n  App:\n    Type: AWS::CodeDeploy::Application\n    Properties:\n      ApplicationName: !Sub '${AWS::StackName}-app'\n"
    with pytest.raises(ClientError) as err:
        cfn.create_stack(StackName=f"cfn-{uuid.uuid4().hex[:10]}", TemplateBody=body)
    assert "AWS::CodeDeploy::Application" in err.value.response["Error"]["Message"]
