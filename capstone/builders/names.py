"""Every name of the environment, derived from one prefix.

`--prefix awscicd` reproduces the tutorial's names exactly (awscicd-cap-pipeline,
awscicd-demo-app, awscicd-demo-build, awscicd-demo, awscicd-cap-dg, awscicd-cap-asg, ...).
The prefix is validated up front against the tightest rule any derived name must obey
(ALB and target group names: ≤ 32 characters, alphanumerics and hyphens; S3 bucket names:
lowercase), so a bad prefix fails before anything is created.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

PREFIX_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
MAX_PREFIX = 24  # "<prefix>-cap-alb" and "<prefix>-cap-tg" must stay within ELB's 32 characters
DEFAULT_PREFIX_ROOT = "cap"  # default prefixes are cap-<6 hex>[-<worker>]; `capstone sweep` looks for these

# (name field, max length, pattern) checked after derivation: a second line of defence.
_RULES = {
    "alb": (32, r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"),
    "target_group": (32, r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"),
    "bucket": (63, r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"),
    "pipeline": (100, r"^[A-Za-z0-9.@\-_]+$"),
    "repository": (100, r"^[\w.-]+$"),
    "build_project": (255, r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$"),
    "application": (100, r".+"),
    "deployment_group": (100, r".+"),
    "asg": (255, r".+"),
    "launch_template": (128, r"^[a-zA-Z0-9().\-/_]{3,}$"),
    "event_rule": (64, r"^[.\-_A-Za-z0-9]+$"),
    "notification_rule": (64, r"^[.\-_A-Za-z0-9]+$"),
    "notification_topic": (256, r"^[A-Za-z0-9_-]+$"),
    "notification_queue": (80, r"^[A-Za-z0-9_-]+$"),
    "pipeline_role": (64, r"^[\w+=,.@-]+$"),
    "build_role": (64, r"^[\w+=,.@-]+$"),
    "deploy_role": (64, r"^[\w+=,.@-]+$"),
    "events_role": (64, r"^[\w+=,.@-]+$"),
    "instance_role": (64, r"^[\w+=,.@-]+$"),
    "instance_profile": (128, r"^[\w+=,.@-]+$"),
    # CodeArtifact's own patterns (botocore's DomainName and RepositoryName shapes)
    "codeartifact_domain": (50, r"^[a-z][a-z0-9\-]{0,48}[a-z0-9]$"),
    "codeartifact_repository": (100, r"^[A-Za-z0-9][A-Za-z0-9._\-]{1,99}$"),
}


class PrefixError(ValueError):
    pass


def validate_prefix(prefix: str) -> str:
    if not isinstance(prefix, str) or not prefix:
        raise PrefixError("the prefix must not be empty")
    problems = []
    if len(prefix) > MAX_PREFIX:
        problems.append(f"it is {len(prefix)} characters long; at most {MAX_PREFIX} keep '<prefix>-cap-alb' "
                        f"within the 32 characters ELB allows")
    if len(prefix) < 2:
        problems.append("it must be at least 2 characters long")
    if not PREFIX_RE.match(prefix):
        problems.append("use lowercase letters, digits and hyphens, starting with a letter and not ending "
                        "with a hyphen (S3 bucket names are lowercase; ELB names are alphanumerics and hyphens)")
    if "--" in prefix:
        problems.append("it must not contain '--'")
    if prefix in ("internal",) or prefix.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        problems.append("AWS reserves that beginning for load balancer or bucket names")
    if problems:
        raise PrefixError(f"invalid prefix {prefix!r}: " + "; ".join(problems))
    return prefix


def default_prefix(run_id: str, worker: str = "main") -> str:
    """Unique per run and per xdist worker, short enough for every derived name."""
    digest = hashlib.sha256(run_id.encode()).hexdigest()[:6]
    return f"{DEFAULT_PREFIX_ROOT}-{digest}" + ("" if worker == "main" else f"-{worker}")


# What may stand before the prefix in a name: CodeDeploy's copied groups, CodeBuild's log
# groups, and our SSM parameters (SSM reserves names beginning with "aws" or "ssm", which
# "/awscicd/..." would, so they live under /capstone/).
NAME_LEADS = ("CodeDeploy_", "/aws/codebuild/", "/capstone/", "/")


def bare_name(name: str) -> str:
    for lead in NAME_LEADS:
        if name.startswith(lead):
            return name[len(lead):]
    return name


def belongs(name: str, prefix: str) -> bool:
    """Does a resource name belong to `prefix`? (Also true for a shorter sweep prefix such as
    "cap", which matches every default prefix "cap-xxxxxx".)"""
    name = bare_name(name)
    return name == prefix or name.startswith(prefix + "-") or name.startswith(prefix + "/")


@dataclass(frozen=True)
class Names:
    prefix: str
    account_id: str
    region: str
    pipeline: str = ""
    repository: str = ""
    build_project: str = ""
    application: str = ""
    deployment_group: str = ""
    asg: str = ""
    launch_template: str = ""
    alb: str = ""
    target_group: str = ""
    alb_security_group: str = ""
    instance_security_group: str = ""
    vpc: str = ""
    alarm: str = ""
    ssm_parameter: str = ""
    secret: str = ""
    bucket: str = ""
    event_rule: str = ""
    notification_rule: str = ""     # pipeline execution state changes -> the topic
    notification_topic: str = ""    # approval notices and execution notifications
    notification_queue: str = ""    # the topic's subscriber the suite reads
    pipeline_role: str = ""
    build_role: str = ""
    deploy_role: str = ""
    events_role: str = ""
    instance_role: str = ""
    instance_profile: str = ""
    codeartifact_domain: str = ""      # the domain holding the internal package repository
    codeartifact_repository: str = ""  # the repository the build installs internal packages from
    # pipeline structure (contract with the scenarios)
    stages: tuple[str, ...] = ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")
    source_action: str = "Source"
    build_action: str = "Build"
    approval_stage: str = "Approval"
    approval_action: str = "ManualApproval"
    deploy_action: str = "Deploy"
    branch: str = "main"
    extra: dict = field(default_factory=dict)

    @classmethod
    def derive(cls, prefix: str, account_id: str, region: str) -> "Names":
        p = validate_prefix(prefix)
        names = cls(
            prefix=p, account_id=account_id, region=region,
            pipeline=f"{p}-cap-pipeline",
            repository=f"{p}-demo-app",
            build_project=f"{p}-demo-build",
            application=f"{p}-demo",
            deployment_group=f"{p}-cap-dg",
            asg=f"{p}-cap-asg",
            launch_template=f"{p}-cap-lt",
            alb=f"{p}-cap-alb",
            target_group=f"{p}-cap-tg",
            alb_security_group=f"{p}-cap-alb-sg",
            instance_security_group=f"{p}-cap-instance-sg",
            vpc=f"{p}-cap-vpc",
            alarm=f"{p}-cap-deploy-alarm",
            ssm_parameter=f"/capstone/{p}/demo-app/greeting",
            secret=f"{p}/demo-app/api-key",
            bucket=f"{p}-artifacts-{account_id}-{region}",
            event_rule=f"{p}-cap-push-to-main",
            notification_rule=f"{p}-cap-pipeline-notices",
            notification_topic=f"{p}-cap-notifications",
            notification_queue=f"{p}-cap-notifications",
            pipeline_role=f"{p}-codepipeline-role",
            build_role=f"{p}-codebuild-role",
            deploy_role=f"{p}-codedeploy-role",
            events_role=f"{p}-events-role",
            instance_role=f"{p}-ec2-role",
            instance_profile=f"{p}-ec2-profile",
            codeartifact_domain=f"{p}-cap-packages",
            codeartifact_repository=f"{p}-cap-internal",
        )
        names.check()
        return names

    def check(self) -> None:
        for key, (limit, pattern) in _RULES.items():
            value = getattr(self, key)
            if len(value) > limit or not re.match(pattern, value):
                raise PrefixError(f"prefix {self.prefix!r} makes an invalid {key.replace('_', ' ')} name "
                                  f"{value!r} (at most {limit} characters matching {pattern})")

    # -- ARNs -------------------------------------------------------------------------------
    def arn(self, service: str, resource: str, *, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account_id}:{resource}"

    @property
    def pipeline_arn(self) -> str:
        return self.arn("codepipeline", self.pipeline)

    @property
    def repository_arn(self) -> str:
        return self.arn("codecommit", self.repository)

    @property
    def build_project_arn(self) -> str:
        return self.arn("codebuild", f"project/{self.build_project}")

    @property
    def notification_topic_arn(self) -> str:
        return self.arn("sns", self.notification_topic)

    @property
    def notification_rule_arn(self) -> str:
        return self.arn("events", f"rule/{self.notification_rule}")

    @property
    def codeartifact_domain_arn(self) -> str:
        return self.arn("codeartifact", f"domain/{self.codeartifact_domain}")

    @property
    def codeartifact_repository_arn(self) -> str:
        return self.arn("codeartifact", f"repository/{self.codeartifact_domain}/{self.codeartifact_repository}")

    def role_arn(self, role: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{role}"

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("extra", None)
        return data
