"""AssumeRole over HTTP is STS's trust check, not a credential vending machine: a caller gets a
role session only when the role's trust policy names it (conditions included), and what
localcloud cannot honour is refused by name."""
from __future__ import annotations

import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

ROOT = "arn:aws:iam::123456789012:root"


def _role(aws, *statements) -> str:
    trust = {"Version": "2012-10-17", "Statement": list(statements)}
    name = f"ar-{uuid.uuid4().hex[:8]}"
    return aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


def _trusting(principal: dict, **extra) -> dict:
    return {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **extra}


def _refusal(call) -> dict:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]


def test_a_role_trusting_the_account_hands_out_a_session_that_is_that_role(aws, localcloud):
    role = _role(aws, _trusting({"AWS": ROOT}))
    answer = aws("sts").assume_role(RoleArn=role, RoleSessionName="tester", DurationSeconds=900)
    session_arn = f"arn:aws:sts::123456789012:assumed-role/{role.rsplit('/', 1)[-1]}/tester"
    role_id = aws("iam").get_role(RoleName=role.rsplit("/", 1)[-1])["Role"]["RoleId"]
    assert answer["AssumedRoleUser"] == {"Arn": session_arn, "AssumedRoleId": f"{role_id}:tester"}
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    who = boto3.session.Session().client(
        "sts", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    assert who.get_caller_identity()["Arn"] == session_arn


def test_a_role_that_trusts_only_a_service_refuses_the_account(aws):
    role = _role(aws, _trusting({"Service": "codebuild.amazonaws.com"}))
    error = _refusal(lambda: aws("sts").assume_role(RoleArn=role, RoleSessionName="tester"))
    assert error["Code"] == "AccessDenied"
    assert error["Message"] == f"User: {ROOT} is not authorized to perform: sts:AssumeRole on resource: {role}"


def test_a_missing_role_is_refused_like_an_untrusting_one(aws):
    missing = "arn:aws:iam::123456789012:role/no-such-role"
    error = _refusal(lambda: aws("sts").assume_role(RoleArn=missing, RoleSessionName="tester"))
    assert error["Code"] == "AccessDenied"


def test_an_external_id_condition_holds_only_with_that_id(aws):
    role = _role(aws, _trusting({"AWS": ROOT}, Condition={"StringEquals": {"sts:ExternalId": "wanted-id"}}))
    sts = aws("sts")
    assert _refusal(lambda: sts.assume_role(RoleArn=role, RoleSessionName="ab"))["Code"] == "AccessDenied"
    assert _refusal(lambda: sts.assume_role(RoleArn=role, RoleSessionName="ab", ExternalId="other-id"))["Code"] == "AccessDenied"
    assert sts.assume_role(RoleArn=role, RoleSessionName="ab", ExternalId="wanted-id")["Credentials"]["AccessKeyId"]


def test_an_explicit_deny_in_the_trust_policy_wins(aws):
    role = _role(aws, _trusting({"AWS": ROOT}),
                 {"Effect": "Deny", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole",
                  "Condition": {"StringLike": {"sts:RoleSessionName": "blocked-*"}}})
    sts = aws("sts")
    assert sts.assume_role(RoleArn=role, RoleSessionName="allowed")["Credentials"]
    assert _refusal(lambda: sts.assume_role(RoleArn=role, RoleSessionName="blocked-1"))["Code"] == "AccessDenied"


@pytest.mark.parametrize("extra, named", [
    ({"Policy": json.dumps({"Version": "2012-10-17", "Statement": []})}, "session policies"),
    ({"PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}, "session policies"),
    ({"Tags": [{"Key": "team", "Value": "a"}]}, "session tags"),
    ({"SerialNumber": "arn:aws:iam::123456789012:mfa/x", "TokenCode": "123456"}, "MFA"),
])
def test_what_localcloud_cannot_honour_is_refused_by_name(aws, extra, named):
    role = _role(aws, _trusting({"AWS": ROOT}))
    error = _refusal(lambda: aws("sts").assume_role(RoleArn=role, RoleSessionName="tester", **extra))
    assert error["Code"] == "ValidationError"
    assert named in error["Message"]


def test_a_duration_beyond_the_roles_maximum_is_refused(aws):
    role = _role(aws, _trusting({"AWS": ROOT}))
    error = _refusal(lambda: aws("sts").assume_role(RoleArn=role, RoleSessionName="tester", DurationSeconds=7200))
    assert error["Code"] == "ValidationError"
    assert "MaxSessionDuration" in error["Message"]


def test_a_bad_session_name_is_refused_before_anything_is_issued(localcloud):
    sts = boto3.session.Session().client(
        "sts", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    error = _refusal(lambda: sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/x", RoleSessionName="bad name!"))
    assert error["Code"] == "ValidationError"
    assert "roleSessionName" in error["Message"]


def test_a_service_role_may_be_confined_to_one_project_by_source_arn(aws):
    """AWS's confused-deputy guard: CodeBuild passes the project as aws:SourceArn."""
    project = f"only-{uuid.uuid4().hex[:6]}"
    role = _role(aws, _trusting({"Service": "codebuild.amazonaws.com"}, Condition={
        "StringEquals": {"aws:SourceAccount": "123456789012"},
        "ArnLike": {"aws:SourceArn": f"arn:aws:codebuild:us-east-1:123456789012:project/{project}"}}))
    codebuild = aws("codebuild")
    config = dict(source={"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases: {build: {commands: [echo]}}"},
                  artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
                  environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                               "computeType": "BUILD_GENERAL1_SMALL"})
    assert codebuild.create_project(name=project, **config)["project"]["name"] == project
    error = _refusal(lambda: codebuild.create_project(name=f"other-{project}", **config))
    assert error["Code"] == "InvalidInputException"
    assert "not authorized to perform: sts:AssumeRole" in error["Message"]
