"""push -> watch -> approve/reject over real HTTP against localcloud: a CodeCommit repository
pushed with the git CLI, an EventBridge rule starting a Source + Approval pipeline (V2,
SUPERSEDED), the watcher following the execution of each commit."""
from __future__ import annotations

import json
import uuid

import pytest

from capstone.drivers.approve import ApprovalUnavailable, Approver
from capstone.retry import Backoff
from capstone.drivers.push import WorkingCopy
from capstone.drivers.watch import PipelineWatcher, execution_is
from tests.iam_support import allow_all

pytestmark = pytest.mark.integration

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": None}}]}


def quiet(_line):
    pass


def role(iam, service, name):
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Principal"]["Service"] = service
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    allow_all(iam, arn)
    return arn


@pytest.fixture(scope="module")
def shared(aws):
    """Clients, roles and the artifact bucket: made once, they are slow to make."""
    suffix = uuid.uuid4().hex[:8]

    class Shared:
        cc, cp, events = aws("codecommit"), aws("codepipeline"), aws("events")
        bucket = f"drv-artifacts-{suffix}"
        pipeline_role = role(aws("iam"), "codepipeline.amazonaws.com", f"drv-pipe-{suffix}")
        events_role = role(aws("iam"), "events.amazonaws.com", f"drv-events-{suffix}")
    aws("s3").create_bucket(Bucket=Shared.bucket)
    return Shared


@pytest.fixture
def pipeline(shared, tmp_path, cli_env):
    """A pipeline Source (CodeCommit main) -> Approval started by pushes; its creation run approved."""
    suffix = uuid.uuid4().hex[:8]
    name, repo = f"drv-{suffix}", f"drv-repo-{suffix}"
    codecommit, cp, events = shared.cc, shared.cp, shared.events
    bucket, pipeline_role, events_role = shared.bucket, shared.pipeline_role, shared.events_role
    meta = codecommit.create_repository(repositoryName=repo)["repositoryMetadata"]
    codecommit.put_file(repositoryName=repo, branchName="main", filePath="index.html",
                        fileContent="awscicd demo app \u2014 v2\n".encode(), commitMessage="baseline")
    cp.create_pipeline(pipeline={
        "name": name, "roleArn": pipeline_role, "artifactStore": {"type": "S3", "location": bucket},
        "pipelineType": "V2", "executionMode": "SUPERSEDED",
        "stages": [
            {"name": "Source", "actions": [{
                "name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "CodeCommit", "version": "1"},
                "configuration": {"RepositoryName": repo, "BranchName": "main", "PollForSourceChanges": "false"},
                "outputArtifacts": [{"name": "SourceArtifact"}]}]},
            {"name": "Approval", "actions": [{
                "name": "ManualApproval", "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"}}]},
        ]})
    arn = f"arn:aws:codepipeline:us-east-1:{meta['accountId']}:{name}"
    events.put_rule(Name=f"drv-push-{suffix}", EventPattern=json.dumps({
        "source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"], "resources": [meta["Arn"]],
        "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"], "referenceName": ["main"]}}))
    events.put_targets(Rule=f"drv-push-{suffix}", Targets=[{"Id": "pipeline", "Arn": arn, "RoleArn": events_role}])

    approver = Approver(cp, name, log=quiet)
    first = cp.list_pipeline_executions(pipelineName=name)["pipelineExecutionSummaries"][-1]["pipelineExecutionId"]
    creation = PipelineWatcher(cp, name, first, log=quiet)
    approver.approve(creation, "creation run", 20)
    creation.wait_for(execution_is("Succeeded"), 20, what="the creation run to succeed")

    class Pipeline:
        pass
    p = Pipeline()
    p.name, p.cp, p.approver = name, cp, approver
    p.repo = WorkingCopy(meta["cloneUrlHttp"], cli_env, tmp_path / "work", log=quiet)
    p.watch = lambda commit: PipelineWatcher.for_commit(cp, name, commit, 20, log=quiet, backoff=Backoff(0.02, 1.5, 0.2))
    yield p
    cp.delete_pipeline(name=name)


def test_a_pushed_commit_is_followed_approved_and_succeeds(pipeline):
    commit = pipeline.repo.push({"index.html": "awscicd demo app \u2014 v3\n"}, "Release v3")
    watcher = pipeline.watch(commit)
    snap = watcher.wait_for_stage("Approval", "InProgress", 20)
    assert snap.stage("Source").status == "Succeeded"
    assert snap.execution["trigger"]["triggerType"] == "CloudWatchEvent"
    assert watcher.external_id("Source", "Source") == commit

    record = pipeline.approver.approve(watcher, "ship v3", 20)
    assert record["decision"] == "Approved" and record["by"].startswith("arn:aws:")
    snap = watcher.wait_for(execution_is("Succeeded"), 20, what="the execution to succeed")
    seen = [(t.level, t.name, t.new) for t in watcher.transitions]
    for expected in [("stage", "Source", "Succeeded"), ("stage", "Approval", "InProgress"),
                     ("stage", "Approval", "Succeeded"), ("execution", "", "Succeeded")]:
        assert expected in seen, seen
    assert seen.index(("stage", "Approval", "InProgress")) < seen.index(("stage", "Approval", "Succeeded"))


def test_a_rejected_commit_fails_and_its_approval_is_no_longer_available(pipeline):
    commit = pipeline.repo.push({"index.html": "awscicd demo app \u2014 v4\n"}, "Release v4")
    watcher = pipeline.watch(commit)
    pipeline.approver.reject(watcher, "not this one", 20)
    snap = watcher.wait_until_done(20)
    assert snap.status == "Failed" and snap.stage("Approval").status == "Failed"
    with pytest.raises(ApprovalUnavailable, match="stage Approval is already Failed"):
        pipeline.approver.approve(watcher, "too late", 5)


def test_reverting_a_commit_starts_a_run_of_the_revert(pipeline):
    bad = pipeline.repo.push({"index.html": "awscicd demo app \u2014 v5\n"}, "Release v5")
    pipeline.approver.reject(pipeline.watch(bad), "no", 20)
    fix = pipeline.repo.revert(bad)
    watcher = pipeline.watch(fix)
    assert watcher.execution_id != pipeline.watch(bad).execution_id
    watcher.wait_for_stage("Approval", "InProgress", 20)
    pipeline.approver.approve(watcher, "revert", 20)
    assert watcher.wait_until_done(20).status == "Succeeded"
    assert pipeline.repo.read("index.html") == "awscicd demo app \u2014 v2\n"


def test_the_watcher_follows_its_own_commit_through_supersession(pipeline):
    held = pipeline.watch(pipeline.repo.push({"index.html": "v6"}, "held"))
    held.wait_for_stage("Approval", "InProgress", 20)
    older = pipeline.watch(pipeline.repo.push({"index.html": "v7"}, "older"))
    older.wait_for(lambda s: s.stage("Approval").inbound, 20, what="older waiting in front of Approval")
    newer = pipeline.watch(pipeline.repo.push({"index.html": "v8"}, "newer"))
    assert len({held.execution_id, older.execution_id, newer.execution_id}) == 3
    older.wait_for(execution_is("Superseded"), 20, what="older superseded")
    snap = newer.wait_for(lambda s: s.stage("Approval").inbound, 20, what="newer waiting in front of Approval")
    assert snap.stage("Approval").token is None  # held's token is not the newer run's
    pipeline.approver.reject(held, "make way", 20)
    pipeline.approver.approve(newer, "the newest", 20)
    assert newer.wait_until_done(20).status == "Succeeded"
    assert not older.ever("stage", "Approval", "InProgress")
