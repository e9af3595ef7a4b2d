"""The IAM action and resource ARNs AWS evaluates for an API request.

The router hands every request signed by a role session or an IAM user to the authorizer with
`<prefix>:<Operation>` and the ARNs of the resources the request names, as the Service
Authorization Reference lists them (its "Resource types" column). This table holds the
operations builds, hooks and the suite itself use. An operation that is not listed here, or
whose resource cannot be named from the request alone, is evaluated on `*`, as AWS evaluates
actions that support no resource-level permissions: only a statement whose Resource matches
every resource (`"*"`) allows it. That is stricter than AWS for the few resource-scoped
actions missing from this table, never more lenient (a documented choice).
Source: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping
from urllib.parse import unquote

#: SigV4 signing names whose IAM service prefix differs
IAM_PREFIX = {"monitoring": "cloudwatch"}
#: operations AWS never authorizes (anyone with valid credentials may call them)
UNAUTHORIZED = {"sts:GetCallerIdentity"}


@dataclass(frozen=True)
class Request:
    """What the router knows about a request: signing name, operation, parameters, place."""
    signing_name: str
    operation: str
    params: Mapping[str, object]
    region: str
    account: str
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return f"{IAM_PREFIX.get(self.signing_name, self.signing_name)}:{self.operation}"

    def arn(self, service: str, resource: str, region: bool = True, account: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"


def _names(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _param(request: Request, *keys: str) -> list[str]:
    for key in keys:
        if request.params.get(key) is not None:
            return _names(request.params[key])
    return []


def _arn_or(request: Request, service: str, build: Callable[[str], str], *keys: str) -> list[str]:
    return [v if v.startswith("arn:") else request.arn(service, build(v)) for v in _param(request, *keys)]


# -- per service ----------------------------------------------------------------------------
def _ssm(request: Request) -> list[str]:
    names = _param(request, "Name", "Names", "Path")
    return [n if n.startswith("arn:") else request.arn("ssm", "parameter/" + n.lstrip("/")) for n in names]


def _secretsmanager(request: Request) -> list[str]:
    from moto.secretsmanager.models import secretsmanager_backends

    out = []
    for secret_id in _param(request, "SecretId", "Name"):
        if secret_id.startswith("arn:"):
            out.append(secret_id)
            continue
        try:  # the real ARN (with its random suffix), as AWS evaluates it
            secret = secretsmanager_backends[request.account][request.region].secrets.get(secret_id)
        except Exception:
            secret = None
        out.append(secret.arn if secret is not None else request.arn("secretsmanager", f"secret:{secret_id}-??????"))
    return out


def _logs(request: Request) -> list[str]:
    groups = _param(request, "logGroupName")
    streams = _param(request, "logStreamName")
    if groups and streams:
        return [request.arn("logs", f"log-group:{groups[0]}:log-stream:{streams[0]}")]
    return [request.arn("logs", f"log-group:{g}") for g in groups]


def _sqs(request: Request) -> list[str]:
    urls = _param(request, "QueueUrl")
    if urls:
        return [request.arn("sqs", unquote(urls[0]).rstrip("/").rsplit("/", 1)[-1])]
    return [request.arn("sqs", n) for n in _param(request, "QueueName")]


def _sns(request: Request) -> list[str]:
    arns = _param(request, "TopicArn", "ResourceArn", "TargetArn")
    return arns or [request.arn("sns", n) for n in _param(request, "Name")]


def _events(request: Request) -> list[str]:
    if request.operation == "PutEvents":
        entries = request.params.get("Entries") or []
        buses = {str(e.get("EventBusName") or "default") for e in entries if isinstance(e, Mapping)} or {"default"}
        return [b if b.startswith("arn:") else request.arn("events", f"event-bus/{b}") for b in sorted(buses)]
    bus = str(request.params.get("EventBusName") or "default")
    prefix = "rule/" if bus == "default" else f"rule/{bus}/"
    names = _param(request, "Name", "Rule")
    return [request.arn("events", prefix + n) for n in names] or _param(request, "ResourceARN")


def _cloudwatch(request: Request) -> list[str]:
    return _arn_or(request, "cloudwatch", lambda n: f"alarm:{n}", "AlarmName", "AlarmNames", "ResourceARN")


def _iam(request: Request) -> list[str]:
    out = []
    for key, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group"),
                      ("InstanceProfileName", "instance-profile")):
        for name in _param(request, key):
            out.append(f"arn:aws:iam::{request.account}:{kind}/{name}")
    return out or _param(request, "PolicyArn", "OpenIDConnectProviderArn")


def _codebuild(request: Request) -> list[str]:
    project = lambda n: f"project/{n}"  # noqa: E731
    if request.operation in ("BatchGetBuilds", "StopBuild", "RetryBuild", "BatchDeleteBuilds"):
        ids = _param(request, "ids", "id")
        return sorted({request.arn("codebuild", project(i.split(":", 1)[0])) for i in ids})
    if "ReportGroup" in request.operation or request.operation in ("BatchPutTestCases", "CreateReport", "UpdateReport"):
        arns = _param(request, "arn", "arns", "reportGroupArn", "reportGroupArns")
        if arns:  # a report's ARN is under its group: report/GROUP:ID
            return sorted({re.sub(r":report/([^:]+):.*$", r":report-group/\1", a) for a in arns})
        return _arn_or(request, "codebuild", lambda n: f"report-group/{n}", "name")
    return _arn_or(request, "codebuild", project, "projectName", "name", "names")


def _codepipeline(request: Request) -> list[str]:
    pipeline = request.params.get("pipeline")
    name = (pipeline.get("name") if isinstance(pipeline, Mapping) else None) or \
        request.params.get("pipelineName") or request.params.get("name")
    if request.operation in ("TagResource", "UntagResource", "ListTagsForResource"):
        return _param(request, "resourceArn")
    if not name:
        return []
    if request.operation == "PutApprovalResult":
        return [request.arn("codepipeline", f"{name}/{request.params.get('stageName')}/{request.params.get('actionName')}")]
    if request.operation in ("EnableStageTransition", "DisableStageTransition"):
        return [request.arn("codepipeline", f"{name}/{request.params.get('stageName')}")]
    return [request.arn("codepipeline", str(name))]


def _codedeploy(request: Request) -> list[str]:
    app = request.params.get("applicationName")
    group = request.params.get("deploymentGroupName") or request.params.get("currentDeploymentGroupName")
    if app and group:
        return [request.arn("codedeploy", f"deploymentgroup:{app}/{group}")]
    if app:
        return [request.arn("codedeploy", f"application:{app}")]
    if request.params.get("applicationNames"):
        return [request.arn("codedeploy", f"application:{a}") for a in _param(request, "applicationNames")]
    return _arn_or(request, "codedeploy", lambda n: f"deploymentconfig:{n}", "deploymentConfigName", "resourceArn")


def _codecommit(request: Request) -> list[str]:
    return _arn_or(request, "codecommit", lambda n: n, "repositoryName", "repositoryNames", "resourceArn")


def _autoscaling(request: Request) -> list[str]:
    return [f"arn:aws:autoscaling:{request.region}:{request.account}:autoScalingGroup:*:autoScalingGroupName/{n}"
            for n in _param(request, "AutoScalingGroupName")]


def _s3(request: Request) -> list[str]:
    bucket, key = request.extra.get("bucket"), request.extra.get("key")
    if not bucket:
        return []
    return [f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"]


def _codeartifact(request: Request) -> list[str]:
    """domain/DOMAIN, repository/DOMAIN/REPO or package/DOMAIN/REPO/FORMAT/NAMESPACE/NAME: the
    narrowest the request names (pypi names are normalised, as CodeArtifact's ARNs are)."""
    params = request.params
    if params.get("resourceArn"):
        return [str(params["resourceArn"])]
    domain = params.get("domain")
    if not domain:
        return []
    owner = str(params.get("domainOwner") or request.account)
    base = f"arn:aws:codeartifact:{request.region}:{owner}:"
    repo = params.get("repository")
    if not repo:
        return [f"{base}domain/{domain}"]
    package, fmt = params.get("package"), params.get("format")
    if package and fmt and request.operation != "ListPackages":
        name = re.sub(r"[-_.]+", "-", str(package)).lower() if fmt == "pypi" else str(package)
        return [f"{base}package/{domain}/{repo}/{fmt}/{params.get('namespace') or ''}/{name}"]
    return [f"{base}repository/{domain}/{repo}"]


def _sts(request: Request) -> list[str]:
    return _param(request, "RoleArn")


_BY_SERVICE: dict[str, Callable[[Request], list[str]]] = {
    "sts": _sts,
    "ssm": _ssm, "secretsmanager": _secretsmanager, "logs": _logs, "sqs": _sqs, "sns": _sns,
    "events": _events, "monitoring": _cloudwatch, "iam": _iam, "codebuild": _codebuild,
    "codepipeline": _codepipeline, "codedeploy": _codedeploy, "codecommit": _codecommit,
    "autoscaling": _autoscaling, "s3": _s3, "codeartifact": _codeartifact,
}


def _generic(request: Request) -> list[str]:
    """Any ARN the request names of its own service (elasticloadbalancing's TargetGroupArn...)."""
    prefix = f"arn:aws:{IAM_PREFIX.get(request.signing_name, request.signing_name)}:"
    return [v for k, v in request.params.items() if isinstance(v, str) and k.lower().endswith("arn") and v.startswith(prefix)]


def resources(request: Request) -> list[str]:
    """The ARNs `request.action` is evaluated on; ["*"] when none can be named."""
    named = _BY_SERVICE.get(request.signing_name, _generic)(request)
    return named or ["*"]


# -- roles handed to a service (iam:PassRole) -----------------------------------------------
def _pipeline_roles(params) -> list[str]:
    pipeline = params.get("pipeline") if isinstance(params.get("pipeline"), Mapping) else {}
    roles = [pipeline.get("roleArn")]
    for stage in pipeline.get("stages") or []:
        for action in (stage.get("actions") or []) if isinstance(stage, Mapping) else []:
            if isinstance(action, Mapping):
                roles.append(action.get("roleArn"))
    return [r for r in roles if r]


_PASSED: dict[tuple[str, str], tuple[str, Callable[[Mapping], list]]] = {
    ("codebuild", "CreateProject"): ("codebuild.amazonaws.com", lambda p: [p.get("serviceRole")]),
    ("codebuild", "UpdateProject"): ("codebuild.amazonaws.com", lambda p: [p.get("serviceRole")]),
    ("codepipeline", "CreatePipeline"): ("codepipeline.amazonaws.com", _pipeline_roles),
    ("codepipeline", "UpdatePipeline"): ("codepipeline.amazonaws.com", _pipeline_roles),
    ("codedeploy", "CreateDeploymentGroup"): ("codedeploy.amazonaws.com", lambda p: [p.get("serviceRoleArn")]),
    ("codedeploy", "UpdateDeploymentGroup"): ("codedeploy.amazonaws.com", lambda p: [p.get("serviceRoleArn")]),
    ("events", "PutTargets"): ("events.amazonaws.com",
                               lambda p: [t.get("RoleArn") for t in p.get("Targets") or [] if isinstance(t, Mapping)]),
}


def passed_roles(request: Request) -> list[tuple[str, str]]:
    """(role ARN, service) for each role the request hands to a service: the caller needs
    iam:PassRole on it, with `iam:PassedToService` naming that service. Roles handed over
    indirectly (an instance profile inside an EC2 launch template) are not checked.
    Source: https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html"""
    entry = _PASSED.get((request.signing_name, request.operation))
    if entry is None:
        return []
    service, roles = entry
    return [(str(r), service) for r in dict.fromkeys(roles(request.params)) if r and str(r).startswith("arn:")]


# -- tags given on create ---------------------------------------------------------------------
#: create operations that accept tags, the parameter holding them, and the action AWS also
#: requires when tags are given (tag-on-create needs the tagging permission as well)
_TAG_ON_CREATE: dict[tuple[str, str], tuple[str, str]] = {
    ("ec2", "CreateSecurityGroup"): ("TagSpecification", "ec2:CreateTags"),
    ("ec2", "CreateLaunchTemplate"): ("TagSpecification", "ec2:CreateTags"),
    ("ec2", "CreateVpc"): ("TagSpecification", "ec2:CreateTags"),
    ("ec2", "CreateSubnet"): ("TagSpecification", "ec2:CreateTags"),
    ("ec2", "RunInstances"): ("TagSpecification", "ec2:CreateTags"),
    ("autoscaling", "CreateAutoScalingGroup"): ("Tags", "autoscaling:CreateOrUpdateTags"),
    ("iam", "CreateRole"): ("Tags", "iam:TagRole"),
    ("iam", "CreateUser"): ("Tags", "iam:TagUser"),
    ("iam", "CreateInstanceProfile"): ("Tags", "iam:TagInstanceProfile"),
    ("iam", "CreatePolicy"): ("Tags", "iam:TagPolicy"),
    ("secretsmanager", "CreateSecret"): ("Tags", "secretsmanager:TagResource"),
    ("ssm", "PutParameter"): ("Tags", "ssm:AddTagsToResource"),
    ("codepipeline", "CreatePipeline"): ("tags", "codepipeline:TagResource"),
    ("codedeploy", "CreateApplication"): ("tags", "codedeploy:TagResource"),
    ("codedeploy", "CreateDeploymentGroup"): ("tags", "codedeploy:TagResource"),
    ("codecommit", "CreateRepository"): ("tags", "codecommit:TagResource"),
    ("events", "PutRule"): ("Tags", "events:TagResource"),
    ("logs", "CreateLogGroup"): ("tags", "logs:TagResource"),
    ("elasticloadbalancing", "CreateLoadBalancer"): ("Tags", "elasticloadbalancing:AddTags"),
    ("elasticloadbalancing", "CreateTargetGroup"): ("Tags", "elasticloadbalancing:AddTags"),
    ("monitoring", "PutMetricAlarm"): ("Tags", "cloudwatch:TagResource"),
    ("sns", "CreateTopic"): ("Tags", "sns:TagResource"),
    ("sqs", "CreateQueue"): ("tags", "sqs:TagQueue"),
    ("codeartifact", "CreateDomain"): ("tags", "codeartifact:TagResource"),
    ("codeartifact", "CreateRepository"): ("tags", "codeartifact:TagResource"),
}


def tagging_action(request: Request) -> str | None:
    """The tagging action a create request also needs because it carries tags, if any.
    Source: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html"""
    entry = _TAG_ON_CREATE.get((request.signing_name, request.operation))
    if entry is None:
        return None
    member, action = entry
    tagged = request.params.get(member) or any(k.startswith(member + ".") for k in request.params)
    return action if tagged else None

