"""Builds started by CodePipeline (through CodeBuild's door) and builds of a CodeCommit repository."""
from __future__ import annotations

import io
import threading
import uuid
import zipfile

import pytest

from localcloud.codebuild.exceptions import ResourceNotFoundException
from localcloud.principal import Principal
from tests.iam_support import role_fixture

pytestmark = pytest.mark.integration

PIPELINE = Principal.assumed_role("arn:aws:iam::123456789012:role/pipeline-role", "1700000000000")

pipeline_role = role_fixture(PIPELINE)  # its role exists and may act


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


PIPELINE_BUILDSPEC = """version: 0.2
env:
  exported-variables: [IMAGE_TAG]
phases:
  build:
    commands:
      - echo "src=$(cat app.txt) extra=$(cat $CODEBUILD_SRC_DIR_Extra/extra.txt) stage=$STAGE"
      - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION initiator=$CODEBUILD_INITIATOR"
      - mkdir -p out && cp app.txt out/ && echo spec > out/appspec.yml
      - export IMAGE_TAG=v-$CODEBUILD_BUILD_NUMBER
artifacts:
  files: ['**/*']
  base-directory: out
"""


def test_start_pipeline_build_contract(codebuild, aws, localcloud):
    bucket = f"cb-pipeline-{uuid.uuid4().hex[:8]}"
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="pipe/SourceArti/abc1234", Body=_zip({"app.txt": "v2", "buildspec.yml": PIPELINE_BUILDSPEC}))
    s3.put_object(Bucket=bucket, Key="pipe/Extra/def5678", Body=_zip({"extra.txt": "more"}))
    project = codebuild.project(source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"})
    door = localcloud.services.codebuild
    build_id = door.start_pipeline_build(
        PIPELINE, region="us-east-1", project_name=project, pipeline_name="pipe",
        input_artifacts=[{"name": "Extra", "bucket": bucket, "key": "pipe/Extra/def5678"},
                         {"name": "SourceArtifact", "bucket": bucket, "key": "pipe/SourceArti/abc1234"}],
        primary_source="SourceArtifact",
        output_artifacts=[{"name": "BuildArtifact", "bucket": bucket, "key": "pipe/BuildArtif/xyz9876"}],
        environment_variables=[{"name": "STAGE", "value": "ci", "type": "PLAINTEXT"}],
        source_version="0123456789abcdef0123456789abcdef01234567",
    )
    result = door.wait_for_build(PIPELINE, "us-east-1", build_id, stop=threading.Event(), timeout=60)
    build = codebuild.wait(build_id)
    lines = codebuild.log(build)
    assert build["buildStatus"] == "SUCCEEDED", lines
    assert result.succeeded and result.exported_variables == {"IMAGE_TAG": "v-1"} and result.failing_phase() is None
    decisions = [(d.principal, d.action) for d in localcloud.authorizer.log.decisions()
                 if d.resource == f"arn:aws:codebuild:us-east-1:123456789012:project/{project}"]
    assert (PIPELINE.arn, "codebuild:StartBuild") in decisions and (PIPELINE.arn, "codebuild:BatchGetBuilds") in decisions
    assert build["initiator"] == "codepipeline/pipe" and build["source"]["type"] == "CODEPIPELINE"
    assert build["resolvedSourceVersion"] == "0123456789abcdef0123456789abcdef01234567"
    assert build["sourceVersion"] == f"arn:aws:s3:::{bucket}/pipe/SourceArti/abc1234"
    assert "src=v2 extra=more stage=ci" in lines
    assert "resolved=0123456789abcdef0123456789abcdef01234567 initiator=codepipeline/pipe" in lines
    assert build["exportedEnvironmentVariables"] == [{"name": "IMAGE_TAG", "value": "v-1"}]
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{bucket}/pipe/BuildArtif/xyz9876"
    body = s3.get_object(Bucket=bucket, Key="pipe/BuildArtif/xyz9876")["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["app.txt", "appspec.yml"]

    with pytest.raises(ResourceNotFoundException):
        door.start_pipeline_build(PIPELINE, region="us-east-1", project_name="no-such-project", pipeline_name="pipe",
                                  input_artifacts=[], primary_source=None, output_artifacts=[])


def test_pipeline_build_with_missing_input_artifact_fails_download_source(codebuild, localcloud, aws):
    bucket = f"cb-pipeline-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=bucket)
    project = codebuild.project(source={"type": "CODEPIPELINE"}, artifacts={"type": "CODEPIPELINE"})
    build_id = localcloud.services.codebuild.start_pipeline_build(
        PIPELINE, region="us-east-1", project_name=project, pipeline_name="pipe",
        input_artifacts=[{"name": "SourceArtifact", "bucket": bucket, "key": "pipe/SourceArti/gone123"}],
        primary_source=None, output_artifacts=[])
    result = localcloud.services.codebuild.wait_for_build(PIPELINE, "us-east-1", build_id, stop=threading.Event(),
                                                           timeout=60)
    assert result.status == "FAILED" and result.failing_phase().phase_type == "DOWNLOAD_SOURCE"
    build = codebuild.wait(build_id)
    context = codebuild.phase(build, "DOWNLOAD_SOURCE")["contexts"][0]
    assert build["buildStatus"] == "FAILED" and context["statusCode"] == "CLIENT_ERROR"
    assert context["message"].endswith(f"for primary source and source version arn:aws:s3:::{bucket}/pipe/SourceArti/gone123")


def test_codecommit_source_at_a_branch_and_a_commit(codebuild, aws, localcloud):
    cc = aws("codecommit")
    repo = f"cb-repo-{uuid.uuid4().hex[:8]}"
    meta = cc.create_repository(repositoryName=repo)["repositoryMetadata"]
    first = cc.put_file(repositoryName=repo, branchName="main", fileContent=b"version: 0.2\nphases:\n  build:\n    commands:\n      - cat app.txt\n",
                        filePath="buildspec.yml")["commitId"]
    second = cc.put_file(repositoryName=repo, branchName="main", parentCommitId=first, fileContent=b"release-2\n",
                         filePath="app.txt")["commitId"]
    project = codebuild.project(source={"type": "CODECOMMIT", "location": meta["cloneUrlHttp"]})
    build = codebuild.run(project, sourceVersion="refs/heads/main")
    assert build["buildStatus"] == "SUCCEEDED", codebuild.log(build)
    assert build["resolvedSourceVersion"] == second
    assert "release-2" in codebuild.log(build)
    at_first = codebuild.run(project, sourceVersion=first)
    assert at_first["buildStatus"] == "FAILED"  # app.txt did not exist yet: `cat` fails the BUILD phase
    assert at_first["resolvedSourceVersion"] == first
    missing = codebuild.run(project, sourceVersion="refs/heads/no-such-branch")
    assert codebuild.phase(missing, "DOWNLOAD_SOURCE")["contexts"][0]["statusCode"] == "CLIENT_ERROR"
