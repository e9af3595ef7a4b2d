"""Shared resources for the CodePipeline integration tests: one pipeline role, one artifact bucket."""
from __future__ import annotations

import pytest

from tests.localcloud.codepipeline import support


@pytest.fixture(scope="module")
def cp(aws):
    return aws("codepipeline")


@pytest.fixture(scope="module")
def infra(aws):
    class Infra:
        pipeline_role = support.role(aws("iam"), "codepipeline.amazonaws.com")
        events_role = support.role(aws("iam"), "events.amazonaws.com")
        bucket = support.bucket(aws("s3"))
    return Infra


@pytest.fixture
def source_repo(aws):
    return support.repository(aws("codecommit"))
