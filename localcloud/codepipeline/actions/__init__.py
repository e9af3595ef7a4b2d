"""Action providers: one module per (category, owner, provider) that localcloud really runs.

A runner module exposes `run(run: ActionRun) -> Outcome`, called on its own thread; it may block
(a build, a deployment, an approval) and must return soon after `run.abandoned` becomes true.
Source runners also expose `capture(cloud, principal, region, configuration, event) -> dict | None`: the
revision an execution gets at the moment it is triggered (https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html).
Action types AWS offers but localcloud does not run are in KNOWN_AWS_TYPES: a pipeline may use
them, and the action then fails with a clear errorDetails (never a hang).
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from localcloud.codepipeline.models import ErrorDetails
from localcloud.principal import Principal

log = logging.getLogger("localcloud.codepipeline")

# (category, owner, provider) -> runner module
RUNNERS = {
    ("Source", "AWS", "CodeCommit"): "localcloud.codepipeline.actions.source_codecommit",
    ("Source", "AWS", "S3"): "localcloud.codepipeline.actions.source_s3",
    ("Build", "AWS", "CodeBuild"): "localcloud.codepipeline.actions.build_codebuild",
    ("Test", "AWS", "CodeBuild"): "localcloud.codepipeline.actions.build_codebuild",
    ("Approval", "AWS", "Manual"): "localcloud.codepipeline.actions.approval_manual",
    ("Deploy", "AWS", "CodeDeploy"): "localcloud.codepipeline.actions.deploy_codedeploy",
}

# Action types CodePipeline offers (action-reference-*.md). A type outside this list and RUNNERS
# does not exist on AWS: CreatePipeline refuses it as AWS does.
KNOWN_AWS_TYPES = {
    ("Source", "AWS", "ECR"), ("Source", "AWS", "CodeStarSourceConnection"), ("Source", "ThirdParty", "GitHub"),
    ("Build", "AWS", "ECRBuildAndPublish"), ("Build", "AWS", "Commands"), ("Compute", "AWS", "Commands"),
    ("Test", "AWS", "DeviceFarm"), ("Test", "ThirdParty", "GhostInspector"), ("Test", "ThirdParty", "Runscope"),
    ("Deploy", "AWS", "S3"), ("Deploy", "AWS", "CloudFormation"), ("Deploy", "AWS", "CloudFormationStackSet"),
    ("Deploy", "AWS", "CloudFormationStackInstances"), ("Deploy", "AWS", "CodeDeployToECS"), ("Deploy", "AWS", "ECS"),
    ("Deploy", "AWS", "ElasticBeanstalk"), ("Deploy", "AWS", "OpsWorks"), ("Deploy", "AWS", "ServiceCatalog"),
    ("Deploy", "AWS", "AppConfig"), ("Deploy", "AWS", "EC2"), ("Deploy", "AWS", "EKS"),
    ("Deploy", "ThirdParty", "AlexaSkillsKit"),
    ("Invoke", "AWS", "Lambda"), ("Invoke", "AWS", "StepFunctions"), ("Invoke", "AWS", "InspectorScan"),
    ("Invoke", "ThirdParty", "Snyk"),
}

# Artifact counts and configuration keys per runnable type (action-reference-*.md).
SHAPES = {
    ("Source", "AWS", "CodeCommit"): {"inputs": (0, 0), "outputs": (1, 1), "required": ("RepositoryName", "BranchName"),
                                      "allowed": ("RepositoryName", "BranchName", "PollForSourceChanges", "OutputArtifactFormat")},
    ("Source", "AWS", "S3"): {"inputs": (0, 0), "outputs": (1, 1), "required": ("S3Bucket", "S3ObjectKey"),
                              "allowed": ("S3Bucket", "S3ObjectKey", "PollForSourceChanges", "AllowOverrideForS3ObjectKey")},
    ("Build", "AWS", "CodeBuild"): {"inputs": (1, 5), "outputs": (0, 5), "required": ("ProjectName",),
                                    "allowed": ("ProjectName", "PrimarySource", "BatchEnabled", "CombineArtifacts", "EnvironmentVariables")},
    ("Approval", "AWS", "Manual"): {"inputs": (0, 0), "outputs": (0, 0), "required": (),
                                    "allowed": ("NotificationArn", "ExternalEntityLink", "CustomData")},
    ("Deploy", "AWS", "CodeDeploy"): {"inputs": (1, 1), "outputs": (0, 0), "required": ("ApplicationName", "DeploymentGroupName"),
                                      "allowed": ("ApplicationName", "DeploymentGroupName")},
}
SHAPES[("Test", "AWS", "CodeBuild")] = SHAPES[("Build", "AWS", "CodeBuild")]


def type_key(action: dict) -> tuple[str, str, str]:
    t = action["actionTypeId"]
    return t["category"], t["owner"], t["provider"]


def runner_for(action: dict):
    name = RUNNERS.get(type_key(action))
    return importlib.import_module(name) if name else None


@dataclass
class Outcome:
    """What a runner reports when its action ends."""
    status: str                                   # "Succeeded" | "Failed"
    summary: str | None = None
    external_execution_id: str | None = None
    external_execution_url: str | None = None
    error_details: ErrorDetails | None = None
    output_variables: dict[str, str] = field(default_factory=dict)
    revision: dict | None = None                  # source actions: revisionId, revisionSummary, created, ...

    @classmethod
    def failed(cls, code: str, message: str, **kwargs) -> "Outcome":
        return cls("Failed", summary=kwargs.pop("summary", None), error_details=ErrorDetails(code, message[:5000]), **kwargs)


@dataclass
class ActionRun:
    """Everything a runner needs, and the few ways it may talk back to the engine."""
    cloud: Any
    pipeline_name: str
    pipeline_arn: str
    pipeline_execution_id: str
    execution_mode: str
    stage_name: str
    action_name: str
    declaration: dict
    configuration: dict[str, str]                 # resolved
    region: str
    account_id: str
    input_artifacts: list[dict]                   # [{"name", "bucket", "key"}]
    output_artifacts: list[dict]                  # [{"name", "bucket", "key"}]: write exactly there
    captured_revision: dict | None                # the revision captured at trigger time (source actions)
    abandon_event: Any                            # threading.Event: set when the action is abandoned
    report: Callable[..., None]                   # report(external_execution_id=..., summary=..., ...)
    open_approval: Callable[..., Any] | None = None  # approval actions: registers and returns an Approval
    artifact_revisions: dict[str, str] = field(default_factory=dict)  # artifact name -> source revision id
    principal: Principal | None = None            # the role session the action acts as (doors take it)

    @property
    def abandoned(self) -> bool:
        return self.abandon_event.is_set()


# CodePipeline's words for an action whose role a service refused (console: "Insufficient
# permissions"), followed by the service's own message
INSUFFICIENT_PERMISSIONS = "The provided role does not have permissions to perform this action. Underlying error: "


def denied(err: Exception) -> Outcome:
    """The outcome of an action a service refused its role (iam/exceptions.py AccessDeniedByPolicy)."""
    return Outcome.failed("JobFailed", INSUFFICIENT_PERMISSIONS + getattr(err, "message", str(err)))


def client_error_text(err: Exception) -> tuple[str, str]:
    """(code, message) of a botocore ClientError or an AWSError."""
    response = getattr(err, "response", None)
    if response:
        e = response.get("Error", {})
        return e.get("Code", type(err).__name__), e.get("Message", str(err))
    return getattr(err, "code", type(err).__name__), getattr(err, "message", str(err))
