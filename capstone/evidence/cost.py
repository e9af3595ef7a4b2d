"""Estimated cost of a run from what it created and for how long (the ledger's timestamps) and from
how long the pipeline ran (the evidence timeline). Billing data arrives up to a day late, and a
cost-allocation tag counts only once activated, which takes up to another day
(https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html): a run
cannot read its own cost, so the estimate is computed, not queried.

PRICES is the one price table: USD, us-east-1 on-demand list prices. Edit it there when prices or
the region change; everything else reads it.
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any, Iterable

PRICES: dict[str, Any] = {
    # EC2 Linux on-demand per instance-hour, billed per second with a 60 s minimum.
    "ec2_hour": {"t3.nano": 0.0052, "t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416,
                 "t4g.nano": 0.0042, "t4g.micro": 0.0084, "t4g.small": 0.0168, "t2.micro": 0.0116},
    "ec2_minimum_seconds": 60,
    # Application Load Balancer per ALB-hour; partial hours are billed as full hours. LCU charges
    # ($0.008 per LCU-hour) are left out: probe traffic stays far below one LCU.
    "alb_hour": 0.0225,
    # CodeBuild on-demand per build minute, rounded up per build.
    "codebuild_minute": {"BUILD_GENERAL1_SMALL": 0.005, "BUILD_GENERAL1_MEDIUM": 0.01,
                         "BUILD_GENERAL1_LARGE": 0.02},
    # CodePipeline V2 per action execution minute, rounded up per action execution.
    "pipeline_action_minute": 0.002,
    # Monthly prices prorated by the hour (730 hours a month).
    "secret_month": 0.40,
    "alarm_month": 0.10,
    "hours_per_month": 730,
    # CodeArtifact (https://aws.amazon.com/codeartifact/pricing/): storage per GB-month, prorated
    # by the hour like the monthly prices above, and requests per 10,000. The account's first
    # 2 GB and 100,000 requests each month are free; a run alone stays far inside both, so the
    # lines below are what the same use costs beyond the free tier.
    "codeartifact_gb_month": 0.05,
    "codeartifact_10k_requests": 0.05,
}
#: requests a CodeArtifact use makes: a publish (GetAuthorizationToken, GetRepositoryEndpoint,
#: the upload) and a build's `aws codeartifact login` + `pip install` of one pinned package
#: (the same two API calls, the project's index page, the file)
CODEARTIFACT_REQUESTS = {"publish": 3, "build": 4}
CODEARTIFACT_FREE_TIER = "first 2 GB of storage and 100,000 requests per month free (per account)"
DEFAULTS = {"instance_type": "t3.micro", "capacity": 2, "compute_type": "BUILD_GENERAL1_SMALL"}
try:  # the environment's own sizes when the ledger entries do not say (they are the same code's)
    from capstone.builders.fleet import CAPACITY as _CAPACITY, INSTANCE_TYPE as _INSTANCE_TYPE

    DEFAULTS.update(instance_type=_INSTANCE_TYPE, capacity=_CAPACITY)
except ImportError:  # pragma: no cover - the evidence layer works without the environment
    pass
# UNCONFIRMED: we believe manual approval actions accrue no action execution minutes (the waiting is
# the reviewer's, not compute); set True to count them.
CHARGE_APPROVAL_MINUTES = False
TERMINAL = {"Succeeded", "Failed", "Stopped", "Cancelled", "Abandoned", "Superseded", "Ready"}
NOT_ESTIMATED = ["CodeDeploy on EC2 (no charge)", "CodeCommit (free tier)", "S3 artifacts, CloudWatch Logs, "
                 "SSM standard parameters, EventBridge, IAM (fractions of a cent or free)"]


def _ts(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def _kind(entry: dict[str, Any]) -> str:
    return re.sub(r"[^a-z0-9]", "", str(entry.get("type", "")).lower())


def _lifetime(entry: dict[str, Any], run_end: float) -> float:
    start = _ts(entry.get("created_at"))
    if start is None:
        return 0.0
    return max(0.0, (_ts(entry.get("deleted_at")) or run_end) - start)


def _field(entry: dict[str, Any], *names: str) -> Any:
    for source in (entry, entry.get("attrs") or {}, entry.get("details") or {}):
        for name in names:
            if source.get(name) not in (None, ""):
                return source[name]
    return None


def stage_runs(timeline: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """(execution, stage) intervals from 'stage' events: first InProgress to the first terminal status."""
    runs: dict[tuple, dict[str, Any]] = {}
    for ev in timeline:
        if ev.get("kind") != "stage" or not ev.get("stage"):
            continue
        key = (ev.get("execution_id"), ev["stage"])
        run = runs.setdefault(key, {"execution_id": key[0], "stage": key[1], "start": None, "stop": None,
                                    "status": None})
        if ev.get("status") == "InProgress" and run["start"] is None:
            run["start"] = ev["t"]
        elif ev.get("status") in TERMINAL and run["stop"] is None:
            run["stop"], run["status"] = ev["t"], ev["status"]
            run["start"] = run["start"] if run["start"] is not None else ev["t"]
    return list(runs.values())


def deployment_runs(timeline: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    runs: dict[str, dict[str, Any]] = {}
    for ev in timeline:
        if ev.get("kind") != "deployment" or not ev.get("deployment_id"):
            continue
        run = runs.setdefault(ev["deployment_id"], {"deployment_id": ev["deployment_id"], "start": ev["t"],
                                                    "stop": None, "status": None,
                                                    "rollback_of": ev.get("rollback_of")})
        run["rollback_of"] = run["rollback_of"] or ev.get("rollback_of")
        if ev.get("status") in TERMINAL - {"Ready"} and run["stop"] is None:
            run["stop"], run["status"] = ev["t"], ev["status"]
        elif run["stop"] is None:
            run["status"] = ev.get("status") or run["status"]
    return list(runs.values())


def codeartifact_lines(resources: list[dict[str, Any]], timeline: Iterable[dict[str, Any]], run_end: float,
                       builds: int, prices: dict[str, Any] = PRICES) -> list[dict[str, Any]]:
    """Storage of every package file published (from its upload until its repository was
    deleted) and the requests of the publishes and of the builds that installed from it. No
    lines when the run had no CodeArtifact repository."""
    repositories = [e for e in resources if _kind(e) == "codeartifactrepository"]
    if not repositories:
        return []
    ends = [_ts(e.get("deleted_at")) or run_end for e in repositories]
    storage_end = max(ends)
    published = [ev for ev in timeline if ev.get("kind") == "package_published"]
    gb_hours = sum(float(ev.get("bytes") or 0) / 1024 ** 3 * max(0.0, storage_end - ev["t"]) / 3600
                   for ev in published if ev.get("t"))
    storage_price = prices["codeartifact_gb_month"] / prices["hours_per_month"]
    requests = len(published) * CODEARTIFACT_REQUESTS["publish"] + builds * CODEARTIFACT_REQUESTS["build"]
    request_price = prices["codeartifact_10k_requests"] / 10_000
    return [
        {"item": "CodeArtifact storage", "quantity": round(gb_hours, 9), "unit": "GB-hour",
         "unit_price": storage_price, "usd": gb_hours * storage_price, "free_tier": CODEARTIFACT_FREE_TIER},
        {"item": "CodeArtifact requests", "quantity": requests, "unit": "request", "unit_price": request_price,
         "usd": requests * request_price, "free_tier": CODEARTIFACT_FREE_TIER},
    ]


def estimate(resources: list[dict[str, Any]], timeline: list[dict[str, Any]], run_end: float,
             approval_stages: Iterable[str] = ("Approval",), prices: dict[str, Any] = PRICES) -> dict[str, Any]:
    """Line items and a total in USD. resources: ledger entries; timeline: evidence events."""
    lines: list[dict[str, Any]] = []
    instance_seconds: dict[str, float] = {}
    instance_type = DEFAULTS["instance_type"]
    for entry in resources:
        if "launchtemplate" in _kind(entry):
            instance_type = _field(entry, "instance_type", "InstanceType") or instance_type
    saw_green_asg = False
    for entry in resources:
        kind, life = _kind(entry), _lifetime(entry, run_end)
        itype = _field(entry, "instance_type", "InstanceType") or instance_type
        if "autoscalinggroup" in kind or kind == "asg":
            saw_green_asg |= str(entry.get("name", "")).startswith("CodeDeploy_")
            capacity = int(_field(entry, "desired_capacity", "DesiredCapacity", "capacity") or DEFAULTS["capacity"])
            instance_seconds[itype] = instance_seconds.get(itype, 0.0) + life * capacity
        elif kind in ("instance", "ec2instance", "awsec2instance"):
            instance_seconds[itype] = instance_seconds.get(itype, 0.0) + max(life, prices["ec2_minimum_seconds"])
        elif "loadbalancer" in kind and "target" not in kind and "listener" not in kind:
            hours = math.ceil(life / 3600) if life else 0
            lines.append({"item": "ALB hours", "quantity": hours, "unit": "ALB-hour",
                          "unit_price": prices["alb_hour"], "usd": hours * prices["alb_hour"]})
        elif "secret" in kind and "ssm" not in kind and "parameter" not in kind:
            hours = math.ceil(life / 3600) if life else 0
            price = prices["secret_month"] / prices["hours_per_month"]
            lines.append({"item": "Secrets Manager secret", "quantity": hours, "unit": "secret-hour",
                          "unit_price": price, "usd": hours * price})
        elif "alarm" in kind:
            hours = math.ceil(life / 3600) if life else 0
            price = prices["alarm_month"] / prices["hours_per_month"]
            lines.append({"item": "CloudWatch alarm", "quantity": hours, "unit": "alarm-hour",
                          "unit_price": price, "usd": hours * price})
    if not saw_green_asg:
        # CodeDeploy's green copy is not in the ledger until teardown finds it: while a deployment
        # runs, a second fleet of the same size exists beside blue.
        for dep in deployment_runs(timeline):
            seconds = ((dep["stop"] or run_end) - dep["start"]) * DEFAULTS["capacity"]
            instance_seconds[instance_type] = instance_seconds.get(instance_type, 0.0) + seconds
    for itype, seconds in sorted(instance_seconds.items()):
        price = prices["ec2_hour"].get(itype, prices["ec2_hour"][DEFAULTS["instance_type"]])
        lines.append({"item": f"EC2 {itype}", "quantity": round(seconds), "unit": "instance-second",
                      "unit_price": price / 3600, "usd": seconds * price / 3600})
    build_minutes = action_minutes = builds = 0
    approvals = set(approval_stages)
    for run in stage_runs(timeline):
        if run["start"] is None:
            continue
        minutes = math.ceil(max(1.0, (run["stop"] or run_end) - run["start"]) / 60)
        if "build" in run["stage"].lower():
            build_minutes += minutes
            builds += 1
        if run["stage"] not in approvals or CHARGE_APPROVAL_MINUTES:
            action_minutes += minutes
    lines += codeartifact_lines(resources, timeline, run_end, builds, prices)
    build_price = prices["codebuild_minute"][DEFAULTS["compute_type"]]
    lines.append({"item": "CodeBuild minutes", "quantity": build_minutes, "unit": "build-minute",
                  "unit_price": build_price, "usd": build_minutes * build_price})
    lines.append({"item": "CodePipeline V2 action minutes", "quantity": action_minutes, "unit": "action-minute",
                  "unit_price": prices["pipeline_action_minute"],
                  "usd": action_minutes * prices["pipeline_action_minute"]})
    for line in lines:
        line["usd"] = round(line["usd"], 6)
    return {"currency": "USD", "region_prices": "us-east-1 on-demand list prices", "lines": lines,
            "total_usd": round(sum(line["usd"] for line in lines), 4), "not_estimated": NOT_ESTIMATED}
