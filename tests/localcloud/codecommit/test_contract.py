"""The in-process contract the CodePipeline engine calls on the codecommit provider."""
from __future__ import annotations

import io
import stat
import zipfile
from datetime import datetime

import pytest

from localcloud.aws import AWSError

pytestmark = pytest.mark.integration


def test_contract_over_a_real_repository(localcloud, codecommit, repo_name):
    provider = localcloud.provider("codecommit")
    assert provider.repository_exists("us-east-1", repo_name) is False
    codecommit.create_repository(repositoryName=repo_name)
    assert provider.repository_exists("us-east-1", repo_name) is True
    assert provider.repository_exists("eu-west-1", repo_name) is False
    assert provider.branch_head("us-east-1", repo_name, "main") is None

    made = codecommit.create_commit(repositoryName=repo_name, branchName="main", authorName="Dev", email="dev@example.com",
                                    commitMessage="release 1", putFiles=[
                                        {"filePath": "scripts/start.sh", "fileContent": b"#!/bin/sh\necho up\n", "fileMode": "EXECUTABLE"},
                                        {"filePath": "app/main.py", "fileContent": b"print('v1')\n"}])
    head = provider.branch_head("us-east-1", repo_name, "main")
    assert head == made["commitId"]

    meta = provider.commit_metadata("us-east-1", repo_name, head)
    assert meta["commitId"] == head and meta["treeId"] == made["treeId"] and meta["parents"] == []
    assert (meta["message"], meta["authorName"], meta["authorEmail"]) == ("release 1", "Dev", "dev@example.com")
    assert isinstance(meta["authorDate"], datetime) and meta["authorDate"].tzinfo is not None

    archive = zipfile.ZipFile(io.BytesIO(provider.archive_commit("us-east-1", repo_name, head)))
    assert sorted(archive.namelist()) == ["app/main.py", "scripts/start.sh"]
    assert archive.read("app/main.py") == b"print('v1')\n"
    script_mode = archive.getinfo("scripts/start.sh").external_attr >> 16
    assert stat.S_ISREG(script_mode) and script_mode & 0o111
    assert not (archive.getinfo("app/main.py").external_attr >> 16) & 0o111


def test_contract_errors(localcloud, repo):
    provider = localcloud.provider("codecommit")
    with pytest.raises(AWSError) as exc:
        provider.commit_metadata("us-east-1", repo["repositoryName"], "0" * 40)
    assert exc.value.code == "CommitIdDoesNotExistException"
    with pytest.raises(AWSError) as exc:
        provider.archive_commit("us-east-1", "no-such-repository", "0" * 40)
    assert exc.value.code == "RepositoryDoesNotExistException"
    with pytest.raises(AWSError) as exc:
        provider.branch_head("us-east-1", "no-such-repository", "main")
    assert exc.value.code == "RepositoryDoesNotExistException"
