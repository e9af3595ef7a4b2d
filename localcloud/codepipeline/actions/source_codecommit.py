"""Source / AWS / CodeCommit: the commit an execution was triggered for, zipped into the artifact store.

Reads the repository through CodeCommit's door as the pipeline's role, as CodePipeline does
inside AWS, and writes the artifact to S3. Output: one artifact (CODE_ZIP), output variables and
the execution result as the CodeCommit action reference lists them.
"""
from __future__ import annotations

from datetime import datetime, timezone

from localcloud.codecommit.exceptions import RepositoryDoesNotExistException
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.codepipeline.actions import ActionRun, Outcome, client_error_text
from localcloud.principal import Principal


def commit_url(region: str, repository: str, commit_id: str) -> str:
    return (f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/"
            f"{repository}/commit/{commit_id}?region={region}")


def repository_url(region: str, repository: str, branch: str) -> str:
    return (f"https://{region}.console.aws.amazon.com/codesuite/codecommit/repositories/"
            f"{repository}/browse/refs/heads/{branch}?region={region}")


def capture(cloud, principal: Principal, region: str, configuration: dict, event: dict | None = None) -> dict | None:
    """The revision at trigger time: the pushed commit when the event is about this branch, else
    the branch head now (AWS clones HEAD when the push happens, concepts-how-it-works.html)."""
    repository, branch = configuration.get("RepositoryName"), configuration.get("BranchName")
    detail = (event or {}).get("detail") or {}
    if (event and event.get("source") == "aws.codecommit" and detail.get("repositoryName") == repository
            and detail.get("referenceName") == branch and detail.get("commitId")):
        return {"revisionId": detail["commitId"]}
    try:
        head = cloud.services.codecommit.branch_head(principal, region, repository, branch)
    except Exception:  # a missing repository fails the action later, with AWS's message
        return None
    return {"revisionId": head} if head else None


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value) if value is not None else None


def run(run: ActionRun) -> Outcome:
    config = run.configuration
    repository, branch = config["RepositoryName"], config["BranchName"]
    codecommit = run.cloud.services.codecommit
    if config.get("OutputArtifactFormat", "CODE_ZIP") == "CODEBUILD_CLONE_REF":
        # The byte format of a full-clone reference is undocumented (docs/aws-behaviour.md); refuse
        # plainly rather than hand CodeBuild something it cannot read.
        return Outcome.failed("ConfigurationError", "localcloud does not implement OutputArtifactFormat "
                              "CODEBUILD_CLONE_REF; use CODE_ZIP (the default)")
    try:
        codecommit.get_repository(run.principal, run.region, repository)
    except RepositoryDoesNotExistException:
        # UNCONFIRMED wording: AWS reports a missing repository as a configuration error.
        return Outcome.failed("ConfigurationError", f"The action failed because the AWS CodeCommit repository "
                              f"{repository} was not found. Make sure the repository exists, and then try again.")
    captured = (run.captured_revision or {}).get("revisionId")
    commit_id = captured or codecommit.branch_head(run.principal, run.region, repository, branch)
    if not commit_id:
        return Outcome.failed("ConfigurationError", f"The action failed because no branch named {branch} was found in the "
                              f"selected AWS CodeCommit repository {repository}. Make sure you are using the correct "
                              "branch name, and then try again. Error: null")
    try:
        commit = codecommit.get_commit(run.principal, run.region, repository, commit_id)
        archive = codecommit.archive_commit(run.principal, run.region, repository, commit_id)
    except AccessDeniedByPolicy:
        raise  # the role's refusal is CodePipeline's "insufficient permissions" (engine.py), not a configuration error
    except Exception as err:
        code, message = client_error_text(err)
        return Outcome.failed("ConfigurationError", f"The action failed because the commit {commit_id} could not be "
                              f"read from the AWS CodeCommit repository {repository}: {code}: {message}")
    if run.abandoned:
        return Outcome.failed("JobFailed", "abandoned")
    for artifact in run.output_artifacts:
        run.cloud.services.s3.put_object(run.principal, artifact["bucket"], artifact["key"], archive)
    message = commit.message.strip()
    url = commit_url(run.region, repository, commit_id)
    return Outcome(
        "Succeeded",
        summary=message,
        external_execution_id=commit_id,
        external_execution_url=url,
        output_variables={
            "CommitId": commit_id,
            "CommitMessage": message,
            "RepositoryName": repository,
            "BranchName": branch,
            "AuthorDate": _iso(commit.author_date),
            "CommitterDate": _iso(commit.committer_date),
        },
        revision={"revisionId": commit_id, "revisionChangeIdentifier": commit_id, "revisionSummary": message,
                  "revisionUrl": url, "created": commit.committer_date or commit.author_date,
                  "entityUrl": repository_url(run.region, repository, branch)},
    )
