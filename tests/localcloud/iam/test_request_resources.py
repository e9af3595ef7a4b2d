"""The IAM action and resources a request is evaluated on (resources.py, s3_actions.py)."""
from localcloud.iam import resources, s3_actions
from localcloud.iam.requests import query_params


def _request(signing, operation, **params):
    return resources.Request(signing, operation, params, "eu-west-1", "123456789012")


def test_actions_use_the_iam_prefix_and_resources_the_service_authorization_reference_arns():
    assert _request("monitoring", "PutMetricAlarm", AlarmName="a").action == "cloudwatch:PutMetricAlarm"
    assert resources.resources(_request("monitoring", "PutMetricAlarm", AlarmName="a")) == [
        "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:a"]
    assert resources.resources(_request("ssm", "GetParameters", Names=["/a/b", "c"])) == [
        "arn:aws:ssm:eu-west-1:123456789012:parameter/a/b", "arn:aws:ssm:eu-west-1:123456789012:parameter/c"]
    assert resources.resources(_request("codebuild", "BatchGetBuilds", ids=["p:1", "p:2"])) == [
        "arn:aws:codebuild:eu-west-1:123456789012:project/p"]
    assert resources.resources(_request("codepipeline", "PutApprovalResult", pipelineName="p", stageName="s",
                                        actionName="a")) == ["arn:aws:codepipeline:eu-west-1:123456789012:p/s/a"]
    assert resources.resources(_request("codedeploy", "CreateDeployment", applicationName="app",
                                        deploymentGroupName="g")) == [
        "arn:aws:codedeploy:eu-west-1:123456789012:deploymentgroup:app/g"]
    assert resources.resources(_request("sqs", "SendMessage", QueueUrl="http://h/123456789012/q")) == [
        "arn:aws:sqs:eu-west-1:123456789012:q"]
    assert resources.resources(_request("events", "PutEvents", Entries=[{"Source": "x"}])) == [
        "arn:aws:events:eu-west-1:123456789012:event-bus/default"]


def test_what_cannot_be_named_is_evaluated_on_star():
    assert resources.resources(_request("ec2", "DescribeInstances")) == ["*"]
    assert resources.resources(_request("elasticloadbalancing", "DescribeTargetHealth",
                                        TargetGroupArn="arn:aws:elasticloadbalancing:r:a:targetgroup/t/1")) == [
        "arn:aws:elasticloadbalancing:r:a:targetgroup/t/1"]


def test_s3_actions_follow_method_path_and_subresource():
    def need(method, path, query="", headers=None, body=b""):
        return [(n.action, n.bucket, n.key) for n in s3_actions.needs(method, path, query, headers or {}, body)]

    assert need("GET", "/") == [("ListAllMyBuckets", None, None)]
    assert need("GET", "/b", "list-type=2") == [("ListBucket", "b", None)]
    assert need("HEAD", "/b/k") == [("GetObject", "b", "k")]
    assert need("GET", "/b/k", "versionId=1") == [("GetObjectVersion", "b", "k")]
    assert need("PUT", "/b", "versioning") == [("PutBucketVersioning", "b", None)]
    assert need("DELETE", "/b", "tagging") == [("PutBucketTagging", "b", None)]
    assert need("PUT", "/b/k", headers={"x-amz-copy-source": "/src/s%2Fk"}) == [
        ("PutObject", "b", "k"), ("GetObject", "src", "s/k")]
    assert need("POST", "/b/k", "uploads") == [("PutObject", "b", "k")]
    assert need("POST", "/b", "delete", body=b"<Delete><Object><Key>x/1</Key></Object></Delete>") == [
        ("DeleteObject", "b", "x/1")]
    assert need("POST", "/b", "delete", body=b"<Delete><Object><Key>a&amp;b</Key><VersionId>v</VersionId></Object>"
                                              b"</Delete>") == [("DeleteObjectVersion", "b", "a&b")]
    assert need("DELETE", "/b/k", "versionId=3") == [("DeleteObjectVersion", "b", "k")]


def test_query_list_members_are_gathered():
    params = query_params(b"Action=DeleteAlarms&AlarmNames.member.1=a&AlarmNames.member.2=b")
    assert params["Action"] == "DeleteAlarms" and params["AlarmNames"] == ["a", "b"]


def test_tags_given_on_create_need_the_tagging_action_too():
    assert resources.tagging_action(_request("iam", "CreateRole", RoleName="r", **{"Tags.member.1.Key": "k"})) == "iam:TagRole"
    assert resources.tagging_action(_request("iam", "CreateRole", RoleName="r")) is None
    assert resources.tagging_action(_request("codepipeline", "CreatePipeline", tags=[{"key": "k"}])) == \
        "codepipeline:TagResource"
