"""The pipeline: V2, SUPERSEDED (said explicitly, though it is the default), four stages —
Source (CodeCommit main, no polling: the EventBridge rule triggers it), BuildAndTest (CodeBuild),
Approval (Manual), DeployBlueGreen (CodeDeploy). CreatePipeline starts its first execution."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "pipeline"
PIPELINE = "codepipeline:pipeline"
TYPES = (PIPELINE,)

SOURCE_ARTIFACT = "SourceArtifact"
BUILD_ARTIFACT = "BuildArtifact"


def declaration(ctx: BuildContext) -> dict:
    n = ctx.names

    def action(name, category, provider, configuration, inputs=(), outputs=(), namespace=None):
        declared = {"name": name, "actionTypeId": {"category": category, "owner": "AWS", "provider": provider,
                                                   "version": "1"},
                    "runOrder": 1, "configuration": configuration,
                    "inputArtifacts": [{"name": a} for a in inputs],
                    "outputArtifacts": [{"name": a} for a in outputs]}
        if namespace:
            declared["namespace"] = namespace
        return declared

    return {
        "name": n.pipeline,
        "roleArn": ctx.outputs.get(f"role:{n.pipeline_role}") or n.role_arn(n.pipeline_role),
        "artifactStore": {"type": "S3", "location": n.bucket},
        "pipelineType": "V2",
        "executionMode": "SUPERSEDED",
        "stages": [
            {"name": n.stages[0], "actions": [action(
                n.source_action, "Source", "CodeCommit",
                {"RepositoryName": n.repository, "BranchName": n.branch, "PollForSourceChanges": "false",
                 "OutputArtifactFormat": "CODE_ZIP"},
                outputs=[SOURCE_ARTIFACT], namespace="SourceVariables")]},
            {"name": n.stages[1], "actions": [action(
                n.build_action, "Build", "CodeBuild", {"ProjectName": n.build_project},
                inputs=[SOURCE_ARTIFACT], outputs=[BUILD_ARTIFACT], namespace="BuildVariables")]},
            {"name": n.approval_stage, "actions": [action(
                n.approval_action, "Approval", "Manual", approval_configuration(ctx))]},
            {"name": n.stages[3], "actions": [action(
                n.deploy_action, "Deploy", "CodeDeploy",
                {"ApplicationName": n.application, "DeploymentGroupName": n.deployment_group},
                inputs=[BUILD_ARTIFACT])]},
        ],
    }


def approval_configuration(ctx: BuildContext) -> dict:
    """The approval's notice goes to the notifications topic; the reviewer's link is the release's
    source revision in CodeCommit (what they approve), resolved per execution."""
    n = ctx.names
    return {"NotificationArn": ctx.outputs.get("notification_topic_arn") or n.notification_topic_arn,
            "CustomData": f"Approve the blue/green release of {n.repository} to {n.deployment_group}",
            "ExternalEntityLink": (f"https://{n.region}.console.aws.amazon.com/codesuite/codecommit/repositories/"
                                   f"{n.repository}/commit/#{{SourceVariables.CommitId}}?region={n.region}")}


def create(ctx: BuildContext) -> None:
    n = ctx.names
    entry = ctx.record(PIPELINE, n.pipeline, builder=NAME)
    # A fresh role can take seconds to become assumable by CodePipeline (InvalidStructureException
    # "CodePipeline is not authorized to perform AssumeRole on role ..."): retried for a bound.
    ctx.hand_over_fresh_iam(ctx.client("codepipeline").create_pipeline, pipeline=declaration(ctx),
                            tags=[{"key": k, "value": v} for k, v in ctx.tags.items()],
                            what=f"create pipeline {n.pipeline}", deadline=180)
    ctx.created(entry, arn=n.pipeline_arn)


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        call(ctx.client("codepipeline").delete_pipeline, name=record["name"], what=f"delete pipeline {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
