"""The push trigger: an EventBridge rule matching a ref update of main in the repository, whose
target starts the pipeline with a role allowed exactly that. The pipeline's Source action has
PollForSourceChanges "false", so this rule is the only trigger: with both, every push would start
the pipeline twice (https://docs.aws.amazon.com/codepipeline/latest/userguide/PollForSourceChanges-defaults.html)."""
from __future__ import annotations

import json

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "trigger"
RULE = "events:rule"
TYPES = (RULE,)
TARGET_ID = "codepipeline"


def pattern(ctx: BuildContext) -> dict:
    n = ctx.names
    return {"source": ["aws.codecommit"], "detail-type": ["CodeCommit Repository State Change"],
            "resources": [n.repository_arn],
            "detail": {"event": ["referenceCreated", "referenceUpdated"], "referenceType": ["branch"],
                       "referenceName": [n.branch]}}


def create(ctx: BuildContext) -> None:
    n = ctx.names
    events = ctx.client("events")
    entry = ctx.record(RULE, n.event_rule, builder=NAME)
    out = events.put_rule(Name=n.event_rule, EventPattern=json.dumps(pattern(ctx)), State="ENABLED",
                          Description=f"capstone {n.prefix}: start {n.pipeline} on a push to {n.branch}",
                          Tags=ctx.tag_list())
    ctx.created(entry, arn=out["RuleArn"])
    # PutTargets does not assume the target's role (EventBridge assumes it on each invocation), so
    # the fresh events role needs no propagation retry here; the first push comes much later.
    call(events.put_targets, Rule=n.event_rule, what="put the pipeline target",
         Targets=[{"Id": TARGET_ID, "Arn": n.pipeline_arn,
                   "RoleArn": ctx.outputs.get(f"role:{n.events_role}") or n.role_arn(n.events_role)}])


def delete(ctx: BuildContext, record: dict) -> None:
    events = ctx.client("events")
    name = record["name"]
    try:
        targets = events.list_targets_by_rule(Rule=name).get("Targets", [])
        if targets:
            call(events.remove_targets, Rule=name, Ids=[t["Id"] for t in targets], what=f"remove targets of {name}")
        call(events.delete_rule, Name=name, what=f"delete rule {name}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
