"""Denials end to end, over the wire and through the services: a role session's request is refused
with the code its protocol uses and IAM's message (JSON: AccessDeniedException, query:
AccessDenied, S3: AccessDenied with the resource quoted); an explicit Deny beats an Allow in a
build as it does in a request; and a build that failed for a missing permission succeeds once the
grant has propagated, not before. The per-service forms are in tests/localcloud/{codebuild,
codepipeline,codedeploy}/test_denials.py."""
from __future__ import annotations

import json
import time
import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codebuild.conftest import ENVIRONMENT, TRUST

pytestmark = [pytest.mark.integration, pytest.mark.iam_propagation]

ACCOUNT = "123456789012"
REAL_DELAY = 2.0   # the early build must reach DOWNLOAD_SOURCE within it, even on a loaded machine


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def cloud(localcloud):
    """The session's localcloud with a propagation delay of REAL_DELAY real seconds (as in
    test_propagation.py: the view reads the setting at each question)."""
    iam = localcloud.settings.iam
    saved, iam.propagation_delay = iam.propagation_delay, REAL_DELAY / localcloud.settings.time_scale
    yield localcloud
    iam.propagation_delay = saved


def _propagated(cloud) -> None:
    time.sleep(cloud.iam_view.delay + 0.2)


def _session_client(cloud, role_arn: str, service: str):
    """A client signed with an AssumeRole session of `role_arn` (as the account's own caller)."""
    creds = cloud.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="denials")["Credentials"]
    return boto3.client(service, region_name="us-east-1", endpoint_url=cloud.url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def _error(call) -> dict:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]


def test_each_protocol_answers_its_own_code_with_iams_message(cloud):
    iam, name = cloud.client("iam"), _unique("wire")
    trust = _policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["s3:*", "sts:*"], "Resource": "*"}))
    bucket = _unique("wire")
    cloud.client("s3").create_bucket(Bucket=bucket)
    cloud.client("s3").put_object(Bucket=bucket, Key="k", Body=b"x")
    _propagated(cloud)
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/denials"
    explicit = "with an explicit deny in an identity-based policy"

    s3 = _error(lambda: _session_client(cloud, role, "s3").get_object(Bucket=bucket, Key="k"))        # rest-xml
    assert (s3["Code"], s3["Message"]) == ("AccessDenied", f'User: {session} is not authorized to perform: s3:GetObject '
                                                           f'on resource: "arn:aws:s3:::{bucket}/k" {explicit}')
    ssm = _error(lambda: _session_client(cloud, role, "ssm").get_parameters(Names=["/x"]))             # json
    assert (ssm["Code"], ssm["Message"]) == ("AccessDeniedException", f"User: {session} is not authorized to perform: "
                                             f"ssm:GetParameters on resource: arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/x {explicit}")
    got = _error(lambda: _session_client(cloud, role, "iam").get_role(RoleName=name))                  # query
    assert (got["Code"], got["Message"]) == ("AccessDenied", f"User: {session} is not authorized to perform: iam:GetRole "
                                             f"on resource: {role} {explicit}")
    assert _session_client(cloud, role, "s3").put_object(Bucket=bucket, Key="k2", Body=b"y")  # the Allow still holds


def _build(cloud, role: str, buildspec: str, timeout: float = 30) -> dict:
    cb, project = cloud.client("codebuild"), _unique("e2e")
    cb.create_project(name=project, serviceRole=role, artifacts={"type": "NO_ARTIFACTS"}, environment=ENVIRONMENT,
                      source={"type": "NO_SOURCE", "buildspec": buildspec})
    build_id = cb.start_build(projectName=project)["build"]["id"]
    deadline = time.monotonic() + timeout
    while not (build := cb.batch_get_builds(ids=[build_id])["builds"][0])["buildComplete"]:
        assert time.monotonic() < deadline, f"build {build_id} did not end"
        time.sleep(0.05)
    return build


def _parameter_spec(name: str) -> str:
    return f"version: 0.2\nenv:\n  parameter-store:\n    V: {name}\nphases:\n  build:\n    commands:\n      - echo ok\n"


def test_an_explicit_deny_beats_an_allow_in_a_build(cloud):
    iam, name, parameter = cloud.client("iam"), _unique("e2e-deny"), f"/e2e/{uuid.uuid4().hex[:8]}"
    cloud.client("ssm").put_parameter(Name=parameter, Value="v", Type="String")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "ssm:GetParameters", "Resource": f"arn:aws:ssm:*:*:parameter{parameter}"}))
    _propagated(cloud)
    build = _build(cloud, role, _parameter_spec(parameter))
    phase = next(p for p in build["phases"] if p.get("phaseStatus") == "FAILED")
    assert (build["buildStatus"], phase["phaseType"]) == ("FAILED", "DOWNLOAD_SOURCE")
    assert phase["contexts"][0]["statusCode"] == "Decrypted Variables Error"
    assert phase["contexts"][0]["message"].endswith(
        f"ssm:GetParameters on resource: arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{parameter} "
        "with an explicit deny in an identity-based policy")


def test_a_grant_mends_a_failing_build_only_once_it_has_propagated(cloud):
    iam, name, parameter = cloud.client("iam"), _unique("e2e-grant"), f"/e2e/{uuid.uuid4().hex[:8]}"
    cloud.client("ssm").put_parameter(Name=parameter, Value="v", Type="String")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="base", PolicyDocument=_policy(
        {"Effect": "Allow", "NotAction": "ssm:GetParameters", "Resource": "*"}))
    _propagated(cloud)
    spec = _parameter_spec(parameter)
    assert _build(cloud, role, spec)["buildStatus"] == "FAILED"

    iam.put_role_policy(RoleName=name, PolicyName="read", PolicyDocument=_policy(
        {"Effect": "Allow", "Action": "ssm:GetParameters", "Resource": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{parameter}"}))
    early = _build(cloud, role, spec)   # started within the delay: CodeBuild's role does not have it yet
    assert early["buildStatus"] == "FAILED", "the grant applied before it propagated"
    assert "because no identity-based policy allows the ssm:GetParameters action" in next(
        p for p in early["phases"] if p.get("phaseStatus") == "FAILED")["contexts"][0]["message"]
    _propagated(cloud)
    assert _build(cloud, role, spec)["buildStatus"] == "SUCCEEDED"
