"""The CloudWatch alarm the deployment group watches (DEPLOYMENT_STOP_ON_ALARM rolls back): the
one a production team sets, on the load balancer's own metric of errors its targets answered
to users, AWS/ApplicationELB HTTPCode_Target_5XX_Count for the blue/green target group (Sum over
a minute). ALB publishes it only for minutes with requests, so missing data is not breaching.
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html

Nothing writes this metric but the load balancer (PutMetricData into AWS/ namespaces is
refused), so the alarm fires only when real traffic meets a failing release."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found

NAME = "alarm"
ALARM = "cloudwatch:alarm"
TYPES = (ALARM,)

NAMESPACE = "AWS/ApplicationELB"
METRIC = "HTTPCode_Target_5XX_Count"
STATISTIC = "Sum"
PERIOD = 60          # ALB metrics have one-minute granularity
THRESHOLD = 5.0      # five failed answers to users in a minute


def dimensions(load_balancer_arn: str, target_group_arn: str) -> list[dict]:
    """ALB's dimension values: the ARNs' tails (app/<name>/<id>, targetgroup/<name>/<id>)."""
    return [{"Name": "LoadBalancer", "Value": load_balancer_arn.split(":loadbalancer/", 1)[1]},
            {"Name": "TargetGroup", "Value": target_group_arn.rsplit(":", 1)[1]}]


def create(ctx: BuildContext) -> None:
    n = ctx.names
    entry = ctx.record(ALARM, n.alarm, builder=NAME)
    ctx.client("cloudwatch").put_metric_alarm(
        AlarmName=n.alarm, AlarmDescription=f"capstone {n.prefix}: users get 5XX from {n.target_group}; stops and "
                                            f"rolls back a deployment of {n.deployment_group}",
        Namespace=NAMESPACE, MetricName=METRIC,
        Dimensions=dimensions(ctx.outputs["alb_arn"], ctx.outputs["target_group_arn"]),
        Statistic=STATISTIC, Period=PERIOD, EvaluationPeriods=1, DatapointsToAlarm=1, Threshold=THRESHOLD,
        ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching",
        ActionsEnabled=False, Tags=ctx.tag_list())
    ctx.created(entry, arn=n.arn("cloudwatch", f"alarm:{n.alarm}"))


def delete(ctx: BuildContext, record: dict) -> None:
    try:
        call(ctx.client("cloudwatch").delete_alarms, AlarmNames=[record["name"]], what=f"delete alarm {record['name']}")
    except Exception as exc:
        if not is_not_found(exc):
            raise
