"""The CloudWatch alarm the deployment group watches (DEPLOYMENT_STOP_ON_ALARM rolls back).
It watches a custom metric the scenarios can drive with PutMetricData — an alarm flipped with
SetAlarmState only holds until the next evaluation, which puts the alarm back in the state its
data says (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html)."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "alarm"
ALARM = "cloudwatch:alarm"
TYPES = (ALARM,)

NAMESPACE = "Capstone/DemoApp"
METRIC = "DeploymentErrors"
PERIOD = 10          # seconds (a valid high-resolution alarm period)
THRESHOLD = 1.0


def metric(ctx_or_names) -> dict:
    names = getattr(ctx_or_names, "names", ctx_or_names)
    return {"Namespace": NAMESPACE, "MetricName": METRIC,
            "Dimensions": [{"Name": "DeploymentGroup", "Value": names.deployment_group}],
            "Threshold": THRESHOLD, "Period": PERIOD}


def create(ctx: BuildContext) -> None:
    n = ctx.names
    m = metric(ctx)
    entry = ctx.record(ALARM, n.alarm, builder=NAME)
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName=n.alarm, AlarmDescription=f"capstone {n.prefix}: stops and rolls back a deployment of {n.deployment_group}",
        Namespace=m["Namespace"], MetricName=m["MetricName"], Dimensions=m["Dimensions"],
        Statistic="Maximum", Period=PERIOD, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=THRESHOLD,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
        ActionsEnabled=False, Tags=ctx.tag_list())
    ctx.created(entry, arn=n.arn("cloudwatch", f"alarm:{n.alarm}"))


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        call(ctx.client("cloudwatch").delete_alarms, AlarmNames=[record["name"]], what=f"delete alarm {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
