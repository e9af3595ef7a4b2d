"""Repositories, branches and tags through boto3, with AWS's errors."""
from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration


def _code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_repository_metadata(codecommit, repo_name, localcloud):
    meta = codecommit.create_repository(repositoryName=repo_name, repositoryDescription="demo",
                                        tags={"run": "r1"})["repositoryMetadata"]
    uuid.UUID(meta["repositoryId"])
    assert meta["Arn"] == f"arn:aws:codecommit:us-east-1:123456789012:{repo_name}"
    assert meta["cloneUrlHttp"] == f"{localcloud.url}/v1/repos/{repo_name}"
    assert meta["cloneUrlSsh"] == f"ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/{repo_name}"
    assert meta["repositoryDescription"] == "demo"
    assert "defaultBranch" not in meta       # empty repository: no default branch yet
    assert codecommit.get_repository(repositoryName=repo_name)["repositoryMetadata"]["repositoryId"] == meta["repositoryId"]
    assert codecommit.list_tags_for_resource(resourceArn=meta["Arn"])["tags"] == {"run": "r1"}
    listed = codecommit.list_repositories()["repositories"]
    assert {"repositoryName": repo_name, "repositoryId": meta["repositoryId"]} in listed

    with pytest.raises(ClientError) as exc:
        codecommit.create_repository(repositoryName=repo_name)
    assert _code(exc) == "RepositoryNameExistsException"


def test_delete_repository_is_idempotent(codecommit):
    name = f"del-{uuid.uuid4().hex[:8]}"
    repo_id = codecommit.create_repository(repositoryName=name)["repositoryMetadata"]["repositoryId"]
    assert codecommit.delete_repository(repositoryName=name)["repositoryId"] == repo_id
    again = codecommit.delete_repository(repositoryName=name)
    assert "repositoryId" not in again
    with pytest.raises(ClientError) as exc:
        codecommit.get_repository(repositoryName=name)
    assert _code(exc) == "RepositoryDoesNotExistException"


@pytest.mark.parametrize("bad", ["bad/name", "ends.git", "sp ace"])
def test_invalid_repository_names_are_refused(codecommit, bad):
    with pytest.raises(ClientError) as exc:
        codecommit.create_repository(repositoryName=bad)
    assert _code(exc) in ("InvalidRepositoryNameException", "ValidationException")


def test_branches(codecommit, repo):
    name = repo["repositoryName"]
    first = codecommit.put_file(repositoryName=name, branchName="main", fileContent=b"1", filePath="f")["commitId"]
    codecommit.create_branch(repositoryName=name, branchName="feature", commitId=first)
    assert codecommit.list_branches(repositoryName=name)["branches"] == ["feature", "main"]
    assert codecommit.get_branch(repositoryName=name, branchName="feature")["branch"] == {
        "branchName": "feature", "commitId": first}

    with pytest.raises(ClientError) as exc:
        codecommit.create_branch(repositoryName=name, branchName="feature", commitId=first)
    assert _code(exc) == "BranchNameExistsException"
    with pytest.raises(ClientError) as exc:
        codecommit.create_branch(repositoryName=name, branchName="other", commitId="0" * 40)
    assert _code(exc) == "CommitDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.create_branch(repositoryName=name, branchName="other", commitId="nothex")
    assert _code(exc) == "InvalidCommitIdException"
    with pytest.raises(ClientError) as exc:
        codecommit.create_branch(repositoryName=name, branchName="bad..name", commitId=first)
    assert _code(exc) == "InvalidBranchNameException"

    with pytest.raises(ClientError) as exc:
        codecommit.delete_branch(repositoryName=name, branchName="main")
    assert _code(exc) == "DefaultBranchCannotBeDeletedException"
    codecommit.update_default_branch(repositoryName=name, defaultBranchName="feature")
    assert codecommit.get_repository(repositoryName=name)["repositoryMetadata"]["defaultBranch"] == "feature"
    deleted = codecommit.delete_branch(repositoryName=name, branchName="main")["deletedBranch"]
    assert deleted == {"branchName": "main", "commitId": first}
    assert "deletedBranch" not in codecommit.delete_branch(repositoryName=name, branchName="main")
    with pytest.raises(ClientError) as exc:
        codecommit.update_default_branch(repositoryName=name, defaultBranchName="main")
    assert _code(exc) == "BranchDoesNotExistException"


def test_get_branch_errors(codecommit, repo):
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(repositoryName=repo["repositoryName"], branchName="nope")
    assert _code(exc) == "BranchDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(repositoryName="no-such-repo-" + uuid.uuid4().hex[:6], branchName="main")
    assert _code(exc) == "RepositoryDoesNotExistException"
    # neither member is required by the model: AWS names the missing one with its own exception
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(repositoryName=repo["repositoryName"])
    assert _code(exc) == "BranchNameRequiredException"
    with pytest.raises(ClientError) as exc:
        codecommit.get_branch(branchName="main")
    assert _code(exc) == "RepositoryNameRequiredException"


def test_tags(codecommit, repo):
    arn = repo["Arn"]
    codecommit.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    codecommit.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert codecommit.list_tags_for_resource(resourceArn=arn)["tags"] == {"b": "2"}
    with pytest.raises(ClientError) as exc:
        codecommit.tag_resource(resourceArn=arn, tags={"aws:reserved": "x"})
    assert _code(exc) == "InvalidSystemTagUsageException"
    with pytest.raises(ClientError) as exc:
        codecommit.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert _code(exc) == "TooManyTagsException"
    with pytest.raises(ClientError) as exc:
        codecommit.list_tags_for_resource(resourceArn="arn:aws:codecommit:us-east-1:123456789012:missing-" + uuid.uuid4().hex[:6])
    assert _code(exc) == "RepositoryDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.list_tags_for_resource(resourceArn="not-an-arn")
    assert _code(exc) == "InvalidResourceArnException"


def test_batch_get_and_list_order(codecommit, repo):
    name = repo["repositoryName"]
    got = codecommit.batch_get_repositories(repositoryNames=[name, "missing-" + uuid.uuid4().hex[:6]])
    assert [r["repositoryName"] for r in got["repositories"]] == [name]
    assert len(got["repositoriesNotFound"]) == 1
    names = [r["repositoryName"] for r in codecommit.list_repositories(sortBy="repositoryName", order="descending")["repositories"]]
    assert names == sorted(names, reverse=True)
