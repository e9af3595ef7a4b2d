"""A request signed with a role session's or an IAM user's credentials is held to that
identity's policies, as AWS holds it: the build's own `aws` calls, an S3 object read, a
user's EC2 call. Bad or expired session credentials are refused before anything runs."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"},
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _policy(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _role(aws, *statements) -> str:
    iam, name = aws("iam"), f"req-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=_policy(*statements))
    return arn


def _session_client(localcloud, creds: dict, service: str, token: str | None = None):
    return boto3.session.Session().client(
        service, endpoint_url=localcloud.url, region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=token if token is not None else creds.get("SessionToken"),
        config=Config(retries={"max_attempts": 1}))


def _assume(aws, role_arn: str) -> dict:
    return aws("sts").assume_role(RoleArn=role_arn, RoleSessionName="tester")["Credentials"]


def test_a_role_session_may_do_what_its_policy_allows_and_nothing_else(aws, localcloud):
    ssm, stem = aws("ssm"), f"/req/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=f"{stem}/allowed", Value="a", Type="String")
    ssm.put_parameter(Name=f"{stem}/other", Value="b", Type="String")
    role = _role(aws, {"Effect": "Allow", "Action": "ssm:GetParameter",
                       "Resource": f"arn:aws:ssm:us-east-1:123456789012:parameter{stem}/allowed"})
    client = _session_client(localcloud, _assume(aws, role), "ssm")
    assert client.get_parameter(Name=f"{stem}/allowed")["Parameter"]["Value"] == "a"
    with pytest.raises(ClientError) as denied:
        client.get_parameter(Name=f"{stem}/other")
    session = f"arn:aws:sts::123456789012:assumed-role/{role.rsplit('/', 1)[-1]}/tester"
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert denied.value.response["Error"]["Message"] == (
        f"User: {session} is not authorized to perform: ssm:GetParameter on resource: "
        f"arn:aws:ssm:us-east-1:123456789012:parameter{stem}/other because no identity-based policy allows "
        "the ssm:GetParameter action")
    # no permission is needed to ask who you are
    sts = _session_client(localcloud, _assume(aws, role), "sts")
    assert sts.get_caller_identity()["Arn"] == session
    assert any(d.principal == session and d.action == "ssm:GetParameter" and not d.allowed
               for d in localcloud.authorizer.log.decisions()), "the refusal is in the authorization log"


def test_s3_requests_are_authorized_per_action_and_object(aws, localcloud):
    s3, bucket = aws("s3"), f"req-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="out/b.txt", Body=b"b")
    role = _role(aws, {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/in/*"})
    client = _session_client(localcloud, _assume(aws, role), "s3")
    assert client.get_object(Bucket=bucket, Key="in/a.txt")["Body"].read() == b"a"
    assert client.head_object(Bucket=bucket, Key="in/a.txt")["ContentLength"] == 1  # HeadObject needs GetObject
    for call in (lambda: client.get_object(Bucket=bucket, Key="out/b.txt"),
                 lambda: client.put_object(Bucket=bucket, Key="in/c.txt", Body=b"c"),
                 lambda: client.list_objects_v2(Bucket=bucket)):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
        assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "c.txt" not in json.dumps([o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])])


def test_an_explicit_deny_in_a_session_policy_set_beats_an_allow(aws, localcloud):
    role = _role(aws, {"Effect": "Allow", "Action": "*", "Resource": "*"},
                 {"Effect": "Deny", "Action": "sqs:CreateQueue", "Resource": "*"})
    client = _session_client(localcloud, _assume(aws, role), "sqs")
    with pytest.raises(ClientError) as denied:
        client.create_queue(QueueName=f"req-{uuid.uuid4().hex[:8]}")
    assert "with an explicit deny in an identity-based policy" in denied.value.response["Error"]["Message"]


def test_a_wrong_session_token_or_an_expired_session_is_refused(aws, localcloud):
    role = _role(aws, {"Effect": "Allow", "Action": "*", "Resource": "*"})
    creds = _assume(aws, role)
    with pytest.raises(ClientError) as wrong:
        _session_client(localcloud, creds, "ssm", token="not-the-token").describe_parameters()
    assert wrong.value.response["Error"]["Code"] == "UnrecognizedClientException"
    with pytest.raises(ClientError) as wrong_query:
        _session_client(localcloud, creds, "sts", token="not-the-token").get_caller_identity()
    assert wrong_query.value.response["Error"]["Code"] == "InvalidClientTokenId"

    from moto.sts.models import sts_backends

    session = next(s for s in sts_backends["123456789012"]["aws"].assumed_roles if s.access_key_id == creds["AccessKeyId"])
    session.expiration = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=1)
    with pytest.raises(ClientError) as expired:
        _session_client(localcloud, creds, "ssm").describe_parameters()
    assert expired.value.response["Error"]["Code"] == "ExpiredTokenException"


def test_an_iam_users_access_key_is_held_to_the_users_policies(aws, localcloud):
    iam, name = aws("iam"), f"req-user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}
    ec2 = _session_client(localcloud, creds, "ec2")
    ec2.describe_vpcs()
    with pytest.raises(ClientError) as denied:
        ec2.describe_subnets()
    assert denied.value.response["Error"]["Code"] == "UnauthorizedOperation"
    assert denied.value.response["Error"]["Message"].startswith(
        f"You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/{name} "
        "is not authorized to perform: ec2:DescribeSubnets on resource: *")
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as inactive:
        ec2.describe_vpcs()
    assert inactive.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_a_builds_own_aws_calls_are_held_to_its_service_role(aws, localcloud):
    from tests.localcloud.codebuild.conftest import CodeBuildHelper

    ssm, stem = aws("ssm"), f"/req/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=f"{stem}/config", Value="cfg", Type="String")
    role = _role(aws, {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                       "Resource": "*"})
    codebuild = CodeBuildHelper(aws, role)
    spec = ("version: 0.2\nphases:\n  build:\n    commands:\n"
            f"      - aws ssm get-parameter --name {stem}/config --query Parameter.Value --output text\n")
    build = codebuild.run(codebuild.project(spec))
    lines = codebuild.log(build)
    assert build["buildStatus"] == "FAILED"
    assert codebuild.phase(build, "BUILD")["phaseStatus"] == "FAILED"
    assert any("AccessDeniedException" in line and "is not authorized to perform: ssm:GetParameter" in line
               for line in lines), lines


def test_handing_a_role_to_a_service_needs_iam_pass_role_for_that_service(aws, localcloud):
    iam, name = aws("iam"), f"req-user-{uuid.uuid4().hex[:8]}"
    build_role = _role(aws, {"Effect": "Allow", "Action": "*", "Resource": "*"})
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "codebuild:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": build_role,
         "Condition": {"StringEquals": {"iam:PassedToService": "codepipeline.amazonaws.com"}}}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    codebuild = _session_client(localcloud, {"AccessKeyId": key["AccessKeyId"],
                                             "SecretAccessKey": key["SecretAccessKey"]}, "codebuild")
    project = dict(name=f"req-{uuid.uuid4().hex[:8]}", source={"type": "NO_SOURCE", "buildspec": "version: 0.2"},
                   artifacts={"type": "NO_ARTIFACTS"}, serviceRole=build_role,
                   environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"})
    with pytest.raises(ClientError) as denied:
        codebuild.create_project(**project)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"iam:PassRole on resource: {build_role}" in denied.value.response["Error"]["Message"]
    assert not aws("codebuild").batch_get_projects(names=[project["name"]])["projects"], "nothing was created"
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "codebuild:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": build_role,
         "Condition": {"StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}}}))
    codebuild.create_project(**project)
