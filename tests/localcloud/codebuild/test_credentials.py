"""A build's commands act as the project's service role, with credentials from CodeBuild's
container credentials endpoint, never static keys; the secrets of that session never reach
the build log."""
from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.integration

SPEC = """version: 0.2
phases:
  build:
    commands:
      - aws sts get-caller-identity --query Arn --output text
      - echo "static=[$AWS_ACCESS_KEY_ID] uri=[$AWS_CONTAINER_CREDENTIALS_FULL_URI]"
      - echo "token=[$AWS_CONTAINER_AUTHORIZATION_TOKEN]"
      - 'curl -s -H "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONTAINER_CREDENTIALS_FULL_URI" > creds.json'
      - python -c "import json; c = json.load(open('creds.json')); print('secret=[' + c['SecretAccessKey'] + ']')"
"""


def test_a_build_acts_as_its_service_role_through_the_container_credentials_endpoint(codebuild, localcloud):
    project = codebuild.project(SPEC)
    build = codebuild.run(project)
    lines = codebuild.log(build)
    assert build["buildStatus"] == "SUCCEEDED", lines
    role_name = codebuild.role_arn.rsplit("/", 1)[-1]
    session = f"AWSCodeBuild-{build['id'].split(':')[1]}"
    assert f"arn:aws:sts::123456789012:assumed-role/{role_name}/{session}" in lines
    assert any(l.startswith("static=[] uri=[http://127.0.0.1:") for l in lines), "no static keys in a build"
    assert "token=[***]" in lines and "secret=[***]" in lines, "the session's secrets are masked in the log"


def test_the_endpoint_answers_only_the_running_build_with_its_token(codebuild, localcloud):
    project = codebuild.project("version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\"\n")
    build = codebuild.run(project)
    uri = next(l for l in codebuild.log(build) if l.startswith("http://127.0.0.1:"))
    # the build has ended: its credentials are revoked
    assert requests.get(uri, headers={"Authorization": "guess"}).status_code == 404
