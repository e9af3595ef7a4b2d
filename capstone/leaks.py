"""The leak check: is anything of this prefix (or this run) still there, in any service?

Two sources, one authority. Every covered resource type is listed with its OWNING service's
own List/Describe call and matched by name (`capstone.builders.names.belongs`) or by the run's
tags where the listing carries tags (instances). The Resource Groups Tagging API is asked too,
because it finds things whose names do not carry the prefix; but it keeps returning resources
for a while after they are deleted (aws/aws-sdk#302), so a tagging hit only counts once the
owning service's listing confirms it. Unconfirmed hits are reported, not counted.

A type whose service cannot be listed is "unchecked" — that fails the check too: a leak check
that could not look has not proved anything.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator

from capstone.builders.context import TAG_CREATED_AT, TAG_PREFIX, TAG_RUN_ID
from capstone.builders.names import belongs
from capstone.target import Target


@dataclass(frozen=True)
class Found:
    type: str
    name: str
    id: str | None = None
    arn: str | None = None
    region: str | None = None
    created_at: str | None = None
    tags: dict = field(default_factory=dict, compare=False, hash=False)
    attrs: dict = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> str:
        ident = f" ({self.id})" if self.id and self.id != self.name else ""
        return f"{self.type} {self.name}{ident}"


@dataclass
class LeakReport:
    prefix: str
    run_id: str | None
    leaks: list[Found] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)   # tagging-API ARNs the owning service does not list
    unchecked: dict[str, str] = field(default_factory=dict)  # type -> why it could not be listed
    types_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.leaks and not self.unchecked

    def summary(self) -> str:
        if self.ok:
            return (f"leak check: nothing left for prefix {self.prefix!r} "
                    f"({self.types_checked} resource types checked)")
        lines = [f"leak check FAILED for prefix {self.prefix!r}: {len(self.leaks)} resource(s) left"]
        lines += [f"  - {leak.describe()}" for leak in self.leaks]
        lines += [f"  ! could not list {kind}: {why}" for kind, why in self.unchecked.items()]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {"prefix": self.prefix, "run_id": self.run_id, "ok": self.ok, "types_checked": self.types_checked,
                "leaks": [{k: v for k, v in asdict(f).items() if k not in ("tags", "attrs")} for f in self.leaks],
                "unconfirmed": self.unconfirmed, "unchecked": self.unchecked}


def _iso(value) -> str | None:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else None


def _pages(client, operation: str, key: str, **kwargs) -> Iterator[dict]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def _tags(items) -> dict:
    return {t.get("Key", t.get("key")): t.get("Value", t.get("value")) for t in items or []}


# -- one lister per resource type: every resource of that type in the region ----------------------
def _roles(t: Target):
    for r in _pages(t.client("iam"), "list_roles", "Roles"):
        yield Found("iam:role", r["RoleName"], r["RoleId"], r["Arn"], "global", _iso(r.get("CreateDate")))


def _profiles(t: Target):
    for p in _pages(t.client("iam"), "list_instance_profiles", "InstanceProfiles"):
        yield Found("iam:instance-profile", p["InstanceProfileName"], p["InstanceProfileId"], p["Arn"], "global",
                    _iso(p.get("CreateDate")))


def _buckets(t: Target):
    for b in t.client("s3").list_buckets().get("Buckets", []):
        yield Found("s3:bucket", b["Name"], None, f"arn:aws:s3:::{b['Name']}", None, _iso(b.get("CreationDate")))


def _parameters(t: Target):
    for p in _pages(t.client("ssm"), "describe_parameters", "Parameters"):
        yield Found("ssm:parameter", p["Name"], None, p.get("ARN"), t.region, _iso(p.get("LastModifiedDate")))


def _secrets(t: Target):
    for s in _pages(t.client("secretsmanager"), "list_secrets", "SecretList"):
        if not s.get("DeletedDate"):
            yield Found("secretsmanager:secret", s["Name"], None, s["ARN"], t.region, _iso(s.get("CreatedDate")),
                        _tags(s.get("Tags")))


def _repositories(t: Target):
    for r in _pages(t.client("codecommit"), "list_repositories", "repositories"):
        yield Found("codecommit:repository", r["repositoryName"], r.get("repositoryId"),
                    f"arn:aws:codecommit:{t.region}:{t.account_id()}:{r['repositoryName']}", t.region)


def _projects(t: Target):
    for name in _pages(t.client("codebuild"), "list_projects", "projects"):
        yield Found("codebuild:project", name, None, f"arn:aws:codebuild:{t.region}:{t.account_id()}:project/{name}", t.region)


def _report_groups(t: Target):
    for arn in _pages(t.client("codebuild"), "list_report_groups", "reportGroups"):
        yield Found("codebuild:report-group", arn.rsplit("/", 1)[-1], None, arn, t.region)


def _log_groups(t: Target):
    for g in _pages(t.client("logs"), "describe_log_groups", "logGroups", logGroupNamePrefix="/aws/codebuild/"):
        yield Found("logs:log-group", g["logGroupName"], None, g.get("arn", "").removesuffix(":*") or None, t.region,
                    _iso(datetime.fromtimestamp(g["creationTime"] / 1000)) if g.get("creationTime") else None)


def _ec2(kind: str, operation: str, key: str, id_key: str):
    def lister(t: Target):
        for item in _pages(t.client("ec2"), operation, key):
            tags = _tags(item.get("Tags"))
            name = item.get("GroupName") or item.get("LaunchTemplateName") or tags.get("Name") or item[id_key]
            yield Found(kind, name, item[id_key], None, t.region, _iso(item.get("CreateTime")) or tags.get(TAG_CREATED_AT), tags)
    return lister


def _instances(t: Target):
    for reservation in _pages(t.client("ec2"), "describe_instances", "Reservations"):
        for i in reservation["Instances"]:
            if i["State"]["Name"] in ("terminated", "shutting-down"):
                continue
            tags = _tags(i.get("Tags"))
            yield Found("ec2:instance", tags.get("Name") or i["InstanceId"], i["InstanceId"], None, t.region,
                        _iso(i.get("LaunchTime")), tags)


def _asgs(t: Target):
    for g in _pages(t.client("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups"):
        yield Found("autoscaling:group", g["AutoScalingGroupName"], None, g.get("AutoScalingGroupARN"), t.region,
                    _iso(g.get("CreatedTime")), _tags(g.get("Tags")))


def _load_balancers(t: Target):
    for lb in _pages(t.client("elbv2"), "describe_load_balancers", "LoadBalancers"):
        yield Found("elbv2:load-balancer", lb["LoadBalancerName"], None, lb["LoadBalancerArn"], t.region,
                    _iso(lb.get("CreatedTime")))


def _target_groups(t: Target):
    for tg in _pages(t.client("elbv2"), "describe_target_groups", "TargetGroups"):
        yield Found("elbv2:target-group", tg["TargetGroupName"], None, tg["TargetGroupArn"], t.region)


def _alarms(t: Target):
    for a in _pages(t.client("cloudwatch"), "describe_alarms", "MetricAlarms"):
        yield Found("cloudwatch:alarm", a["AlarmName"], None, a.get("AlarmArn"), t.region,
                    _iso(a.get("AlarmConfigurationUpdatedTimestamp")))


def _applications(t: Target):
    for name in _pages(t.client("codedeploy"), "list_applications", "applications"):
        yield Found("codedeploy:application", name, None,
                    f"arn:aws:codedeploy:{t.region}:{t.account_id()}:application:{name}", t.region)


def _deployment_groups(t: Target):
    cd = t.client("codedeploy")
    for app in _pages(cd, "list_applications", "applications"):
        for name in _pages(cd, "list_deployment_groups", "deploymentGroups", applicationName=app):
            yield Found("codedeploy:deployment-group", name, None,
                        f"arn:aws:codedeploy:{t.region}:{t.account_id()}:deploymentgroup:{app}/{name}", t.region,
                        attrs={"application": app})


def _pipelines(t: Target):
    for p in _pages(t.client("codepipeline"), "list_pipelines", "pipelines"):
        yield Found("codepipeline:pipeline", p["name"], None,
                    f"arn:aws:codepipeline:{t.region}:{t.account_id()}:{p['name']}", t.region, _iso(p.get("created")))


def _rules(t: Target):
    for r in _pages(t.client("events"), "list_rules", "Rules"):
        yield Found("events:rule", r["Name"], None, r.get("Arn"), t.region)


def _topics(t: Target):
    for topic in _pages(t.client("sns"), "list_topics", "Topics"):
        arn = topic["TopicArn"]
        yield Found("sns:topic", arn.rsplit(":", 1)[-1], None, arn, t.region)


def _subscriptions(t: Target):
    # named after their topic, which carries the prefix; the subscription's own ARN deletes it
    for sub in _pages(t.client("sns"), "list_subscriptions", "Subscriptions"):
        if sub.get("SubscriptionArn", "").startswith("arn:"):   # not "PendingConfirmation"
            yield Found("sns:subscription", sub["TopicArn"].rsplit(":", 1)[-1], sub["SubscriptionArn"],
                        sub["SubscriptionArn"], t.region)


def _queues(t: Target):
    for url in _pages(t.client("sqs"), "list_queues", "QueueUrls"):
        yield Found("sqs:queue", url.rstrip("/").rsplit("/", 1)[-1], url, None, t.region)


def _codeartifact_repositories(t: Target):
    for r in _pages(t.client("codeartifact"), "list_repositories", "repositories"):
        if r.get("domainOwner") in (None, t.account_id()):  # another account's shared domain is not ours
            yield Found("codeartifact:repository", r["name"], None, r.get("arn"), t.region, _iso(r.get("createdTime")),
                        attrs={"domain": r["domainName"]})


def _codeartifact_domains(t: Target):
    for d in _pages(t.client("codeartifact"), "list_domains", "domains"):
        if d.get("owner") in (None, t.account_id()):
            yield Found("codeartifact:domain", d["name"], None, d.get("arn"), t.region, _iso(d.get("createdTime")))


LISTERS: dict[str, Callable[[Target], Iterable[Found]]] = {
    "codepipeline:pipeline": _pipelines,
    "events:rule": _rules,
    "sns:subscription": _subscriptions,
    "sns:topic": _topics,
    "sqs:queue": _queues,
    "codedeploy:deployment-group": _deployment_groups,
    "codedeploy:application": _applications,
    "autoscaling:group": _asgs,
    "ec2:instance": _instances,
    "ec2:launch-template": _ec2("ec2:launch-template", "describe_launch_templates", "LaunchTemplates", "LaunchTemplateId"),
    "cloudwatch:alarm": _alarms,
    "elbv2:load-balancer": _load_balancers,
    "elbv2:target-group": _target_groups,
    "ec2:security-group": _ec2("ec2:security-group", "describe_security_groups", "SecurityGroups", "GroupId"),
    "ec2:subnet": _ec2("ec2:subnet", "describe_subnets", "Subnets", "SubnetId"),
    "ec2:internet-gateway": _ec2("ec2:internet-gateway", "describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
    "ec2:vpc": _ec2("ec2:vpc", "describe_vpcs", "Vpcs", "VpcId"),
    "codebuild:project": _projects,
    "codebuild:report-group": _report_groups,
    "logs:log-group": _log_groups,
    "codecommit:repository": _repositories,
    "codeartifact:repository": _codeartifact_repositories,   # a domain is deleted only once empty
    "codeartifact:domain": _codeartifact_domains,
    "secretsmanager:secret": _secrets,
    "ssm:parameter": _parameters,
    "s3:bucket": _buckets,
    "iam:instance-profile": _profiles,
    "iam:role": _roles,
}
COVERED_TYPES = tuple(LISTERS)  # also the order a sweep deletes in (dependents first)


def _tags_belong(tags: dict, prefix: str, run_id: str | None) -> bool:
    """xdist workers share a run id but each has its own prefix, and in one account they see each
    other's resources: a prefix tag decides; the run id only claims what carries no prefix tag."""
    tagged_prefix = tags.get(TAG_PREFIX)
    if tagged_prefix:
        return belongs(tagged_prefix, prefix)
    return bool(run_id) and tags.get(TAG_RUN_ID) == run_id


def _matches(found: Found, prefix: str, run_id: str | None) -> bool:
    return belongs(found.name, prefix) or _tags_belong(found.tags, prefix, run_id)


def _tagged_arns(target: Target, prefix: str, run_id: str | None) -> list[str]:
    if getattr(target, "_tagging_unavailable", False):
        return []
    arns = []
    # One attempt: this is the second opinion, and an endpoint without it should cost nothing.
    for item in _pages(target.client("resourcegroupstaggingapi", attempts=1), "get_resources", "ResourceTagMappingList",
                       TagFilters=[{"Key": TAG_PREFIX}]):
        if _tags_belong(_tags(item.get("Tags")), prefix, run_id):
            arns.append(item["ResourceARN"])
    return arns


def find(target: Target, prefix: str, run_id: str | None = None) -> LeakReport:
    """Everything still present that belongs to `prefix` (a shorter sweep prefix such as "cap"
    matches every default prefix) or is tagged with `run_id`."""
    report = LeakReport(prefix=prefix, run_id=run_id)
    listed: dict[str, Found] = {}
    for kind, lister in LISTERS.items():
        try:
            everything = list(lister(target))
        except Exception as exc:  # an API the endpoint lacks, a permission we do not have
            report.unchecked[kind] = f"{type(exc).__name__}: {exc}"[:300]
            continue
        report.types_checked += 1
        for found in everything:
            listed.update({x: found for x in (found.arn, found.id) if x})
            if _matches(found, prefix, run_id):
                report.leaks.append(found)
    try:
        tagged = _tagged_arns(target, prefix, run_id)
    except Exception:  # the tagging API is a second opinion, never the only one; ask once
        target._tagging_unavailable = True
        tagged = []
    known = {x for f in report.leaks for x in (f.arn, f.id) if x}
    for arn in tagged:
        resource_id = arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        if arn in known or resource_id in known:
            continue
        owner_says = listed.get(arn) or listed.get(resource_id)
        if owner_says is not None:  # tagged ours and confirmed by the owning service
            report.leaks.append(owner_says)
            known.update(x for x in (owner_says.arn, owner_says.id) if x)
        else:  # the tagging API lags deletions: report, do not count
            report.unconfirmed.append(arn)
    return report
