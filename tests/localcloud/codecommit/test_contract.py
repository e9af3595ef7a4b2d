"""CodeCommit's door (contract.py): what CodePipeline and CodeBuild do with a repository."""
from __future__ import annotations

import io
import stat
import zipfile
from datetime import datetime

import pytest

from localcloud.codecommit.exceptions import CommitIdDoesNotExistException, RepositoryDoesNotExistException
from localcloud.principal import Principal
from tests.iam_support import role_fixture

pytestmark = pytest.mark.integration

PIPELINE = Principal.assumed_role("arn:aws:iam::123456789012:role/pipeline-role", "1700000000000")

pipeline_role = role_fixture(PIPELINE)  # its role exists and may act


def test_door_over_a_real_repository(localcloud, codecommit, repo_name):
    door = localcloud.services.codecommit
    with pytest.raises(RepositoryDoesNotExistException):
        door.get_repository(PIPELINE, "us-east-1", repo_name)
    codecommit.create_repository(repositoryName=repo_name)
    info = door.get_repository(PIPELINE, "us-east-1", repo_name)
    assert info.name == repo_name and info.arn.endswith(f":{repo_name}") and info.default_branch is None
    with pytest.raises(RepositoryDoesNotExistException):
        door.get_repository(PIPELINE, "eu-west-1", repo_name)
    assert door.branch_head(PIPELINE, "us-east-1", repo_name, "main") is None

    made = codecommit.create_commit(repositoryName=repo_name, branchName="main", authorName="Dev", email="dev@example.com",
                                    commitMessage="release 1", putFiles=[
                                        {"filePath": "scripts/start.sh", "fileContent": b"#!/bin/sh\necho up\n", "fileMode": "EXECUTABLE"},
                                        {"filePath": "app/main.py", "fileContent": b"print('v1')\n"}])
    head = door.branch_head(PIPELINE, "us-east-1", repo_name, "main")
    assert head == made["commitId"]

    commit = door.get_commit(PIPELINE, "us-east-1", repo_name, head)
    assert commit.commit_id == head and commit.tree_id == made["treeId"] and commit.parents == ()
    assert (commit.message, commit.author_name, commit.author_email) == ("release 1", "Dev", "dev@example.com")
    assert isinstance(commit.author_date, datetime) and commit.author_date.tzinfo is not None

    archive = zipfile.ZipFile(io.BytesIO(door.archive_commit(PIPELINE, "us-east-1", repo_name, head)))
    assert sorted(archive.namelist()) == ["app/main.py", "scripts/start.sh"]
    assert archive.read("app/main.py") == b"print('v1')\n"
    script_mode = archive.getinfo("scripts/start.sh").external_attr >> 16
    assert stat.S_ISREG(script_mode) and script_mode & 0o111
    assert not (archive.getinfo("app/main.py").external_attr >> 16) & 0o111


def test_door_authorizes_the_action_aws_checks(localcloud, codecommit, repo):
    name = repo["repositoryName"]
    made = codecommit.create_commit(repositoryName=name, branchName="main", putFiles=[
        {"filePath": "a.txt", "fileContent": b"a"}])
    door = localcloud.services.codecommit
    localcloud.authorizer.log.clear()
    door.branch_head(PIPELINE, "us-east-1", name, "main")
    door.archive_commit(PIPELINE, "us-east-1", name, made["commitId"], action="GitPull")
    arn = f"arn:aws:codecommit:us-east-1:123456789012:{name}"
    seen = [(d.principal, d.action, d.resource) for d in localcloud.authorizer.log.decisions() if d.resource == arn]
    assert seen == [(PIPELINE.arn, "codecommit:GetBranch", arn), (PIPELINE.arn, "codecommit:GitPull", arn)]


def test_door_errors_are_typed(localcloud, repo):
    door = localcloud.services.codecommit
    with pytest.raises(CommitIdDoesNotExistException) as exc:
        door.get_commit(PIPELINE, "us-east-1", repo["repositoryName"], "0" * 40)
    assert (exc.value.code, exc.value.status) == ("CommitIdDoesNotExistException", 400)
    with pytest.raises(RepositoryDoesNotExistException):
        door.archive_commit(PIPELINE, "us-east-1", "no-such-repository", "0" * 40)
    with pytest.raises(RepositoryDoesNotExistException):
        door.branch_head(PIPELINE, "us-east-1", "no-such-repository", "main")
