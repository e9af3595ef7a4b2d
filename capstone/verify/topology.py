"""Discovery: from a pipeline's name to everything its conformance depends on, by reads only.

    GetPipeline                       stages, actions, roles, artifact store(s)
      Source CodeCommit               RepositoryName, BranchName, PollForSourceChanges
      Build CodeBuild                 ProjectName -> BatchGetProjects (service role, buildspec)
                                      a buildspec kept in the repository -> CodeCommit GetFile
      Approval Manual                 NotificationArn
      Deploy CodeDeploy               ApplicationName, DeploymentGroupName -> GetDeploymentGroup
                                      -> Auto Scaling groups, target groups -> load balancers,
                                         alarms -> DescribeAlarms, service role
    EventBridge                       ListRuleNamesByTarget(pipeline ARN): the trigger;
                                      ListRules: execution-state rules and their SNS targets
    IAM                               each role's inline and attached policies

What cannot be read (missing, or not permitted) is kept as a `problem` of the topology: checks
that need it answer `fail` with that problem, never a guess.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import unquote

import yaml
from botocore.exceptions import ClientError

from capstone.verify.profile import Profile

DEFAULT_BUILDSPEC = "buildspec.yml"


@dataclass
class Action:
    stage: str
    name: str
    category: str
    provider: str
    configuration: dict
    role_arn: str | None


@dataclass
class Topology:
    profile: Profile
    pipeline: dict = field(default_factory=dict)
    pipeline_arn: str = ""
    actions: list[Action] = field(default_factory=list)
    projects: dict[str, dict] = field(default_factory=dict)       # project name -> BatchGetProjects entry
    buildspecs: dict[str, Any] = field(default_factory=dict)      # project name -> parsed buildspec
    deployment_groups: dict[str, dict] = field(default_factory=dict)  # "app/group" -> deploymentGroupInfo
    auto_scaling_groups: dict[str, dict] = field(default_factory=dict)
    target_groups: dict[str, dict] = field(default_factory=dict)  # name -> TargetGroup
    load_balancers: dict[str, dict] = field(default_factory=dict)  # ARN -> LoadBalancer
    alarms: dict[str, dict] = field(default_factory=dict)          # name -> MetricAlarm
    roles: dict[str, dict] = field(default_factory=dict)           # ARN -> {"name", "inline", "attached", "used_by"}
    buckets: dict[str, dict] = field(default_factory=dict)         # name -> facts read
    trigger_rules: list[dict] = field(default_factory=list)        # EventBridge rules targeting the pipeline
    notice_rules: list[dict] = field(default_factory=list)         # rules on its execution state, with targets
    topics: dict[str, dict] = field(default_factory=dict)          # SNS topic ARN -> {"policy"}
    problems: dict[str, str] = field(default_factory=dict)         # what could not be read -> why

    def stage_of(self, category: str) -> list[str]:
        return [a.stage for a in self.actions if a.category == category]

    def summary(self) -> dict:
        """The discovered topology as the audit shows it (names and ARNs only)."""
        return {
            "pipeline": self.profile.pipeline, "pipeline_arn": self.pipeline_arn,
            "pipeline_type": self.pipeline.get("pipelineType", "V1"),
            "stages": [{"name": s["name"], "actions": [f"{a['actionTypeId']['category']}/{a['actionTypeId']['provider']}"
                                                       f" {a['name']}" for a in s.get("actions", [])]}
                       for s in self.pipeline.get("stages", [])],
            "build_projects": sorted(self.projects), "deployment_groups": sorted(self.deployment_groups),
            "auto_scaling_groups": sorted(self.auto_scaling_groups), "target_groups": sorted(self.target_groups),
            "load_balancers": sorted(lb.get("LoadBalancerName", arn) for arn, lb in self.load_balancers.items()),
            "alarms": sorted(self.alarms), "roles": sorted(self.roles), "artifact_buckets": sorted(self.buckets),
            "trigger_rules": [r["Name"] for r in self.trigger_rules],
            "notification_rules": [r["Name"] for r in self.notice_rules],
            "problems": dict(self.problems),
        }


def _error(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    return f"{err.get('Code', 'Error')}: {err.get('Message', '')}".rstrip(": ")


class Discovery:
    def __init__(self, client: Callable[[str], Any], profile: Profile, progress: Callable[[str], None] = lambda m: None):
        self.client = client
        self.profile = profile
        self.progress = progress
        self.topology = Topology(profile)

    def _read(self, what: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except ClientError as exc:
            self.topology.problems[what] = _error(exc)
            return None

    def run(self) -> Topology:
        t = self.topology
        self.progress(f"reading pipeline {self.profile.pipeline}")
        answer = self._read(f"pipeline {self.profile.pipeline}",
                            lambda: self.client("codepipeline").get_pipeline(name=self.profile.pipeline))
        if answer is None:
            return t
        t.pipeline, t.pipeline_arn = answer["pipeline"], answer.get("metadata", {}).get("pipelineArn", "")
        self._role(t.pipeline.get("roleArn"), "pipeline")
        for stage in t.pipeline.get("stages", []):
            for a in stage.get("actions", []):
                kind = a["actionTypeId"]
                t.actions.append(Action(stage["name"], a["name"], kind["category"], kind["provider"],
                                        a.get("configuration", {}), a.get("roleArn")))
                if a.get("roleArn"):
                    self._role(a["roleArn"], f"action {a['name']}")
        for location in self._artifact_buckets():
            self._bucket(location)
        for action in t.actions:
            if action.category == "Build" and action.provider == "CodeBuild":
                self._project(action)
            if action.category == "Deploy" and action.provider == "CodeDeploy":
                self._deployment_group(action)
        for name in self.profile.roles:
            self._role(name, "profile")
        self._rules()
        return t

    # -- pieces -----------------------------------------------------------------------------
    def _artifact_buckets(self) -> list[str]:
        p = self.topology.pipeline
        stores = [p["artifactStore"]] if p.get("artifactStore") else list((p.get("artifactStores") or {}).values())
        return [s["location"] for s in stores if s.get("type") == "S3"]

    def _bucket(self, name: str) -> None:
        self.progress(f"reading artifact bucket {name}")
        s3 = self.client("s3")
        facts: dict[str, Any] = {}
        versioning = self._read(f"bucket {name} versioning", lambda: s3.get_bucket_versioning(Bucket=name))
        facts["versioning"] = (versioning or {}).get("Status", "Disabled") if versioning is not None else None
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            facts["encryption"] = [r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules
                                   if r.get("ApplyServerSideEncryptionByDefault")]
        except ClientError as exc:
            facts["encryption"] = [] if "NotFound" in exc.response["Error"]["Code"] else None
            if facts["encryption"] is None:
                self.topology.problems[f"bucket {name} encryption"] = _error(exc)
        try:
            facts["public_access_block"] = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        except ClientError as exc:
            facts["public_access_block"] = {} if "NoSuchPublicAccessBlock" in exc.response["Error"]["Code"] else None
        try:
            facts["policy_is_public"] = bool(s3.get_bucket_policy_status(Bucket=name)["PolicyStatus"].get("IsPublic"))
        except ClientError as exc:
            facts["policy_is_public"] = False if "NoSuchBucketPolicy" in exc.response["Error"]["Code"] else None
        acl = self._read(f"bucket {name} acl", lambda: s3.get_bucket_acl(Bucket=name))
        facts["public_acl_grants"] = [g.get("Permission") for g in (acl or {}).get("Grants", [])
                                      if g.get("Grantee", {}).get("URI", "").endswith(("/AllUsers", "/AuthenticatedUsers"))]
        self.topology.buckets[name] = facts

    def _project(self, action: Action) -> None:
        name = action.configuration.get("ProjectName")
        if not name:
            return
        self.progress(f"reading build project {name}")
        answer = self._read(f"project {name}", lambda: self.client("codebuild").batch_get_projects(names=[name]))
        projects = (answer or {}).get("projects", [])
        if answer is not None and not projects:
            self.topology.problems[f"project {name}"] = f"ResourceNotFoundException: project {name} does not exist"
        if not projects:
            return
        project = projects[0]
        self.topology.projects[name] = project
        self._role(project.get("serviceRole"), f"project {name}")
        self.topology.buildspecs[name] = self._buildspec(project)

    def _buildspec(self, project: dict) -> Any:
        text = (project.get("source") or {}).get("buildspec") or ""
        if "\n" not in text.strip() and not text.strip().startswith("version"):
            text = self._buildspec_file(text.strip() or DEFAULT_BUILDSPEC)
        if text is None:
            return None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            self.topology.problems[f"buildspec of {project['name']}"] = f"not valid YAML: {exc}"
            return None

    def _buildspec_file(self, path: str) -> str | None:
        source = next((a for a in self.topology.actions if a.category == "Source" and a.provider == "CodeCommit"), None)
        if source is None:
            self.topology.problems[f"buildspec {path}"] = "kept in a source verify does not read (not CodeCommit)"
            return None
        repo, branch = source.configuration.get("RepositoryName"), source.configuration.get("BranchName")
        answer = self._read(f"buildspec {path} in {repo}@{branch}", lambda: self.client("codecommit").get_file(
            repositoryName=repo, commitSpecifier=branch, filePath=path))
        return None if answer is None else answer["fileContent"].decode()

    def _deployment_group(self, action: Action) -> None:
        app, group = action.configuration.get("ApplicationName"), action.configuration.get("DeploymentGroupName")
        if not (app and group):
            return
        self.progress(f"reading deployment group {app}/{group}")
        info = self._read(f"deployment group {app}/{group}", lambda: self.client("codedeploy").get_deployment_group(
            applicationName=app, deploymentGroupName=group))
        if info is None:
            return
        dg = info["deploymentGroupInfo"]
        self.topology.deployment_groups[f"{app}/{group}"] = dg
        self._role(dg.get("serviceRoleArn"), f"deployment group {group}")
        for asg in dg.get("autoScalingGroups", []):
            self._auto_scaling_group(asg["name"])
        names = [tg["name"] for tg in (dg.get("loadBalancerInfo") or {}).get("targetGroupInfoList", [])]
        if names:
            self._target_groups(names)
        alarm_names = [a["name"] for a in (dg.get("alarmConfiguration") or {}).get("alarms", [])]
        for name in self.profile.alarms:
            if name not in alarm_names:
                alarm_names.append(name)
        if alarm_names:
            answer = self._read("alarms", lambda: self.client("cloudwatch").describe_alarms(AlarmNames=alarm_names))
            for alarm in (answer or {}).get("MetricAlarms", []) + (answer or {}).get("CompositeAlarms", []):
                self.topology.alarms[alarm["AlarmName"]] = alarm

    def _auto_scaling_group(self, name: str) -> None:
        answer = self._read(f"Auto Scaling group {name}", lambda: self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]))
        for group in (answer or {}).get("AutoScalingGroups", []):
            self.topology.auto_scaling_groups[name] = group
            self._instance_profile_role(group)

    def _instance_profile_role(self, group: dict) -> None:
        template = group.get("LaunchTemplate") or (group.get("MixedInstancesPolicy") or {}).get(
            "LaunchTemplate", {}).get("LaunchTemplateSpecification")
        if not template:
            return
        spec = {k: v for k, v in template.items() if k in ("LaunchTemplateId", "LaunchTemplateName")}
        answer = self._read(f"launch template of {group['AutoScalingGroupName']}", lambda: self.client(
            "ec2").describe_launch_template_versions(Versions=[template.get("Version") or "$Default"], **spec))
        for version in (answer or {}).get("LaunchTemplateVersions", []):
            profile = (version.get("LaunchTemplateData") or {}).get("IamInstanceProfile") or {}
            name = profile.get("Name") or (profile.get("Arn") or "").rsplit("/", 1)[-1]
            if not name:
                continue
            got = self._read(f"instance profile {name}", lambda: self.client("iam").get_instance_profile(
                InstanceProfileName=name))
            for role in (got or {}).get("InstanceProfile", {}).get("Roles", []):
                self._role(role["Arn"], f"instance profile {name}")

    def _target_groups(self, names: list[str]) -> None:
        elb = self.client("elbv2")
        answer = self._read("target groups", lambda: elb.describe_target_groups(Names=names))
        lbs: set[str] = set()
        for tg in (answer or {}).get("TargetGroups", []):
            self.topology.target_groups[tg["TargetGroupName"]] = tg
            lbs.update(tg.get("LoadBalancerArns", []))
        if lbs:
            got = self._read("load balancers", lambda: elb.describe_load_balancers(LoadBalancerArns=sorted(lbs)))
            for lb in (got or {}).get("LoadBalancers", []):
                self.topology.load_balancers[lb["LoadBalancerArn"]] = lb

    def _role(self, name_or_arn: str | None, used_by: str) -> None:
        if not name_or_arn:
            return
        name = name_or_arn.rsplit("/", 1)[-1]
        known = next((arn for arn, r in self.topology.roles.items() if r["name"] == name), None)
        if known:
            self.topology.roles[known]["used_by"].append(used_by)
            return
        iam = self.client("iam")
        role = self._read(f"role {name}", lambda: iam.get_role(RoleName=name))
        if role is None:
            return
        inline = {}
        for policy in self._pages(iam, "list_role_policies", "PolicyNames", RoleName=name) or []:
            doc = self._read(f"policy {policy} of {name}", lambda: iam.get_role_policy(RoleName=name, PolicyName=policy))
            if doc is not None:
                inline[policy] = _document(doc["PolicyDocument"])
        attached = {}
        for policy in self._pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name) or []:
            arn = policy["PolicyArn"]
            if ":aws:policy/" in arn:  # AWS managed: AWS writes it; listed, not linted (docs/verify.md)
                attached[arn] = None
                continue
            meta = self._read(f"policy {arn}", lambda: iam.get_policy(PolicyArn=arn))
            if meta is None:
                continue
            version = self._read(f"policy {arn} version", lambda: iam.get_policy_version(
                PolicyArn=arn, VersionId=meta["Policy"]["DefaultVersionId"]))
            if version is not None:
                attached[arn] = _document(version["PolicyVersion"]["Document"])
        self.topology.roles[role["Role"]["Arn"]] = {"name": name, "inline": inline, "attached": attached,
                                                    "used_by": [used_by]}

    def _pages(self, client, method: str, key: str, **kwargs) -> list | None:
        try:
            return [item for page in client.get_paginator(method).paginate(**kwargs) for item in page[key]]
        except ClientError as exc:
            self.topology.problems[f"{method} {kwargs}"] = _error(exc)
            return None

    def _rules(self) -> None:
        t = self.topology
        if not t.pipeline_arn:
            return
        self.progress("reading EventBridge rules")
        events = self.client("events")
        names = self._read("trigger rules", lambda: events.list_rule_names_by_target(TargetArn=t.pipeline_arn))
        for name in (names or {}).get("RuleNames", []):
            rule = self._read(f"rule {name}", lambda: events.describe_rule(Name=name))
            if rule is not None:
                t.trigger_rules.append(rule)
        for rule in self._pages(events, "list_rules", "Rules") or []:
            pattern = _pattern(rule.get("EventPattern"))
            if "aws.codepipeline" not in _listed(pattern.get("source")):
                continue
            pipelines = _listed((pattern.get("detail") or {}).get("pipeline"))
            resources = _listed(pattern.get("resources"))
            if (pipelines or resources) and t.profile.pipeline not in pipelines and t.pipeline_arn not in resources:
                continue
            targets = self._read(f"targets of {rule['Name']}", lambda: events.list_targets_by_rule(Rule=rule["Name"]))
            t.notice_rules.append({**rule, "Targets": (targets or {}).get("Targets", []), "Pattern": pattern})
            for target in t.notice_rules[-1]["Targets"]:
                if ":sns:" in target.get("Arn", "") and target["Arn"] not in t.topics:
                    self._topic(target["Arn"])

    def _topic(self, arn: str) -> None:
        answer = self._read(f"topic {arn}", lambda: self.client("sns").get_topic_attributes(TopicArn=arn))
        if answer is not None:
            policy = answer.get("Attributes", {}).get("Policy")
            self.topology.topics[arn] = {"policy": json.loads(policy) if policy else {}}


def _pattern(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _listed(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _document(value: Any) -> dict:
    # boto3 hands policy documents over decoded; a raw answer is URL-encoded JSON
    if isinstance(value, str):
        value = json.loads(unquote(value))
    return value
