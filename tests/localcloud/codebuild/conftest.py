"""Fixtures for the CodeBuild provider's tests: a service role CodeBuild may assume, and a
`codebuild` helper that creates uniquely named projects and waits for builds."""
from __future__ import annotations

import json
import time
import uuid

import pytest
from tests.iam_support import allow_all

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
ENVIRONMENT = {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0", "computeType": "BUILD_GENERAL1_SMALL"}


@pytest.fixture(scope="session")
def build_role(aws):
    name = f"cb-test-role-{uuid.uuid4().hex[:8]}"
    role = aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    allow_all(aws("iam"), role["Arn"])
    return role["Arn"]


class CodeBuildHelper:
    def __init__(self, aws, role_arn):
        self.aws = aws
        self.client = aws("codebuild")
        self.role_arn = role_arn

    def name(self, stem: str = "proj") -> str:
        return f"{stem}-{uuid.uuid4().hex[:8]}"

    def project(self, buildspec: str | None = None, *, name: str | None = None, source: dict | None = None,
                artifacts: dict | None = None, **extra) -> str:
        name = name or self.name()
        source = source or {"type": "NO_SOURCE", "buildspec": buildspec}
        self.client.create_project(name=name, source=source, artifacts=artifacts or {"type": "NO_ARTIFACTS"},
                                   environment=extra.pop("environment", ENVIRONMENT), serviceRole=self.role_arn, **extra)
        return name

    def run(self, project: str, timeout: float = 30, **overrides) -> dict:
        build = self.client.start_build(projectName=project, **overrides)["build"]
        return self.wait(build["id"], timeout)

    def wait(self, build_id: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            build = self.client.batch_get_builds(ids=[build_id])["builds"][0]
            if build["buildComplete"]:
                return build
            if time.monotonic() > deadline:
                raise AssertionError(f"build {build_id} still {build['currentPhase']} after {timeout}s")
            time.sleep(0.02)

    def log(self, build: dict) -> list[str]:
        logs = self.aws("logs")
        events = logs.get_log_events(logGroupName=build["logs"]["groupName"], logStreamName=build["logs"]["streamName"],
                                     startFromHead=True)["events"]
        return [e["message"].rstrip("\n") for e in events]

    @staticmethod
    def phase(build: dict, phase_type: str) -> dict | None:
        return next((p for p in build["phases"] if p["phaseType"] == phase_type), None)

    @staticmethod
    def phase_types(build: dict) -> list[str]:
        return [p["phaseType"] for p in build["phases"]]


@pytest.fixture(scope="session")
def codebuild(aws, build_role):
    return CodeBuildHelper(aws, build_role)
