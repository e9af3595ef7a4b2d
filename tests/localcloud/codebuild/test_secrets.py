"""Parameter Store and Secrets Manager variables: resolved, usable, and never in any log or field."""
from __future__ import annotations

import hashlib
import json
import uuid

import pytest

pytestmark = pytest.mark.integration


def test_ssm_and_secret_values_are_masked_everywhere(codebuild, aws):
    suffix = uuid.uuid4().hex[:8]
    param_value = f"param-value-{suffix}"
    secret_value = f"s3cr3t-{suffix}"
    whole_secret = f"whole-secret-{suffix}"
    digest = hashlib.sha256(secret_value.encode()).hexdigest()[:16]  # the buildspec must not hold the value
    aws("ssm").put_parameter(Name=f"/cb-test/{suffix}/db", Value=param_value, Type="SecureString")
    aws("secretsmanager").create_secret(Name=f"cb-test-{suffix}", SecretString=json.dumps({"password": secret_value}))
    aws("secretsmanager").create_secret(Name=f"cb-test-whole-{suffix}", SecretString=whole_secret)
    project = codebuild.project(f"""version: 0.2
env:
  parameter-store:
    DB: /cb-test/{suffix}/db
  secrets-manager:
    PASSWORD: cb-test-{suffix}:password
  exported-variables: [PASSWORD, PLAIN]
phases:
  build:
    commands:
      - echo "db=$DB password=$PASSWORD"
      - echo "project-level=$WHOLE"
      - test "$(printf %s "$PASSWORD" | sha256sum | cut -c1-16)" = "{digest}" && echo value-is-real
      - export PLAIN=visible
      - echo "$PASSWORD" >&2
      - "false && echo $DB"
      - echo "AKIAIOSFODNN7EXAMPLE"
""", environment={"type": "LINUX_CONTAINER", "image": "img", "computeType": "BUILD_GENERAL1_SMALL",
                  "environmentVariables": [{"name": "WHOLE", "value": f"cb-test-whole-{suffix}", "type": "SECRETS_MANAGER"}]})
    build = codebuild.run(project)
    lines = codebuild.log(build)
    text = "\n".join(lines)
    assert "db=*** password=***" in lines
    assert "project-level=***" in lines
    assert "value-is-real" in lines
    assert "***" in lines and "AKIAIOSFODNN7EXAMPLE" not in text
    for value in (param_value, secret_value, whole_secret):
        assert value not in text
        assert value not in json.dumps(build, default=str)
    # secrets are never exported; plain variables are
    assert build["exportedEnvironmentVariables"] == [{"name": "PLAIN", "value": "visible"}]
    # the build shows the reference, not the value
    assert {"name": "WHOLE", "value": f"cb-test-whole-{suffix}", "type": "SECRETS_MANAGER"} in build["environment"]["environmentVariables"]


def test_missing_parameter_fails_download_source_naming_it(codebuild):
    name = f"/cb-test/missing-{uuid.uuid4().hex[:8]}"
    project = codebuild.project(f"""version: 0.2
env:
  parameter-store:
    X: {name}
phases:
  build:
    commands:
      - echo never
""")
    build = codebuild.run(project)
    assert build["buildStatus"] == "FAILED"
    phase = codebuild.phase(build, "DOWNLOAD_SOURCE")
    assert phase["phaseStatus"] == "FAILED"
    assert phase["contexts"] == [{"statusCode": "Decrypted Variables Error", "message": f"parameter does not exist: {name}"}]
    assert codebuild.phase(build, "BUILD") is None


def test_missing_secret_fails_download_source_naming_it(codebuild):
    name = f"cb-test-missing-{uuid.uuid4().hex[:8]}"
    project = codebuild.project(f"""version: 0.2
env:
  secrets-manager:
    X: {name}:key
phases:
  build:
    commands:
      - echo never
""")
    build = codebuild.run(project)
    context = codebuild.phase(build, "DOWNLOAD_SOURCE")["contexts"][0]
    assert build["buildStatus"] == "FAILED"
    assert context["statusCode"] == "Secrets Manager Error"
    assert context["message"].startswith("ResourceNotFoundException")
