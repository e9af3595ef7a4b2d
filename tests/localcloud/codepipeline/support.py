"""Building blocks for the CodePipeline integration tests: roles, buckets, repositories and
pipeline declarations through boto3 only, plus a polling wait with a clear timeout message."""
from __future__ import annotations

import json
import time
import uuid
from tests.iam_support import allow_all

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"Service": None}}]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def role(iam, service: str, name: str | None = None) -> str:
    trust = json.loads(json.dumps(TRUST))
    trust["Statement"][0]["Principal"]["Service"] = service
    arn = iam.create_role(RoleName=name or unique("role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    allow_all(iam, arn)
    return arn


def bucket(s3, name: str | None = None) -> str:
    name = name or unique("artifacts")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def repository(codecommit, name: str | None = None, files: dict[str, str] | None = None) -> tuple[str, str]:
    """A repository whose main branch has one commit; returns (name, commit id)."""
    name = name or unique("repo")
    codecommit.create_repository(repositoryName=name)
    commit = None
    for path, content in (files or {"README.md": "hello\n"}).items():
        kwargs = {"parentCommitId": commit} if commit else {}
        commit = codecommit.put_file(repositoryName=name, branchName="main", filePath=path,
                                     fileContent=content.encode(), commitMessage=f"add {path}", **kwargs)["commitId"]
    return name, commit


def push(codecommit, repo: str, path: str, content: str, message: str | None = None) -> str:
    parent = codecommit.get_branch(repositoryName=repo, branchName="main")["branch"]["commitId"]
    return codecommit.put_file(repositoryName=repo, branchName="main", filePath=path, fileContent=content.encode(),
                               parentCommitId=parent, commitMessage=message or f"change {path}")["commitId"]


def action(name, category, provider, configuration=None, inputs=(), outputs=(), **extra) -> dict:
    decl = {"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider, "version": "1"},
            "configuration": configuration or {}, "inputArtifacts": [{"name": n} for n in inputs],
            "outputArtifacts": [{"name": n} for n in outputs]}
    decl.update(extra)
    return decl


def codecommit_source(repo: str, poll: str | None = "false", fmt: str | None = None) -> dict:
    config = {"RepositoryName": repo, "BranchName": "main"}
    if poll is not None:
        config["PollForSourceChanges"] = poll
    if fmt:
        config["OutputArtifactFormat"] = fmt
    return {"name": "Source", "actions": [action("Source", "Source", "CodeCommit", config, outputs=["SourceArtifact"],
                                                 namespace="SourceVariables")]}


def approval_stage(**config) -> dict:
    extra = {}
    if "timeoutInMinutes" in config:
        extra["timeoutInMinutes"] = config.pop("timeoutInMinutes")
    return {"name": "Approval", "actions": [action("ManualApproval", "Approval", "Manual", config, **extra)]}


def declaration(name: str, role_arn: str, bucket_name: str, stages: list[dict], **extra) -> dict:
    decl = {"name": name, "roleArn": role_arn, "artifactStore": {"type": "S3", "location": bucket_name},
            "stages": stages, "pipelineType": "V2"}
    decl.update(extra)
    return decl


def wait_for(check, what: str, timeout: float = 10.0, interval: float = 0.02):
    """Call `check()` until it returns something truthy; fail naming `what` and the last value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last seen: {last!r}")


def execution(cp, pipeline: str, execution_id: str) -> dict:
    return cp.get_pipeline_execution(pipelineName=pipeline, pipelineExecutionId=execution_id)["pipelineExecution"]


def wait_status(cp, pipeline: str, execution_id: str, *statuses: str, timeout: float = 15.0) -> dict:
    return wait_for(lambda: (lambda e: e if e["status"] in statuses else None)(execution(cp, pipeline, execution_id)),
                    f"execution {execution_id} of {pipeline} to become {'/'.join(statuses)}", timeout)


def executions(cp, pipeline: str) -> list[dict]:
    return cp.list_pipeline_executions(pipelineName=pipeline)["pipelineExecutionSummaries"]


def first_execution(cp, pipeline: str) -> str:
    return wait_for(lambda: executions(cp, pipeline), f"an execution of {pipeline}")[-1]["pipelineExecutionId"]


def stage_state(cp, pipeline: str, stage: str) -> dict:
    return next(s for s in cp.get_pipeline_state(name=pipeline)["stageStates"] if s["stageName"] == stage)


def approval_token(cp, pipeline: str, execution_id: str, stage: str = "Approval", timeout: float = 10.0) -> str:
    def token():
        state = stage_state(cp, pipeline, stage)
        latest = state.get("latestExecution") or {}
        if latest.get("pipelineExecutionId") != execution_id:
            return None
        return (state["actionStates"][0].get("latestExecution") or {}).get("token")
    return wait_for(token, f"the approval token of execution {execution_id}", timeout)


def approve(cp, pipeline: str, token: str, status: str = "Approved", summary: str = "looks good"):
    return cp.put_approval_result(pipelineName=pipeline, stageName="Approval", actionName="ManualApproval",
                                  result={"summary": summary, "status": status}, token=token)
