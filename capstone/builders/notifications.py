"""Notifications: one SNS topic for the pipeline's notices, an SQS queue subscribed to it that the
suite reads (offline and live alike), and an EventBridge rule sending the pipeline's execution
state changes to the topic. The approval action publishes its own notice to the topic (its
NotificationArn), as the pipeline's role.

Why an EventBridge rule and not a CodeStar Notifications rule: both are what AWS users choose for
pipeline notifications, but EventBridge is the mechanism the push trigger already uses, its event
format is documented per field, and its delivery to SNS is governed by the topic's resource
policy alone (https://docs.aws.amazon.com/codepipeline/latest/userguide/detect-state-changes-cloudwatch-events.html,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions).

The policies allow exactly who publishes: the topic lets events.amazonaws.com publish for this
rule only (aws:SourceArn); the queue lets sns.amazonaws.com send for this topic only. The
pipeline's role publishes through its identity policy (same account), so the topic policy does
not name it.
"""
from __future__ import annotations

import json

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "notifications"
TOPIC = "sns:topic"
SUBSCRIPTION = "sns:subscription"
QUEUE = "sqs:queue"
RULE = "events:rule"   # deleted by the trigger builder's delete, which removes any rule's targets first
TYPES = (TOPIC, SUBSCRIPTION, QUEUE)
TARGET_ID = "notifications"
#: the execution states a team is told about (the in-between STARTED/RESUMED are noise)
NOTIFIED_STATES = ["FAILED", "SUCCEEDED", "STOPPED", "SUPERSEDED"]


def topic_policy(ctx: BuildContext) -> dict:
    n = ctx.names
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "PipelineExecutionNotices", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish", "Resource": n.notification_topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": n.notification_rule_arn}}}]}


def queue_policy(ctx: BuildContext, queue_arn: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "TopicDeliveries", "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage", "Resource": queue_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": ctx.names.notification_topic_arn}}}]}


def pattern(ctx: BuildContext) -> dict:
    return {"source": ["aws.codepipeline"], "detail-type": ["CodePipeline Pipeline Execution State Change"],
            "resources": [ctx.names.pipeline_arn], "detail": {"state": NOTIFIED_STATES}}


def create(ctx: BuildContext) -> None:
    n = ctx.names
    sqs, sns, events = ctx.client("sqs"), ctx.client("sns"), ctx.client("events")

    entry = ctx.record(QUEUE, n.notification_queue, builder=NAME)
    url = sqs.create_queue(QueueName=n.notification_queue, tags=ctx.tag_map())["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ctx.created(entry, id=url, arn=queue_arn)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(queue_policy(ctx, queue_arn))})

    entry = ctx.record(TOPIC, n.notification_topic, builder=NAME)
    topic_arn = sns.create_topic(Name=n.notification_topic, Tags=ctx.tag_list())["TopicArn"]
    ctx.created(entry, arn=topic_arn)
    sns.set_topic_attributes(TopicArn=topic_arn, AttributeName="Policy", AttributeValue=json.dumps(topic_policy(ctx)))

    entry = ctx.record(SUBSCRIPTION, n.notification_topic, builder=NAME)
    subscription = sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                 ReturnSubscriptionArn=True)["SubscriptionArn"]
    ctx.created(entry, arn=subscription)

    entry = ctx.record(RULE, n.notification_rule, builder=NAME)
    out = events.put_rule(Name=n.notification_rule, EventPattern=json.dumps(pattern(ctx)), State="ENABLED",
                          Description=f"capstone {n.prefix}: tell {n.notification_topic} how {n.pipeline} runs end",
                          Tags=ctx.tag_list())
    ctx.created(entry, arn=out["RuleArn"])
    # an SNS target takes no role: the topic's policy lets EventBridge publish for this rule
    call(events.put_targets, Rule=n.notification_rule, what="put the notifications target",
         Targets=[{"Id": TARGET_ID, "Arn": topic_arn}])
    ctx.outputs.update(notification_topic_arn=topic_arn, notification_queue_url=url)


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        if record["type"] == QUEUE:
            url = record.get("id") or ctx.client("sqs").get_queue_url(QueueName=record["name"])["QueueUrl"]
            call(ctx.client("sqs").delete_queue, QueueUrl=url, what=f"delete queue {record['name']}")
        elif record["type"] == SUBSCRIPTION:
            if record.get("arn"):
                call(ctx.client("sns").unsubscribe, SubscriptionArn=record["arn"],
                     what=f"unsubscribe from {record['name']}")
        elif record["type"] == TOPIC:
            arn = record.get("arn") or ctx.names.notification_topic_arn
            call(ctx.client("sns").delete_topic, TopicArn=arn, what=f"delete topic {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
