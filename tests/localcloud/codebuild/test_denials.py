"""A build whose service role lacks one permission fails where CodeBuild fails it, and says
why in AWS's words: the source (S3 GetObject, CodeCommit GitPull), the parameters and secrets
(resolved in DOWNLOAD_SOURCE), the logs (PROVISIONING, ACCESS_DENIED) and the artifacts
(UPLOAD_ARTIFACTS, S3's code). See docs/aws-behaviour.md, "How a denial shows"."""
from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest

from tests.localcloud.codebuild.conftest import TRUST, CodeBuildHelper

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"
SPEC = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo built > out.txt\n"


def _role_without(aws, *actions: str) -> str:
    """A CodeBuild service role allowed everything but `actions` (an implicit deny for them)."""
    iam, name = aws("iam"), f"cb-deny-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="all-but", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": list(actions), "Resource": "*"}]}))
    return arn


def _session(role: str, build: dict) -> str:
    return f"arn:aws:sts::{ACCOUNT}:assumed-role/{role.rsplit('/', 1)[-1]}/AWSCodeBuild-{build['id'].split(':')[1]}"


def _failed(build: dict) -> tuple[str, dict]:
    phase = next(p for p in build["phases"] if p.get("phaseStatus") == "FAILED")
    return phase["phaseType"], phase["contexts"][0]


def _zip(files: dict[str, str]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return data.getvalue()


def test_an_s3_source_the_role_may_not_read_fails_download_source(aws):
    s3, bucket = aws("s3"), f"cb-deny-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="src.zip", Body=_zip({"buildspec.yml": SPEC}))
    role = _role_without(aws, "s3:GetObject")
    helper = CodeBuildHelper(aws, role)
    build = helper.run(helper.project(source={"type": "S3", "location": f"{bucket}/src.zip"}))
    phase, context = _failed(build)
    assert (build["buildStatus"], phase, context["statusCode"]) == ("FAILED", "DOWNLOAD_SOURCE", "CLIENT_ERROR")
    assert context["message"] == (
        f'AccessDenied: User: {_session(role, build)} is not authorized to perform: s3:GetObject on resource: '
        f'"arn:aws:s3:::{bucket}/src.zip" because no identity-based policy allows the s3:GetObject action '
        f"for primary source and source version arn:aws:s3:::{bucket}/src.zip")
    assert helper.phase_types(build)[-2:] == ["FINALIZING", "COMPLETED"]


def test_a_codecommit_source_without_gitpull_fails_download_source(aws):
    cc, repo = aws("codecommit"), f"cb-deny-{uuid.uuid4().hex[:8]}"
    meta = cc.create_repository(repositoryName=repo)["repositoryMetadata"]
    cc.put_file(repositoryName=repo, branchName="main", fileContent=SPEC.encode(), filePath="buildspec.yml")
    source = {"type": "CODECOMMIT", "location": meta["cloneUrlHttp"]}
    denied = CodeBuildHelper(aws, _role_without(aws, "codecommit:GitPull"))
    build = denied.run(denied.project(source=source), sourceVersion="refs/heads/main")
    phase, context = _failed(build)
    assert (phase, context["statusCode"]) == ("DOWNLOAD_SOURCE", "CLIENT_ERROR")
    assert context["message"].startswith("AccessDeniedException: User: ")
    assert (f"codecommit:GitPull on resource: arn:aws:codecommit:us-east-1:{ACCOUNT}:{repo} because no "
            "identity-based policy allows the codecommit:GitPull action for primary source and source version "
            "refs/heads/main") in context["message"]
    # a clone needs GitPull only, as on AWS: a role without GetRepository or GetBranch still builds
    cloner = CodeBuildHelper(aws, _role_without(aws, "codecommit:GetRepository", "codecommit:GetBranch"))
    assert cloner.run(cloner.project(source=source), sourceVersion="refs/heads/main")["buildStatus"] == "SUCCEEDED"


def test_a_secret_the_role_may_not_read_fails_download_source(aws):
    name = f"cb-deny-{uuid.uuid4().hex[:8]}"
    arn = aws("secretsmanager").create_secret(Name=name, SecretString="s3cr3t")["ARN"]
    role = _role_without(aws, "secretsmanager:GetSecretValue")
    helper = CodeBuildHelper(aws, role)
    build = helper.run(helper.project(
        f"version: 0.2\nenv:\n  secrets-manager:\n    S: {name}\nphases:\n  build:\n    commands:\n      - echo $S\n"))
    phase, context = _failed(build)
    assert (build["buildStatus"], phase, context["statusCode"]) == ("FAILED", "DOWNLOAD_SOURCE", "Secrets Manager Error")
    assert context["message"] == (
        f"AccessDeniedException: User: {_session(role, build)} is not authorized to perform: "
        f"secretsmanager:GetSecretValue on resource: {arn} because no identity-based policy allows the "
        "secretsmanager:GetSecretValue action")


@pytest.mark.parametrize("action", ["logs:CreateLogStream", "logs:PutLogEvents"])
def test_a_role_that_may_not_write_its_log_fails_provisioning(aws, action):
    role = _role_without(aws, action)
    helper = CodeBuildHelper(aws, role)
    build = helper.run(helper.project(SPEC))
    phase, context = _failed(build)
    assert (build["buildStatus"], phase, context["statusCode"]) == ("FAILED", "PROVISIONING", "ACCESS_DENIED")
    assert context["message"].startswith(
        f"Service role {role} does not allow AWS CodeBuild to create Amazon CloudWatch Logs log streams for build "
        f"{build['arn']}. Error message: User: {_session(role, build)} is not authorized to perform: {action} ")
    assert context["message"].endswith(f"because no identity-based policy allows the {action} action")
    assert helper.phase_types(build) == ["SUBMITTED", "QUEUED", "PROVISIONING", "FINALIZING", "COMPLETED"]


def test_artifacts_the_role_may_not_upload_fail_upload_artifacts_with_s3s_code(aws):
    s3, bucket = aws("s3"), f"cb-deny-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    role = _role_without(aws, "s3:PutObject")
    helper = CodeBuildHelper(aws, role)
    build = helper.run(helper.project(SPEC + "artifacts:\n  files:\n    - out.txt\n",
                                      artifacts={"type": "S3", "location": bucket, "name": "out.zip", "packaging": "ZIP"}))
    phase, context = _failed(build)
    assert (build["buildStatus"], phase, context["statusCode"]) == ("FAILED", "UPLOAD_ARTIFACTS", "CLIENT_ERROR")
    assert context["message"] == (
        f'AccessDenied: User: {_session(role, build)} is not authorized to perform: s3:PutObject on resource: '
        f'"arn:aws:s3:::{bucket}/out.zip" because no identity-based policy allows the s3:PutObject action '
        f"(uploading arn:aws:s3:::{bucket}/out.zip)")
    with pytest.raises(s3.exceptions.ClientError):
        s3.head_object(Bucket=bucket, Key="out.zip")
