"""The git CLI against localcloud's CodeCommit: clone, push, the event a push emits, and the
ways a push must fail (deleted repository, deleting the default branch)."""
from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest

pytestmark = pytest.mark.integration


def _queue_rule(aws, repo_arn: str, branch: str = "main") -> str:
    """An SQS queue behind an EventBridge rule for `branch` pushes of one repository."""
    sqs, events = aws("sqs"), aws("events")
    suffix = uuid.uuid4().hex[:8]
    url = sqs.create_queue(QueueName=f"push-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name=f"push-{suffix}", EventPattern=json.dumps({
        "source": ["aws.codecommit"],
        "detail-type": ["CodeCommit Repository State Change"],
        "resources": [repo_arn],
        "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                   "referenceName": [branch]},
    }))
    events.put_targets(Rule=f"push-{suffix}", Targets=[{"Id": "queue", "Arn": arn}])
    return url


def _messages(localcloud, sqs, url: str) -> list[dict]:
    """Every event delivered to the queue, once EventBridge's asynchronous delivery is done."""
    assert localcloud.services.events.wait_idle(10)
    found: list[dict] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return found
        found += [json.loads(m["Body"]) for m in got]


def _commit_file(git, work, name: str, text: str, message: str) -> str:
    (work / name).write_text(text)
    git("add", name, cwd=work)
    git("commit", "-q", "-m", message, cwd=work)
    return git("rev-parse", "HEAD", cwd=work).stdout.strip()


def test_push_moves_the_branch_and_reaches_a_rules_queue(localcloud, aws, repo, git, tmp_path, cli_env):
    queue = _queue_rule(aws, repo["Arn"])
    work = tmp_path / "work"
    git("clone", "-q", repo["cloneUrlHttp"], str(work))   # an empty repository clones (with a warning)
    first = _commit_file(git, work, "app.py", "print('v1')\n", "v1")
    git("push", "-q", "origin", "main", cwd=work)
    second = _commit_file(git, work, "app.py", "print('v2')\n", "v2")
    git("push", "-q", "origin", "main", cwd=work)

    codecommit = aws("codecommit")
    assert codecommit.get_branch(repositoryName=repo["repositoryName"], branchName="main")["branch"]["commitId"] == second
    # the first branch pushed to an empty repository becomes its default branch
    meta = codecommit.get_repository(repositoryName=repo["repositoryName"])["repositoryMetadata"]
    assert meta["defaultBranch"] == "main"

    # the AWS CLI sees the same branch
    out = subprocess.run(["aws", "codecommit", "get-branch", "--repository-name", repo["repositoryName"],
                          "--branch-name", "main", "--output", "json"],
                         env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["branch"]["commitId"] == second

    events = _messages(localcloud, aws("sqs"), queue)
    assert [e["detail"]["event"] for e in events] == ["referenceCreated", "referenceUpdated"]
    created, updated = events
    assert created["source"] == "aws.codecommit"
    assert created["detail-type"] == "CodeCommit Repository State Change"
    assert created["resources"] == [repo["Arn"]]
    assert created["account"] == repo["accountId"] and created["region"] == "us-east-1"
    assert created["detail"] == {
        "event": "referenceCreated", "repositoryName": repo["repositoryName"], "repositoryId": repo["repositoryId"],
        "referenceType": "branch", "referenceName": "main", "referenceFullName": "refs/heads/main", "commitId": first,
    }
    assert updated["detail"]["commitId"] == second and updated["detail"]["oldCommitId"] == first


def test_clone_gets_the_default_branch_with_executable_bits(aws, repo, git, tmp_path):
    work = tmp_path / "work"
    git("init", "-q", str(work))
    script = work / "deploy.sh"
    script.write_text("#!/bin/sh\necho deployed\n")
    script.chmod(0o755)
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "script", cwd=work)
    git("push", "-q", repo["cloneUrlHttp"], "main", cwd=work)

    clone = tmp_path / "clone"
    git("clone", "-q", repo["cloneUrlHttp"], str(clone))
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=clone).stdout.strip() == "main"
    assert os.access(clone / "deploy.sh", os.X_OK)


def test_large_push_with_chunked_request_body(aws, repo, git, tmp_path):
    """git sends bodies over http.postBuffer (1 MiB) with Transfer-Encoding: chunked."""
    work = tmp_path / "work"
    git("init", "-q", str(work))
    (work / "blob.bin").write_bytes(os.urandom(3 * 1024 * 1024))
    git("add", ".", cwd=work)
    git("commit", "-q", "-m", "big", cwd=work)
    head = git("rev-parse", "HEAD", cwd=work).stdout.strip()
    git("-c", "http.postBuffer=65536", "push", "-q", repo["cloneUrlHttp"], "main", cwd=work, timeout=60)
    got = aws("codecommit").get_branch(repositoryName=repo["repositoryName"], branchName="main")
    assert got["branch"]["commitId"] == head


def test_push_to_a_deleted_repository_fails_fast(aws, codecommit, git, tmp_path):
    name = f"gone-{uuid.uuid4().hex[:8]}"
    url = codecommit.create_repository(repositoryName=name)["repositoryMetadata"]["cloneUrlHttp"]
    codecommit.delete_repository(repositoryName=name)
    work = tmp_path / "work"
    git("init", "-q", str(work))
    _commit_file(git, work, "a.txt", "a\n", "a")
    started = time.monotonic()
    out = git("push", url, "main", cwd=work, check=False, timeout=20)
    assert out.returncode != 0
    assert "not found" in out.stderr
    assert time.monotonic() - started < 5


def test_push_cannot_delete_the_default_branch_but_can_delete_another(localcloud, aws, repo, git, tmp_path):
    queue = _queue_rule(aws, repo["Arn"], branch="feature")
    work = tmp_path / "work"
    git("init", "-q", str(work))
    head = _commit_file(git, work, "a.txt", "a\n", "a")
    git("push", "-q", repo["cloneUrlHttp"], "main", "main:feature", cwd=work)

    refused = git("push", repo["cloneUrlHttp"], ":main", cwd=work, check=False)
    assert refused.returncode != 0 and "default branch" in refused.stderr
    git("push", "-q", repo["cloneUrlHttp"], ":feature", cwd=work)

    branches = aws("codecommit").list_branches(repositoryName=repo["repositoryName"])["branches"]
    assert branches == ["main"]
    # the rule's pattern lists referenceCreated/Updated only: the deletion is not delivered
    events = _messages(localcloud, aws("sqs"), queue)
    assert [(e["detail"]["event"], e["detail"]["commitId"]) for e in events] == [("referenceCreated", head)]


def test_any_credentials_are_accepted_offline(aws, repo, git, tmp_path):
    """Offline git is never challenged; credentials in the URL or from a helper are ignored."""
    with_user = repo["cloneUrlHttp"].replace("http://", "http://AKIDEXAMPLE:dummy-secret@")
    work = tmp_path / "work"
    git("init", "-q", str(work))
    head = _commit_file(git, work, "a.txt", "a\n", "a")
    git("-c", "credential.helper=!aws codecommit credential-helper $@", "-c", "credential.UseHttpPath=true",
        "push", "-q", with_user, "main", cwd=work)
    assert aws("codecommit").get_branch(repositoryName=repo["repositoryName"], branchName="main")["branch"]["commitId"] == head
