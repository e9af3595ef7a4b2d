"""The CodeBuild project behind the BuildAndTest stage (source and artifacts come from the
pipeline). Deleting it also deletes what CodeBuild created on its own: the log group
`/aws/codebuild/<project>` (never expires by default) and the report groups `<project>-<key>`."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found, wait_until

NAME = "build"
PROJECT = "codebuild:project"
REPORT_GROUP = "codebuild:report-group"
LOG_GROUP = "logs:log-group"
TYPES = (PROJECT, REPORT_GROUP, LOG_GROUP)

IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"  # AL2023, Python 3.11


def create(ctx: BuildContext) -> None:
    n = ctx.names
    cb = ctx.client("codebuild")
    entry = ctx.record(PROJECT, n.build_project, builder=NAME)
    # CreateProject assumes the service role the iam builder just made: retried while CodeBuild
    # cannot assume it yet (InvalidInputException "CodeBuild is not authorized to perform: sts:AssumeRole")
    out = ctx.hand_over_fresh_iam(cb.create_project, what=f"create build project {n.build_project}",
                                  name=n.build_project,
                                  description=f"capstone {n.prefix}: the app's pytest gate and the CodeDeploy bundle",
                                  source={"type": "CODEPIPELINE", "buildspec": "buildspec.yml"},
                                  artifacts={"type": "CODEPIPELINE"},
                                  environment={"type": "LINUX_CONTAINER", "image": IMAGE,
                                               "computeType": "BUILD_GENERAL1_SMALL"},
                                  serviceRole=ctx.outputs.get(f"role:{n.build_role}") or n.role_arn(n.build_role),
                                  timeoutInMinutes=15,
                                  logsConfig={"cloudWatchLogs": {"status": "ENABLED"}},
                                  tags=[{"key": k, "value": v} for k, v in ctx.tags.items()])
    ctx.created(entry, arn=out["project"]["arn"])


def delete(ctx: BuildContext, record: dict) -> None:
    cb = ctx.client("codebuild")
    name = record["name"]
    try:
        if record["type"] == PROJECT:
            stop_running_builds(ctx, name)
            try:
                                   call(cb.delete_project, name=name, what=f"delete build project {name}")
            except Exception as exc:
                                   if not is_not_found(exc):
                                       raise
            delete_created_for(ctx, name)
        elif record["type"] == REPORT_GROUP:
            arn = record.get("arn") or ctx.names.arn("codebuild", f"report-group/{name}")
            call(cb.delete_report_group, arn=arn, deleteReports=True, what=f"delete report group {name}")
        elif record["type"] == LOG_GROUP:
            call(ctx.client("logs").delete_log_group, logGroupName=name, what=f"delete log group {name}")
    except Exception as exc:
        if not is_not_found(exc):
            raise


def stop_running_builds(ctx: BuildContext, project: str) -> None:
    """A build the pipeline started keeps running after the pipeline is deleted, and would write
    its log group and report group back after we deleted them: stop it and wait for it first."""
    cb = ctx.client("codebuild")
    try:
        ids = cb.list_builds_for_project(projectName=project, sortOrder="DESCENDING").get("ids", [])[:20]
    except Exception as exc:
        if is_not_found(exc):
            return
        raise

    def running() -> list[str]:
        if not ids:
            return []
        builds = cb.batch_get_builds(ids=ids).get("builds", [])
        return [b["id"] for b in builds if b.get("buildStatus") == "IN_PROGRESS"]

    for build_id in running():
        try:
            cb.stop_build(id=build_id)
        except Exception:  # finished meanwhile
            pass
    wait_until(lambda: (not (left := running()), f"{len(left)} build(s) still running"),
                                  what=f"the builds of {project} to stop", timeout=300)


def delete_created_for(ctx: BuildContext, project: str) -> None:
    """What CodeBuild created for `project`: its log group and its `<project>-*` report groups."""
    cb = ctx.client("codebuild")
    for arn in _report_groups(cb):
        if arn.rsplit("/", 1)[-1].startswith(project + "-"):
            try:
                                   call(cb.delete_report_group, arn=arn, deleteReports=True, what=f"delete report group {arn}")
            except Exception as exc:
                                   if not is_not_found(exc):
                                       raise
    try:
        call(ctx.client("logs").delete_log_group, logGroupName=f"/aws/codebuild/{project}",
             what=f"delete log group /aws/codebuild/{project}")
    except Exception as exc:
        if not is_not_found(exc):
            raise


def _report_groups(cb) -> list[str]:
    arns: list[str] = []
    kwargs: dict = {}
    while True:
        page = cb.list_report_groups(**kwargs)
        arns.extend(page.get("reportGroups", []))
        if not page.get("nextToken"):
            return arns
        kwargs["nextToken"] = page["nextToken"]
