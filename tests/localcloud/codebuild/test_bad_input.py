"""Bad input: refused before anything is created, or the build fails where and how AWS fails it;
localcloud keeps serving either way."""
from __future__ import annotations

import json
import subprocess

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codebuild.conftest import ENVIRONMENT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("buildspec, message", [
    ("version: 0.2\nphases:\n  build:\n    commands: [echo hi\n", "expected ',' or ']'"),
    ("version: 1.0\nphases:\n  build:\n    commands:\n      - echo hi\n", "invalid buildspec `version` specified: 1.0, see documentation"),
    ("version: 0.2\nphases:\n  artifacts:\n    commands:\n      - echo hi\n",
     "Invalid buildspec phase name: artifacts. Expecting: build,install,post_build,pre_build"),
    ("version: 0.2\nphases:\n  build:\n    on-failure: RETRY-3\n    commands:\n      - echo hi\n", "RETRY-3"),
], ids=["invalid-yaml", "wrong-version", "unknown-phase", "unsupported-on-failure"])
def test_invalid_buildspec_fails_download_source_with_yaml_file_error(codebuild, buildspec, message):
    build = codebuild.run(codebuild.project(buildspec))
    assert build["buildStatus"] == "FAILED"
    phase = codebuild.phase(build, "DOWNLOAD_SOURCE")
    assert phase["phaseStatus"] == "FAILED"
    assert phase["contexts"][0]["statusCode"] == "YAML_FILE_ERROR"
    assert message in phase["contexts"][0]["message"]
    assert codebuild.phase_types(build)[-2:] == ["FINALIZING", "COMPLETED"]
    lines = codebuild.log(build)
    assert any(l.endswith("Phase complete: DOWNLOAD_SOURCE State: FAILED") for l in lines)


def test_missing_buildspec_file_names_the_path(codebuild, aws):
    bucket = codebuild.name("cb-empty-src")
    aws("s3").create_bucket(Bucket=bucket)
    import io
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.md", "no buildspec here")
    aws("s3").put_object(Bucket=bucket, Key="src.zip", Body=buffer.getvalue())
    build = codebuild.run(codebuild.project(source={"type": "S3", "location": f"{bucket}/src.zip"}))
    context = codebuild.phase(build, "DOWNLOAD_SOURCE")["contexts"][0]
    assert context["statusCode"] == "YAML_FILE_ERROR"
    assert context["message"].startswith("stat ") and context["message"].endswith("/src/buildspec.yml: no such file or directory")


def _create_error(codebuild, **overrides) -> dict:
    params = {"name": codebuild.name(), "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2"},
              "artifacts": {"type": "NO_ARTIFACTS"}, "environment": ENVIRONMENT, "serviceRole": codebuild.role_arn}
    params.update(overrides)
    with pytest.raises(ClientError) as err:
        codebuild.client.create_project(**params)
    assert codebuild.client.batch_get_projects(names=[params["name"]])["projects"] == []  # nothing half-created
    return err.value.response["Error"]


def test_project_validation_refuses_as_aws_does(codebuild, aws):
    assert _create_error(codebuild, name="bad name!")["Code"] == "InvalidInputException"
    error = _create_error(codebuild, source={"type": "CODEPIPELINE"})
    assert error == {"Code": "InvalidInputException", "Message":
                     "Invalid input: when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE"}
    assert _create_error(codebuild, source={"type": "S3"})["Message"] == "Project source location is required"
    assert _create_error(codebuild, source={"type": "NO_SOURCE"})["Code"] == "InvalidInputException"
    assert _create_error(codebuild, serviceRole="not-an-arn")["Message"] == "Invalid service role"
    missing_role = "arn:aws:iam::123456789012:role/no-such-role"
    assert _create_error(codebuild, serviceRole=missing_role)["Message"] == (
        f"CodeBuild is not authorized to perform: sts:AssumeRole on {missing_role}")
    untrusting = aws("iam").create_role(RoleName=codebuild.name("ec2-role"), AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    assert "sts:AssumeRole" in _create_error(codebuild, serviceRole=untrusting)["Message"]

    name = codebuild.project("version: 0.2")
    with pytest.raises(ClientError) as err:
        codebuild.project("version: 0.2", name=name)
    assert err.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    for call in (lambda: codebuild.client.start_build(projectName="no-such-project-x"),
                 lambda: codebuild.client.update_project(name="no-such-project-x", description="x"),
                 lambda: codebuild.client.list_builds_for_project(projectName="no-such-project-x"),
                 lambda: codebuild.client.stop_build(id="no-such-project-x:00000000-0000-0000-0000-000000000000")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        codebuild.client.stop_build(id="not-a-build-id")
    assert err.value.response["Error"]["Code"] == "InvalidInputException"


def test_project_lifecycle_and_tags(codebuild):
    name = codebuild.project("version: 0.2", tags=[{"key": "run", "value": "t1"}])
    project = codebuild.client.batch_get_projects(names=[name, "absent-project"])
    assert project["projectsNotFound"] == ["absent-project"]
    got = project["projects"][0]
    assert got["arn"] == f"arn:aws:codebuild:us-east-1:123456789012:project/{name}"
    assert got["tags"] == [{"key": "run", "value": "t1"}] and got["timeoutInMinutes"] == 60
    updated = codebuild.client.update_project(name=name, timeoutInMinutes=10, tags=[{"key": "run", "value": "t2"}])["project"]
    assert updated["timeoutInMinutes"] == 10 and updated["tags"] == [{"key": "run", "value": "t2"}]
    assert name in codebuild.client.list_projects(sortBy="NAME")["projects"]
    codebuild.client.delete_project(name=name)
    codebuild.client.delete_project(name=name)  # idempotent, as AWS
    assert codebuild.client.batch_get_projects(names=[name])["projectsNotFound"] == [name]


def test_aws_cli_builds_a_project(codebuild, cli_env):
    name = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo from-the-cli\n")
    started = subprocess.run(["aws", "codebuild", "start-build", "--project-name", name, "--output", "json"],
                             env=cli_env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    build = codebuild.wait(json.loads(started.stdout)["build"]["id"])
    assert build["buildStatus"] == "SUCCEEDED"
    shown = subprocess.run(["aws", "codebuild", "batch-get-builds", "--ids", build["id"], "--query",
                            "builds[0].phases[?phaseType=='BUILD'].phaseStatus", "--output", "text"],
                           env=cli_env, capture_output=True, text=True, timeout=60)
    assert shown.stdout.strip() == "SUCCEEDED", shown.stderr
    assert "from-the-cli" in codebuild.log(build)
