"""The read-only conformance checks. Each is a MUST sentence with an id; it answers a Verdict:
pass, fail (with what to change) or not applicable (with why), and the API evidence it read.

A check reads only the discovered Topology (topology.py); it never calls AWS itself, so the
read-only promise is the discovery's alone. Where discovery could not read what a check needs,
the check fails with that problem: an unreadable pipeline is not a conformant one.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from capstone.policy_lint import findings
from capstone.verify.topology import Topology

PASS, FAIL, NOT_APPLICABLE = "pass", "fail", "not_applicable"
ORDER = ("Source", "Build/Test", "Approval", "Deploy")
# A build command that cannot fail the build: `|| true`, `|| exit 0`, `|| :`, `; true` at the end.
SWALLOWED = re.compile(r"(\|\|\s*(true|:|exit\s+0)|;\s*(true|exit\s+0))\s*$")
EXECUTION_EVENT = "CodePipeline Pipeline Execution State Change"


@dataclass(frozen=True)
class Verdict:
    id: str
    must: str
    verdict: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"id": self.id, "must": self.must, "verdict": self.verdict, "message": self.message,
                "evidence": self.evidence}


@dataclass(frozen=True)
class Check:
    id: str
    must: str
    run: Callable[[Topology], tuple[str, str, dict]]


CHECKS: list[Check] = []


def check(id: str, must: str):
    def register(fn):
        CHECKS.append(Check(id, must, fn))
        return fn
    return register


def run_all(topology: Topology) -> list[Verdict]:
    if not topology.pipeline:
        problem = next(iter(topology.problems.values()), "not found")
        return [Verdict(c.id, c.must, FAIL, f"the pipeline {topology.profile.pipeline!r} could not be read: {problem}",
                        {"problems": topology.problems}) for c in CHECKS]
    return [Verdict(c.id, c.must, *c.run(topology)) for c in CHECKS]


def _problems(t: Topology, prefix: str) -> dict:
    return {k: v for k, v in t.problems.items() if k.startswith(prefix)}


def _stage_kind(action) -> str | None:
    if action.category == "Source":
        return "Source"
    if action.category in ("Build", "Test"):
        return "Build/Test"
    if action.category == "Approval":
        return "Approval"
    if action.category == "Deploy":
        return "Deploy"
    return None


# -- the pipeline ------------------------------------------------------------------------------
@check("PIPE-01", "The pipeline MUST be a V2 pipeline.")
def _v2(t: Topology):
    kind = t.pipeline.get("pipelineType", "V1")
    evidence = {"GetPipeline.pipelineType": kind, "executionMode": t.pipeline.get("executionMode", "SUPERSEDED")}
    if kind == "V2":
        return PASS, "pipelineType is V2", evidence
    return FAIL, f"pipelineType is {kind}: set pipelineType V2 (UpdatePipeline) to get triggers, variables and " \
                 "stage conditions", evidence


@check("PIPE-02", "The pipeline's stages MUST run in the order Source, Build/Test, Approval, Deploy.")
def _order(t: Topology):
    stages = []
    for stage in t.pipeline.get("stages", []):
        kinds = sorted({k for a in t.actions if a.stage == stage["name"] for k in [_stage_kind(a)] if k},
                       key=ORDER.index)
        stages.append({"stage": stage["name"], "kinds": kinds})
    evidence = {"stages": stages, "expected_names": t.profile.stages}
    firsts = {}
    for i, s in enumerate(stages):
        for kind in s["kinds"]:
            firsts.setdefault(kind, i)
    missing = [k for k in ORDER if k not in firsts]
    if missing:
        return FAIL, f"no stage with a {', '.join(missing)} action: add it so the pipeline runs " \
                     f"{' → '.join(ORDER)}", evidence
    seen = [firsts[k] for k in ORDER]
    if seen != sorted(seen) or len(set(seen)) != len(seen):
        got = " → ".join(sorted(ORDER, key=lambda k: firsts[k]))
        return FAIL, f"the stages run {got}: reorder them to {' → '.join(ORDER)}, each in its own stage", evidence
    names = {s["stage"] for s in stages}
    wrong = {role: name for role, name in t.profile.stages.items() if name not in names}
    if wrong:
        return FAIL, f"the profile names stage(s) the pipeline does not have: {wrong}; fix the profile or the " \
                     "pipeline", evidence
    return PASS, " → ".join(f"{s['stage']} ({'/'.join(s['kinds'])})" for s in stages), evidence


@check("PIPE-03", "Every deploy MUST come after a manual approval in an earlier stage.")
def _approval(t: Topology):
    stages = [s["name"] for s in t.pipeline.get("stages", [])]
    deploys = [a for a in t.actions if a.category == "Deploy"]
    approvals = [a for a in t.actions if a.category == "Approval" and a.provider == "Manual"]
    evidence = {"deploy_actions": [f"{a.stage}/{a.name}" for a in deploys],
                "manual_approvals": [f"{a.stage}/{a.name}" for a in approvals]}
    if not deploys:
        return NOT_APPLICABLE, "the pipeline has no deploy action", evidence
    ungated = [a for a in deploys if not any(stages.index(p.stage) < stages.index(a.stage) for p in approvals)]
    if ungated:
        return FAIL, "no manual approval before " + ", ".join(f"{a.stage}/{a.name}" for a in ungated) + \
                     ": add a stage with a Manual approval action before it", evidence
    return PASS, "each deploy follows a manual approval", evidence


# -- the build ---------------------------------------------------------------------------------
def _builds(t: Topology):
    return [a for a in t.actions if a.category in ("Build", "Test") and a.provider == "CodeBuild"]


@check("BUILD-01", "The build MUST publish test reports.")
def _reports(t: Topology):
    builds = _builds(t)
    if not builds:
        return FAIL, "no CodeBuild build or test action: add one that runs the tests", {}
    evidence, missing = {}, []
    for a in builds:
        name = a.configuration.get("ProjectName")
        spec = t.buildspecs.get(name)
        if spec is None:
            problems = _problems(t, "buildspec") or _problems(t, f"project {name}")
            return FAIL, f"the buildspec of {name} could not be read: {problems}", {"problems": problems}
        reports = (spec or {}).get("reports") or {}
        evidence[name] = {"reports": {k: {"file-format": (v or {}).get("file-format", "JUNITXML"),
                                          "files": (v or {}).get("files")} for k, v in reports.items()}}
        if not reports:
            missing.append(name)
    if missing:
        return FAIL, f"the buildspec of {', '.join(missing)} has no `reports:` section: add one with the test " \
                     "runner's JUnit XML (file-format JUNITXML)", evidence
    return PASS, "every build declares test reports", evidence


@check("BUILD-02", "A failing test MUST fail the build.")
def _gate(t: Topology):
    builds = _builds(t)
    if not builds:
        return FAIL, "no CodeBuild build or test action: add one that runs the tests", {}
    evidence, problems = {}, []
    for a in builds:
        name = a.configuration.get("ProjectName")
        spec = t.buildspecs.get(name)
        if spec is None:
            return FAIL, f"the buildspec of {name} could not be read", {"problems": t.problems}
        phases = (spec or {}).get("phases") or {}
        commands = {p: list((phases.get(p) or {}).get("commands") or []) for p in ("install", "pre_build", "build")}
        evidence[name] = {"commands": commands,
                          "on-failure": {p: (phases.get(p) or {}).get("on-failure") for p in commands}}
        for phase, lines in commands.items():
            if str((phases.get(phase) or {}).get("on-failure", "ABORT")).upper() == "CONTINUE":
                problems.append(f"{name}: phase {phase} has `on-failure: CONTINUE`; remove it so a failure stops the build")
            for line in lines:
                if SWALLOWED.search(str(line)) and "test" in str(line):
                    problems.append(f"{name}: `{line}` cannot fail; drop the `|| true` so a failing test fails {phase}")
        if not any("test" in str(line) for lines in commands.values() for line in lines):
            problems.append(f"{name}: no command runs tests in install, pre_build or build; run them there")
    if problems:
        return FAIL, "; ".join(problems), evidence
    return PASS, "the test commands run in a phase whose failure fails the build", evidence


# -- the deployment ----------------------------------------------------------------------------
def _deploy_check(t: Topology, fn):
    deploys = [a for a in t.actions if a.category == "Deploy"]
    if not deploys:
        return NOT_APPLICABLE, "the pipeline has no deploy action", {}
    if not t.deployment_groups:
        problems = _problems(t, "deployment group")
        if problems:
            return FAIL, f"the deployment group could not be read: {problems}", {"problems": problems}
        return NOT_APPLICABLE, "the deploy action is not CodeDeploy", {}
    groups = list(t.deployment_groups.items())
    results = [fn(key, dg) for key, dg in groups]
    failed = [r for r in results if r[0] == FAIL]
    evidence = {key: r[2] for (key, _), r in zip(groups, results)}
    if failed:
        return FAIL, "; ".join(r[1] for r in failed), evidence
    return PASS, "; ".join(r[1] for r in results), evidence


@check("DEPLOY-01", "The deployment MUST be blue/green with traffic control through a load balancer.")
def _blue_green(t: Topology):
    def one(key, dg):
        style = dg.get("deploymentStyle") or {}
        tgs = [tg["name"] for tg in (dg.get("loadBalancerInfo") or {}).get("targetGroupInfoList", [])]
        evidence = {"deploymentStyle": style, "targetGroups": tgs,
                    "loadBalancers": sorted({lb.get("LoadBalancerName") for tg in tgs
                                             for arn in t.target_groups.get(tg, {}).get("LoadBalancerArns", [])
                                             for lb in [t.load_balancers.get(arn, {})]})}
        if style.get("deploymentType") != "BLUE_GREEN" or style.get("deploymentOption") != "WITH_TRAFFIC_CONTROL":
            return FAIL, f"{key} deploys {style.get('deploymentType', 'IN_PLACE')}/" \
                         f"{style.get('deploymentOption', 'WITHOUT_TRAFFIC_CONTROL')}: set deploymentStyle " \
                         "BLUE_GREEN with WITH_TRAFFIC_CONTROL", evidence
        if not tgs:
            return FAIL, f"{key} names no target group: add loadBalancerInfo.targetGroupInfoList", evidence
        unattached = [tg for tg in tgs if not t.target_groups.get(tg, {}).get("LoadBalancerArns")]
        if unattached:
            return FAIL, f"{key}: target group(s) {', '.join(unattached)} are missing or behind no load balancer", evidence
        return PASS, f"{key} is blue/green behind {', '.join(evidence['loadBalancers'])}", evidence
    return _deploy_check(t, one)


@check("DEPLOY-02", "A failed deployment MUST roll back automatically.")
def _rollback_on_failure(t: Topology):
    def one(key, dg):
        auto = dg.get("autoRollbackConfiguration") or {}
        evidence = {"autoRollbackConfiguration": auto}
        if auto.get("enabled") and "DEPLOYMENT_FAILURE" in auto.get("events", []):
            return PASS, f"{key} rolls back on DEPLOYMENT_FAILURE", evidence
        return FAIL, f"{key} does not roll back on failure: enable autoRollbackConfiguration with the " \
                     "DEPLOYMENT_FAILURE event", evidence
    return _deploy_check(t, one)


@check("DEPLOY-03", "An alarm MUST stop and roll back the deployment: alarms attached, rollback on alarm.")
def _rollback_on_alarm(t: Topology):
    def one(key, dg):
        auto = dg.get("autoRollbackConfiguration") or {}
        alarms = dg.get("alarmConfiguration") or {}
        names = [a["name"] for a in alarms.get("alarms", [])]
        evidence = {"alarmConfiguration": alarms, "autoRollbackConfiguration": auto}
        if not alarms.get("enabled") or not names:
            return FAIL, f"{key} has no alarms attached: enable alarmConfiguration with the app's alarms", evidence
        if alarms.get("ignorePollAlarmFailure"):
            return FAIL, f"{key} ignores alarm poll failures: set ignorePollAlarmFailure false", evidence
        if not (auto.get("enabled") and "DEPLOYMENT_STOP_ON_ALARM" in auto.get("events", [])):
            return FAIL, f"{key} does not roll back when an alarm stops it: add DEPLOYMENT_STOP_ON_ALARM to " \
                         "autoRollbackConfiguration.events", evidence
        missing = [n for n in t.profile.alarms if n not in names]
        if missing:
            return FAIL, f"{key}: the profile's alarm(s) {', '.join(missing)} are not attached", evidence
        return PASS, f"{key} rolls back on {', '.join(names)}", evidence
    return _deploy_check(t, one)


@check("DEPLOY-04", "Every attached alarm MUST exist, watch a metric and not be in ALARM.")
def _alarm_state(t: Topology):
    def one(key, dg):
        names = [a["name"] for a in (dg.get("alarmConfiguration") or {}).get("alarms", [])]
        evidence = {name: {k: t.alarms[name].get(k) for k in ("StateValue", "MetricName", "Namespace", "Dimensions")
                           if k in t.alarms[name]} for name in names if name in t.alarms}
        if not names:
            return NOT_APPLICABLE, f"{key} has no alarms (DEPLOY-03 says what to do)", evidence
        missing = [n for n in names if n not in t.alarms]
        if missing:
            return FAIL, f"{key}: alarm(s) {', '.join(missing)} do not exist: create them or detach them", evidence
        firing = [n for n in names if t.alarms[n].get("StateValue") == "ALARM"]
        if firing:
            return FAIL, f"{key}: alarm(s) {', '.join(firing)} are in ALARM, which stops every deployment: " \
                         "fix the cause or the threshold", evidence
        return PASS, f"{key}: " + ", ".join(f"{n} {t.alarms[n].get('StateValue')}" for n in names), evidence
    return _deploy_check(t, one)


@check("DEPLOY-05", "Blue MUST stay available for a rollback: kept, or terminated only after a wait.")
def _termination_wait(t: Topology):
    def one(key, dg):
        blue = ((dg.get("blueGreenDeploymentConfiguration") or {}).get("terminateBlueInstancesOnDeploymentSuccess")
                or {})
        evidence = {"terminateBlueInstancesOnDeploymentSuccess": blue}
        if (dg.get("deploymentStyle") or {}).get("deploymentType") != "BLUE_GREEN":
            return NOT_APPLICABLE, f"{key} is not blue/green (DEPLOY-01 says what to do)", evidence
        action = blue.get("action", "TERMINATE")
        wait = int(blue.get("terminationWaitTimeInMinutes", 0) or 0)
        if action == "KEEP_ALIVE":
            return PASS, f"{key} keeps blue alive", evidence
        if wait <= 0:
            return FAIL, f"{key} terminates blue at once: set terminationWaitTimeInMinutes above 0", evidence
        return PASS, f"{key} terminates blue {wait} minute(s) after success", evidence
    return _deploy_check(t, one)


# -- roles -------------------------------------------------------------------------------------
@check("IAM-01", "Every role of the pipeline MUST be least privilege: no lint finding above LOW and no "
       "`Resource: \"*\"` where the action supports resource-level permissions.")
def _least_privilege(t: Topology):
    evidence, problems = {}, []
    for arn, role in sorted(t.roles.items()):
        found = {}
        for name, doc in list(role["inline"].items()) + [(a, d) for a, d in role["attached"].items() if d is not None]:
            refused = findings(doc)
            if refused:
                found[name] = [{"issue": i, "severity": s} for i, s, _ in refused]
        admin = [a for a in role["attached"] if a.endswith((":policy/AdministratorAccess", ":policy/PowerUserAccess"))]
        evidence[role["name"]] = {"used_by": role["used_by"], "findings": found,
                                  "aws_managed": sorted(a for a, d in role["attached"].items() if d is None)}
        if found:
            problems.append(f"{role['name']}: " + "; ".join(f"{p} has {', '.join(sorted({f['issue'] for f in fs}))}"
                                                           for p, fs in found.items()))
        if admin:
            problems.append(f"{role['name']}: attaches {', '.join(admin)}")
    unread = _problems(t, "role") | _problems(t, "policy") | _problems(t, "list_")
    if unread:
        problems.append(f"could not read: {unread}")
    if not t.roles and not unread:
        return FAIL, "no role could be found for the pipeline", evidence
    if problems:
        return FAIL, "; ".join(problems) + ": scope each statement to the resources it needs", evidence
    return PASS, f"{len(t.roles)} role(s) lint clean", evidence


# -- the artifact store ------------------------------------------------------------------------
@check("S3-01", "The artifact bucket MUST be versioned, encrypted and not public.")
def _bucket(t: Topology):
    if not t.buckets:
        return FAIL, "no S3 artifact store found in the pipeline", {}
    problems = []
    for name, facts in t.buckets.items():
        if facts.get("versioning") != "Enabled":
            problems.append(f"{name} versioning is {facts.get('versioning')}: enable it (PutBucketVersioning)")
        if not facts.get("encryption"):
            problems.append(f"{name} has no default encryption: set SSE-KMS or SSE-S3 (PutBucketEncryption)")
        block = facts.get("public_access_block") or {}
        off = [k for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
               if not block.get(k)]
        if off:
            problems.append(f"{name} does not block public access ({', '.join(off)} off): turn all four on")
        if facts.get("policy_is_public") or facts.get("public_acl_grants"):
            problems.append(f"{name} is public: remove the public policy statements and ACL grants")
    evidence = {name: facts for name, facts in t.buckets.items()}
    if problems:
        return FAIL, "; ".join(problems), evidence
    return PASS, ", ".join(t.buckets) + " versioned, encrypted, private", evidence


# -- trigger and notifications -----------------------------------------------------------------
@check("TRIG-01", "A push to the source branch MUST start the pipeline.")
def _trigger(t: Topology):
    sources = [a for a in t.actions if a.category == "Source"]
    evidence = {"rules": [{"Name": r["Name"], "State": r.get("State"), "EventPattern": r.get("EventPattern")}
                          for r in t.trigger_rules],
                "triggers": t.pipeline.get("triggers", []),
                "sources": {a.name: {k: a.configuration.get(k) for k in ("RepositoryName", "BranchName",
                                                                          "PollForSourceChanges", "DetectChanges")}
                            for a in sources}}
    if not sources:
        return FAIL, "the pipeline has no source action", evidence
    if t.pipeline.get("triggers"):
        return PASS, "the pipeline has V2 triggers", evidence
    missing = []
    for a in sources:
        if a.provider != "CodeCommit":
            if str(a.configuration.get("DetectChanges", "true")).lower() == "true":
                continue
            missing.append(a.name)
            continue
        if str(a.configuration.get("PollForSourceChanges", "false")).lower() == "true":
            continue
        repo, branch = a.configuration.get("RepositoryName"), a.configuration.get("BranchName")
        if not any(_triggers(rule, repo, branch) for rule in t.trigger_rules):
            missing.append(f"{a.name} ({repo}@{branch})")
    if missing:
        return FAIL, f"nothing starts the pipeline on a change to {', '.join(missing)}: add an EventBridge rule " \
                     "on `CodeCommit Repository State Change` for the branch targeting the pipeline", evidence
    return PASS, "an enabled rule starts the pipeline on each source change", evidence


def _triggers(rule: dict, repo: str, branch: str) -> bool:
    if rule.get("State") != "ENABLED":
        return False
    try:
        pattern = json.loads(rule.get("EventPattern") or "{}")
    except ValueError:
        return False
    if "aws.codecommit" not in _as_list(pattern.get("source")):
        return False
    resources = _as_list(pattern.get("resources"))
    if resources and not any(r.endswith(f":{repo}") for r in resources):
        return False
    names = _as_list((pattern.get("detail") or {}).get("referenceName"))
    return not names or branch in names


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@check("NOTE-01", "Reviewers MUST be notified of each approval, and the team of each execution's outcome.")
def _notifications(t: Topology):
    approvals = [a for a in t.actions if a.category == "Approval"]
    unnotified = [f"{a.stage}/{a.name}" for a in approvals if not a.configuration.get("NotificationArn")]
    outcome = [r for r in t.notice_rules if r.get("State") == "ENABLED"
               and EXECUTION_EVENT in _as_list(r["Pattern"].get("detail-type"))
               and any(":sns:" in target.get("Arn", "") for target in r["Targets"])]
    evidence = {"approvals": {f"{a.stage}/{a.name}": a.configuration.get("NotificationArn") for a in approvals},
                "execution_rules": [{"Name": r["Name"], "targets": [x["Arn"] for x in r["Targets"]]} for r in outcome]}
    problems = []
    closed = sorted({target["Arn"] for r in outcome for target in r["Targets"]
                     if ":sns:" in target.get("Arn", "") and not _events_may_publish(t.topics.get(target["Arn"]))})
    evidence["topics_events_may_publish_to"] = {arn: arn not in closed for arn in t.topics}
    if closed and len(closed) == len({x["Arn"] for r in outcome for x in r["Targets"] if ":sns:" in x["Arn"]}):
        problems.append(f"the topic policy of {', '.join(closed)} does not let events.amazonaws.com publish, so "
                        "EventBridge's notices are dropped: allow sns:Publish for that service principal")
        outcome = []
    if unnotified:
        problems.append(f"approval(s) {', '.join(unnotified)} notify nobody: set NotificationArn to an SNS topic")
    if not outcome and not closed:
        problems.append("no enabled EventBridge rule sends this pipeline's execution state changes to SNS: add one")
    if problems:
        return FAIL, "; ".join(problems), evidence
    return PASS, "approvals and execution outcomes are notified", evidence


def _events_may_publish(topic: dict | None) -> bool:
    """Whether a topic's access policy has an Allow of sns:Publish for events.amazonaws.com (its
    conditions are the team's; verify does not evaluate them)."""
    for statement in _as_list(((topic or {}).get("policy") or {}).get("Statement")):
        principal = statement.get("Principal") or {}
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        actions = [a.lower() for a in _as_list(statement.get("Action"))]
        if statement.get("Effect") == "Allow" and "events.amazonaws.com" in services and \
                any(a in ("sns:publish", "sns:*", "*") for a in actions):
            return True
    return False
