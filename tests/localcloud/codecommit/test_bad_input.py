"""Bad input gets AWS's error and leaves the repository exactly as it was."""
from __future__ import annotations

import json

import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration

TARGET = "CodeCommit_20150413"


@pytest.fixture
def seeded(codecommit, repo):
    """A repository with one commit on main; returns (name, head)."""
    head = codecommit.put_file(repositoryName=repo["repositoryName"], branchName="main",
                               fileContent=b"ok\n", filePath="ok.txt")["commitId"]
    return repo["repositoryName"], head


def _unchecked_client(localcloud):
    """boto3 without client-side validation, so the request reaches the server as sent."""
    import boto3

    return boto3.session.Session().client(
        "codecommit", endpoint_url=localcloud.url, region_name="us-east-1", aws_access_key_id="testing",
        aws_secret_access_key="testing", config=Config(parameter_validation=False))


def _assert_intact(codecommit, name, head):
    assert codecommit.get_branch(repositoryName=name, branchName="main")["branch"]["commitId"] == head
    assert codecommit.get_file(repositoryName=name, filePath="ok.txt")["fileContent"] == b"ok\n"


def test_malformed_json_is_a_serialization_error(localcloud, codecommit, seeded):
    resp = requests.post(localcloud.url, data=b'{"repositoryName": ', timeout=10, headers={
        "X-Amz-Target": f"{TARGET}.PutFile", "Content-Type": "application/x-amz-json-1.1",
        "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/codecommit/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    assert resp.status_code == 400
    assert resp.json()["__type"] == "SerializationException"
    _assert_intact(codecommit, *seeded)


def test_missing_required_member_is_named(localcloud, codecommit, seeded):
    name, head = seeded
    with pytest.raises(ClientError) as exc:
        _unchecked_client(localcloud).put_file(repositoryName=name, branchName="main", parentCommitId=head,
                                               fileContent=b"x")
    err = exc.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert "'filePath'" in err["Message"] and "must not be null" in err["Message"]
    _assert_intact(codecommit, name, head)


def test_file_over_six_megabytes_is_refused(codecommit, seeded):
    name, head = seeded
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", parentCommitId=head,
                            fileContent=b"x" * (6 * 1024 * 1024 + 1), filePath="big.bin")
    assert exc.value.response["Error"]["Code"] == "FileContentSizeLimitExceededException"
    # exactly 6 MB is allowed
    ok = codecommit.put_file(repositoryName=name, branchName="main", parentCommitId=head,
                             fileContent=b"x" * (6 * 1024 * 1024), filePath="big.bin")
    assert codecommit.get_file(repositoryName=name, filePath="big.bin")["fileSize"] == 6 * 1024 * 1024
    assert ok["commitId"] != head


@pytest.mark.parametrize("path", ["../outside.txt", "a/../../outside.txt", "/../outside.txt", ".git/hooks/x", "/"])
def test_paths_escaping_the_repository_are_refused(codecommit, seeded, path):
    name, head = seeded
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="main", parentCommitId=head,
                            fileContent=b"x", filePath=path)
    assert exc.value.response["Error"]["Code"] == "InvalidPathException"
    _assert_intact(codecommit, name, head)


def test_unknown_repository_and_branch(codecommit, seeded):
    name, head = seeded
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name + "-missing", branchName="main", fileContent=b"x", filePath="x")
    assert exc.value.response["Error"]["Code"] == "RepositoryDoesNotExistException"
    with pytest.raises(ClientError) as exc:
        codecommit.put_file(repositoryName=name, branchName="missing", parentCommitId=head, fileContent=b"x", filePath="x")
    assert exc.value.response["Error"]["Code"] == "BranchDoesNotExistException"
    _assert_intact(codecommit, name, head)


def test_invalid_base64_content(localcloud, codecommit, seeded):
    name, head = seeded
    body = json.dumps({"repositoryName": name, "branchName": "main", "parentCommitId": head,
                       "filePath": "x", "fileContent": "%%% not base64 %%%"})
    resp = requests.post(localcloud.url, data=body, timeout=10, headers={
        "X-Amz-Target": f"{TARGET}.PutFile", "Content-Type": "application/x-amz-json-1.1"})
    assert resp.status_code == 400
    assert resp.json()["__type"] == "ValidationException" and "fileContent" in resp.json()["message"]
    _assert_intact(codecommit, name, head)
