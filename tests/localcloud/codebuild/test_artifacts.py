"""S3 sources in, zipped artifacts out: the files the buildspec selects, where the project says."""
from __future__ import annotations

import hashlib
import io
import uuid
import zipfile

import pytest

pytestmark = pytest.mark.integration

BUILDSPEC = """version: 0.2
phases:
  build:
    commands:
      - ./scripts/make.sh
artifacts:
  files:
    - '**/*'
  base-directory: dist
  name: app-$CODEBUILD_BUILD_NUMBER.zip
"""


def _source_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("buildspec.yml", BUILDSPEC)
        script = zipfile.ZipInfo("scripts/make.sh")
        script.external_attr = 0o755 << 16  # executable, as a CODE_ZIP keeps it
        archive.writestr(script, "#!/bin/sh\nmkdir -p dist/lib && echo app > dist/appspec.yml && echo lib > dist/lib/a.txt && echo no > notes.txt\n")
    return buffer.getvalue()


@pytest.fixture()
def bucket(aws):
    name = f"cb-artifacts-{uuid.uuid4().hex[:8]}"
    aws("s3").create_bucket(Bucket=name)
    return name


def test_s3_source_and_zip_artifact(codebuild, aws, bucket):
    s3 = aws("s3")
    s3.put_object(Bucket=bucket, Key="src/app.zip", Body=_source_zip())
    project = codebuild.project(
        source={"type": "S3", "location": f"{bucket}/src/app.zip"},
        artifacts={"type": "S3", "location": bucket, "path": "out", "namespaceType": "BUILD_ID",
                   "packaging": "ZIP", "overrideArtifactName": True, "name": "ignored"},
    )
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED", codebuild.log(build)
    uuid_part = build["id"].split(":")[1]
    key = f"out/{uuid_part}/app-1.zip"
    assert build["artifacts"]["location"] == f"arn:aws:s3:::{bucket}/{key}"
    obj = s3.get_object(Bucket=bucket, Key=key)
    body = obj["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["appspec.yml", "lib/a.txt"]
    assert build["artifacts"]["sha256sum"] == hashlib.sha256(body).hexdigest()
    assert obj["Metadata"]["codebuild-buildarn"] == build["arn"]


def test_discard_paths_and_no_matching_files(codebuild, aws, bucket):
    project = codebuild.project("""version: 0.2
phases:
  build:
    commands:
      - mkdir -p a/b && echo 1 > a/b/one.txt && echo 2 > a/two.txt
artifacts:
  files:
    - 'a/**/*.txt'
  discard-paths: yes
""", artifacts={"type": "S3", "location": bucket, "packaging": "ZIP", "name": "flat.zip"})
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED", codebuild.log(build)
    body = aws("s3").get_object(Bucket=bucket, Key="flat.zip")["Body"].read()
    assert sorted(zipfile.ZipFile(io.BytesIO(body)).namelist()) == ["one.txt", "two.txt"]

    empty = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo nothing\nartifacts:\n  files:\n    - missing/**/*\n",
                              artifacts={"type": "S3", "location": bucket, "packaging": "ZIP", "name": "none.zip"})
    failed = codebuild.run(empty)
    assert failed["buildStatus"] == "FAILED"
    assert codebuild.phase(failed, "UPLOAD_ARTIFACTS")["contexts"] == [
        {"statusCode": "CLIENT_ERROR", "message": "no matching artifact paths found"}]
    assert any(l.endswith("Skipping invalid file path missing/**/*") for l in codebuild.log(failed))


def test_missing_source_object_fails_download_source(codebuild, bucket):
    project = codebuild.project(source={"type": "S3", "location": f"{bucket}/absent.zip"})
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    context = codebuild.phase(build, "DOWNLOAD_SOURCE")["contexts"][0]
    assert context["statusCode"] == "CLIENT_ERROR"
    assert context["message"] == (f"NoSuchKey: The specified key does not exist. for primary source and source version "
                                  f"arn:aws:s3:::{bucket}/absent.zip")


def test_artifacts_never_carry_host_files_out(codebuild, aws, bucket, tmp_path):
    """A link to a host file or a base directory above the source directory selects nothing
    from the host: such paths are skipped with a log line, and UPLOAD_ARTIFACTS fails when
    nothing of the build's own is left."""
    host = tmp_path / "host-secret.txt"
    host.write_text("HOST-ONLY-CONTENT")
    project = codebuild.project(f"""version: 0.2
phases:
  build:
    commands:
      - mkdir -p out && echo mine > out/own.txt && ln -s {host} out/linked.txt
artifacts:
  files:
    - 'out/*'
""", artifacts={"type": "S3", "location": bucket, "packaging": "ZIP", "name": "linked.zip"})
    build = codebuild.run(project)
    assert build["buildStatus"] == "SUCCEEDED", codebuild.log(build)
    body = aws("s3").get_object(Bucket=bucket, Key="linked.zip")["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["out/own.txt"]
    assert b"HOST-ONLY-CONTENT" not in body
    assert any("Skipping out/linked.txt: it resolves outside the source directory" in l for l in codebuild.log(build))

    above = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo x\n"
                              "artifacts:\n  files:\n    - '**/*'\n  base-directory: ../../..\n",
                              artifacts={"type": "S3", "location": bucket, "packaging": "ZIP", "name": "above.zip"})
    failed = codebuild.run(above)
    assert failed["buildStatus"] == "FAILED"
    assert codebuild.phase(failed, "UPLOAD_ARTIFACTS")["contexts"][0]["message"] == "no matching artifact paths found"
    assert any("Skipping base directory ../../..: it resolves outside" in l for l in codebuild.log(failed))
