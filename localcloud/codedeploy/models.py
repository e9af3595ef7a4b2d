"""CodeDeploy state: applications, deployment groups, deployment configs, deployments, targets.

Only typed state lives here; api/shapes.py renders it as AWS's shapes (botocore model
`codedeploy/2014-10-06`: DeploymentInfo, DeploymentGroupInfo, InstanceTarget, ...). The
deployment engine (engine.py and the kinds it runs) mutates deployments under
`CodeDeployBackend.lock`; the api/ modules translate requests.
"""
from __future__ import annotations

import math
import random
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud.clock import Clock

SERVER = "Server"
LAMBDA = "Lambda"
ECS = "ECS"
COMPUTE_PLATFORMS = (SERVER, LAMBDA, ECS)
#: what CreateDeploymentGroup and CreateDeployment use when no config is named, per platform
#: (Server: deployment-configurations.html; Lambda and ECS: UNCONFIRMED, the AllAtOnce ones)
DEFAULT_CONFIGS = {SERVER: "CodeDeployDefault.OneAtATime", LAMBDA: "CodeDeployDefault.LambdaAllAtOnce",
                   ECS: "CodeDeployDefault.ECSAllAtOnce"}

# Event order for one instance, by what the instance is in the deployment (reference-appspec-file-structure-hooks.html).
IN_PLACE_EVENTS = (
    "BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic",
    "ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
    "ApplicationStart", "ValidateService",
    "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic",
)
GREEN_INSTALL_EVENTS = (
    "ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall",
    "ApplicationStart", "ValidateService",
)
ALLOW_TRAFFIC_EVENTS = ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")
BLOCK_TRAFFIC_EVENTS = ("BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic")
GREEN_EVENTS = GREEN_INSTALL_EVENTS + ALLOW_TRAFFIC_EVENTS
#: Events reserved for CodeDeploy itself: an appspec cannot attach scripts to them.

ACTIVE_STATUSES = frozenset({"Created", "Queued", "InProgress", "Baking", "Ready"})
DONE_STATUSES = frozenset({"Succeeded", "Failed", "Stopped"})

HEALTH_CONSTRAINTS_MESSAGE = (
    "The overall deployment failed because too many individual instances failed deployment, too few "
    "healthy instances are available for deployment, or some instances in your deployment group are "
    "experiencing problems."
)

# The services CodeDeploy names when its service role is refused, by IAM prefix. AmazonAutoScaling
# is the name AWS's message gives (troubleshooting-auto-scaling.html); the others follow the same
# pattern (UNCONFIRMED, docs/aws-behaviour.md "How a denial shows").
SERVICE_NAMES = {"autoscaling": "AmazonAutoScaling", "elasticloadbalancing": "AmazonElasticLoadBalancing",
                 "ec2": "AmazonEC2", "cloudwatch": "AmazonCloudWatch", "sns": "AmazonSNS", "s3": "AmazonS3"}


def role_permissions_message(role_arn: str, action: str) -> str:
    """CodeDeploy's words for a service role that may not do `action` (errorInformation of an
    IAM_ROLE_PERMISSIONS failure, and InvalidRoleException's message at the API)."""
    prefix = action.split(":", 1)[0]
    return (f"The IAM role {role_arn} does not give you permission to perform operations in the following AWS "
            f"service: {SERVICE_NAMES.get(prefix, prefix)}. Contact your AWS administrator if you need help. If you are "
            "an AWS administrator, you can grant permissions to your users or groups by creating IAM policies.")


def deployment_id() -> str:
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


# -- deployment configs ---------------------------------------------------------------------------
@dataclass
class DeploymentConfig:
    name: str
    minimum_healthy_hosts: dict | None
    create_time: datetime
    compute_platform: str = SERVER
    config_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    traffic_routing_config: dict | None = None
    zonal_config: dict | None = None
    builtin: bool = False

    def min_healthy(self, total: int) -> int:
        """How many instances must stay healthy, for `total` instances in the deployment."""
        mhh = self.minimum_healthy_hosts or {"type": "HOST_COUNT", "value": 0}
        kind, value = mhh.get("type"), int(mhh.get("value", 0))
        if kind == "MOST_CONCURRENCY":  # OneAtATime: all instances but one stay healthy
            return max(total - 1, 0)
        if kind == "FLEET_PERCENT":  # "converts the percentage ... and rounds up fractional instances"
            return math.ceil(total * value / 100)
        return value


def builtin_configs(now: datetime) -> dict[str, DeploymentConfig]:
    # GetDeploymentConfig of OneAtATime reports type MOST_CONCURRENCY, value 1 (API reference,
    # MinimumHealthyHosts note) even though callers can only set HOST_COUNT or FLEET_PERCENT.
    specs = {
        "CodeDeployDefault.OneAtATime": {"type": "MOST_CONCURRENCY", "value": 1},
        "CodeDeployDefault.HalfAtATime": {"type": "FLEET_PERCENT", "value": 50},
        "CodeDeployDefault.AllAtOnce": {"type": "HOST_COUNT", "value": 0},
    }
    configs = {name: DeploymentConfig(name, mhh, now, builtin=True) for name, mhh in specs.items()}
    # Lambda and ECS shift traffic instead (deployment-configurations.html, "Predefined
    # deployment configurations for an AWS Lambda / Amazon ECS compute platform")
    routed = {
        LAMBDA: {"LambdaAllAtOnce": None,
                 **{f"LambdaCanary10Percent{m}Minutes": ("canary", m) for m in (5, 10, 15, 30)},
                 **{f"LambdaLinear10PercentEvery{m}Minute{'s' if m > 1 else ''}": ("linear", m) for m in (1, 2, 3, 10)}},
        ECS: {"ECSAllAtOnce": None,
              **{f"ECSCanary10Percent{m}Minutes": ("canary", m) for m in (5, 15)},
              **{f"ECSLinear10PercentEvery{m}Minutes": ("linear", m) for m in (1, 3)}},
    }
    for platform, names in routed.items():
        for short, shift in names.items():
            name = f"CodeDeployDefault.{short}"
            configs[name] = DeploymentConfig(name, None, now, platform, traffic_routing_config=traffic_routing(shift),
                                             builtin=True)
    return configs


def traffic_routing(shift: tuple[str, int] | None) -> dict:
    """A TrafficRoutingConfig: all at once, or 10% first (canary) / every interval (linear)."""
    if shift is None:
        return {"type": "AllAtOnce"}
    kind, minutes = shift
    if kind == "canary":
        return {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": minutes}}
    return {"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 10, "linearInterval": minutes}}


# -- applications and groups ----------------------------------------------------------------------
@dataclass
class Application:
    name: str
    create_time: datetime
    compute_platform: str = SERVER
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    tags: dict[str, str] = field(default_factory=dict)
    revisions: dict[tuple, RegisteredRevision] = field(default_factory=dict)  # by revision_key

    def arn(self, region: str, account: str) -> str:
        return f"arn:aws:codedeploy:{region}:{account}:application:{self.name}"

    def register(self, location: dict, now: datetime, description: str | None = None) -> RegisteredRevision:
        """Register `location` (again: a new description replaces the old one)."""
        key = revision_key(location)
        known = self.revisions.get(key)
        if known is None:
            known = self.revisions[key] = RegisteredRevision(dict(location), now, description)
        elif description is not None:
            known.description = description
        return known

    def used(self, location: dict, group: str, now: datetime) -> None:
        """A deployment of `group` used the revision: it is registered and its times move."""
        revision = self.register(location, now)
        revision.first_used = revision.first_used or now
        revision.last_used = now
        if group not in revision.groups:
            revision.groups.append(group)


@dataclass
class RegisteredRevision:
    """A revision registered with an application (RegisterApplicationRevision, or used by a
    deployment): its RevisionLocation as given, and GenericRevisionInfo's times and groups."""
    location: dict
    register_time: datetime
    description: str | None = None
    first_used: datetime | None = None
    last_used: datetime | None = None
    groups: list[str] = field(default_factory=list)


def revision_key(location: dict) -> tuple:
    """What identifies a revision of an application: where it is (for S3 the bucket, key,
    bundle type, version and ETag; for GitHub the repository and commit; for AppSpec content
    its SHA-256 or content)."""
    kind = location.get("revisionType")
    if kind == "S3":
        s3 = location.get("s3Location") or {}
        return (kind, s3.get("bucket"), s3.get("key"), s3.get("bundleType"), s3.get("version"), s3.get("eTag"))
    if kind == "GitHub":
        gh = location.get("gitHubLocation") or {}
        return (kind, gh.get("repository"), gh.get("commitId"))
    content = location.get("string") or location.get("appSpecContent") or {}
    return (kind, content.get("sha256") or content.get("content"))


@dataclass
class DeploymentGroup:
    application: str
    name: str
    service_role_arn: str
    config: dict[str, Any]  # every CreateDeploymentGroup member that is stored as given
    region: str             # the Region the group (and so each of its deployments) is in
    compute_platform: str = SERVER  # its application's
    group_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    auto_scaling_groups: list[str] = field(default_factory=list)
    target_revision: dict | None = None
    last_successful: DeploymentBrief | None = None
    last_attempted: DeploymentBrief | None = None
    tags: dict[str, str] = field(default_factory=dict)

    STORED = (
        "deploymentConfigName", "ec2TagFilters", "onPremisesInstanceTagFilters", "triggerConfigurations",
        "alarmConfiguration", "autoRollbackConfiguration", "deploymentStyle", "outdatedInstancesStrategy",
        "blueGreenDeploymentConfiguration", "loadBalancerInfo", "ec2TagSet", "onPremisesTagSet",
        "ecsServices", "terminationHookEnabled",
    )

    def arn(self, region: str, account: str) -> str:
        return f"arn:aws:codedeploy:{region}:{account}:deploymentgroup:{self.application}/{self.name}"

    @property
    def deployment_style(self) -> dict:
        style = self.config.get("deploymentStyle") or {}
        # Lambda and ECS deployments always shift traffic from one version to another
        blue_green = self.compute_platform != SERVER
        return {"deploymentType": style.get("deploymentType", "BLUE_GREEN" if blue_green else "IN_PLACE"),
                "deploymentOption": style.get("deploymentOption",
                                              "WITH_TRAFFIC_CONTROL" if blue_green else "WITHOUT_TRAFFIC_CONTROL")}

    @property
    def default_config(self) -> str:
        return self.config.get("deploymentConfigName") or DEFAULT_CONFIGS[self.compute_platform]

    @property
    def is_blue_green(self) -> bool:
        return self.deployment_style["deploymentType"] == "BLUE_GREEN"

    def hook_name(self) -> str:
        # UNCONFIRMED suffix (docs/aws-behaviour.md, "Other unconfirmed choices"): the documented prefix plus the group id.
        return f"CodeDeploy-managed-automatic-launch-deployment-hook-{self.name}-{self.group_id[:8]}"


# -- deployments ----------------------------------------------------------------------------------
@dataclass
class LifecycleEvent:
    name: str
    status: str = "Pending"
    start_time: datetime | None = None
    end_time: datetime | None = None
    diagnostics: dict | None = None


@dataclass
class InstanceTarget:
    deployment_id: str
    instance_id: str
    label: str | None  # Blue | Green for blue/green; None in place
    events: list[LifecycleEvent]
    last_updated: datetime
    status: str = "Pending"
    arn: str = ""

    def event(self, name: str) -> LifecycleEvent:
        return next(e for e in self.events if e.name == name)


@dataclass
class ErrorInformation:
    """Why a deployment ended Failed/Stopped: an ErrorCode (HEALTH_CONSTRAINTS, ALARM_ACTIVE, ...)."""
    code: str
    message: str


@dataclass
class RollbackInfo:
    """A deployment's side of an automatic rollback (what is not known stays None)."""
    rollback_deployment_id: str | None = None      # set on the deployment that was rolled back
    triggering_deployment_id: str | None = None    # set on the rollback deployment
    message: str | None = None


@dataclass(frozen=True)
class DeploymentBrief:
    """A deployment as a group's last attempted / last successful one, taken when it is recorded."""
    deployment_id: str
    status: str
    end_time: datetime | None
    create_time: datetime


@dataclass
class Deployment:
    deployment_id: str
    application: str
    group: DeploymentGroup
    config_name: str
    revision: dict
    creator: str
    create_time: datetime
    description: str | None = None
    previous_revision: dict | None = None
    ignore_application_stop_failures: bool = False
    auto_rollback: dict | None = None
    file_exists_behavior: str = "DISALLOW"
    override_alarm_configuration: dict | None = None
    status: str = "Created"
    start_time: datetime | None = None
    complete_time: datetime | None = None
    error: ErrorInformation | None = None
    rollback_info: RollbackInfo | None = None
    termination_wait_started: bool = False
    status_messages: list[str] = field(default_factory=list)
    targets: dict[str, InstanceTarget] = field(default_factory=dict)
    green_asg: str | None = None      # the copy this deployment made (blue/green)
    blue_asg: str | None = None       # the group's ASG when this deployment started
    style: dict = field(default_factory=dict)
    blue_green_config: dict | None = None
    load_balancer_info: dict | None = None
    # rollback deployments: the deployment whose green fleet they undo
    rolls_back: "Deployment | None" = None
    # deployments created by Auto Scaling (creator autoscaling): the instance waiting in Pending:Wait
    launched_instance: str | None = None
    # set once the deployment has ended (Succeeded | Failed | Stopped: lifecycle.settle), for
    # whoever waits on it (CodeDeploy's door)
    completed: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def overview(self) -> dict:
        counts = {k: 0 for k in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")}
        for t in self.targets.values():
            if t.status in counts:
                counts[t.status] += 1
        return counts

    def brief(self) -> DeploymentBrief:
        return DeploymentBrief(self.deployment_id, self.status, self.complete_time, self.create_time)


class CodeDeployBackend:
    """The CodeDeploy state of one Region of one localcloud (one account): applications, groups,
    deployment configs (the built-in ones in every Region), deployments. `CodeDeployRegions`
    holds one per Region; they share its lock and deployment ids are unique across them."""

    def __init__(self, clock: Clock, region: str, account_id: str,
                 lock: threading.RLock | None = None, regions: "CodeDeployRegions | None" = None):
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.lock = lock or threading.RLock()
        self._regions = regions
        self.applications: dict[str, Application] = {}
        self.groups: dict[tuple[str, str], DeploymentGroup] = {}
        self.configs: dict[str, DeploymentConfig] = builtin_configs(clock.now())
        self.deployments: dict[str, Deployment] = {}

    def now(self) -> datetime:
        return self.clock.now()

    def new_deployment_id(self) -> str:
        """An id no deployment has, in this Region or any other (ids are global: d-XXXXXXXXX)."""
        while True:
            ident = deployment_id()
            taken = self._regions.find_deployment(ident) if self._regions else self.deployments.get(ident)
            if taken is None:
                return ident

    def active_deployment(self, group: DeploymentGroup) -> Deployment | None:
        return next((d for d in self.deployments.values() if d.group is group and d.active), None)

    def last_successful_deployment(self, group: DeploymentGroup) -> Deployment | None:
        done = [d for d in self.deployments.values()
                if d.group is group and d.status == "Succeeded"]
        return max(done, key=lambda d: d.complete_time) if done else None


class CodeDeployRegions:
    """All CodeDeploy state of one localcloud: a `CodeDeployBackend` per Region, made on first use
    (CodeDeploy is regional: applications, groups, configs and deployments exist per Region)."""

    def __init__(self, clock: Clock, default_region: str, account_id: str):
        self.clock = clock
        self.default_region = default_region
        self.account_id = account_id
        self.lock = threading.RLock()
        self._backends: dict[str, CodeDeployBackend] = {}

    def region(self, region: str | None = None) -> CodeDeployBackend:
        """The state of `region` (None: localcloud's default Region)."""
        region = region or self.default_region
        with self.lock:
            backend = self._backends.get(region)
            if backend is None:
                backend = self._backends[region] = CodeDeployBackend(
                    self.clock, region, self.account_id, lock=self.lock, regions=self)
            return backend

    def backends(self) -> list[CodeDeployBackend]:
        with self.lock:
            return list(self._backends.values())

    def find_deployment(self, deployment_id: str) -> Deployment | None:
        """The deployment of that id in whichever Region holds it (its group knows the Region)."""
        with self.lock:
            return next((b.deployments[deployment_id] for b in self._backends.values()
                         if deployment_id in b.deployments), None)

    def of(self, d: Deployment) -> CodeDeployBackend:
        """The state of the Region the deployment runs in."""
        return self.region(d.group.region)
