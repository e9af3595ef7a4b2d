"""localcloud holds a role session to its role's identity policies, as AWS does: a build whose
role may not read its parameter fails the way CodeBuild fails, an explicit Deny beats an Allow,
and a role may use what an attached AWS managed policy grants."""
from __future__ import annotations

import json
import uuid

import pytest

from localcloud.iam.authorizer import AccessDeniedByPolicy
from localcloud.principal import Principal

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _role(aws, *statements, managed: str | None = None) -> str:
    iam, name = aws("iam"), f"enf-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    return arn


def test_enforcement_is_on_in_the_suites_profile(localcloud):
    assert localcloud.settings.iam.enforce and localcloud.authorizer.enforce


def test_a_build_whose_role_may_not_read_its_parameter_fails_as_codebuild_does(aws, localcloud):
    ssm, name = aws("ssm"), f"/enf/{uuid.uuid4().hex[:8]}"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    role = _role(aws, {"Effect": "Allow", "NotAction": "ssm:*", "Resource": "*"})
    cb, project = aws("codebuild"), f"enf-{uuid.uuid4().hex[:8]}"
    cb.create_project(name=project, serviceRole=role, artifacts={"type": "NO_ARTIFACTS"},
                      environment={"type": "LINUX_CONTAINER", "image": "i", "computeType": "BUILD_GENERAL1_SMALL"},
                      source={"type": "NO_SOURCE", "buildspec": f"version: 0.2\nenv:\n  parameter-store:\n    V: {name}\n"
                                                                  "phases:\n  build:\n    commands:\n      - echo $V\n"})
    build_id = cb.start_build(projectName=project)["build"]["id"]
    import time
    deadline = time.monotonic() + 30
    while (build := cb.batch_get_builds(ids=[build_id])["builds"][0])["buildStatus"] == "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    phase = next(p for p in build["phases"] if p.get("phaseStatus") == "FAILED")
    context = phase["contexts"][0]
    assert build["buildStatus"] == "FAILED" and phase["phaseType"] == "DOWNLOAD_SOURCE"
    assert context["statusCode"] == "Decrypted Variables Error"
    session = f"arn:aws:sts::123456789012:assumed-role/{role.rsplit('/', 1)[-1]}/AWSCodeBuild-{build_id.split(':')[1]}"
    assert context["message"] == (
        f"AccessDeniedException: User: {session} is not authorized to perform: ssm:GetParameters on resource: "
        f"arn:aws:ssm:us-east-1:123456789012:parameter{name} because no identity-based policy allows the "
        "ssm:GetParameters action")


def test_an_explicit_deny_beats_an_allow_and_managed_policies_count(aws, localcloud):
    s3, bucket = aws("s3"), f"enf-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    denied = Principal.assumed_role(_role(aws, {"Effect": "Allow", "Action": "*", "Resource": "*"},
                                          {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}),
                                    "s")
    with pytest.raises(AccessDeniedByPolicy) as err:
        localcloud.services.s3.get_object(denied, bucket, "k")
    assert (err.value.code, err.value.status) == ("AccessDenied", 403)
    assert err.value.message.endswith("with an explicit deny in an identity-based policy")
    reader = Principal.assumed_role(_role(aws, managed="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"), "s")
    assert localcloud.services.s3.get_object(reader, bucket, "k") == b"x"
    with pytest.raises(AccessDeniedByPolicy):
        localcloud.services.s3.put_object(reader, bucket, "k2", b"y")
