"""The ALB, its target group and its HTTP listener. The health check and deregistration delay
are values real AWS accepts, chosen short so that a run (scaled offline, real on AWS) stays short:
interval 5 s, timeout 2 s, healthy/unhealthy threshold 2, deregistration delay 30 s."""
from __future__ import annotations

from capstone.builders.context import BuildContext
from capstone.retry import call, is_not_found, wait_until

NAME = "loadbalancer"
TARGET_GROUP = "elbv2:target-group"
LOAD_BALANCER = "elbv2:load-balancer"
LISTENER = "elbv2:listener"
TYPES = (TARGET_GROUP, LOAD_BALANCER, LISTENER)

HEALTH_CHECK = {"HealthCheckProtocol": "HTTP", "HealthCheckPath": "/health", "HealthCheckPort": "traffic-port",
                "HealthCheckIntervalSeconds": 5, "HealthCheckTimeoutSeconds": 2,
                "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2, "Matcher": {"HttpCode": "200"}}
DEREGISTRATION_DELAY = 30


def create(ctx: BuildContext) -> None:
    elb = ctx.client("elbv2")
    n = ctx.names
    entry = ctx.record(TARGET_GROUP, n.target_group, builder=NAME)
    tg = elb.create_target_group(Name=n.target_group, Protocol="HTTP", Port=80, VpcId=ctx.outputs["vpc_id"],
                                 TargetType="instance", Tags=ctx.tag_list(), **HEALTH_CHECK)["TargetGroups"][0]
    ctx.created(entry, arn=tg["TargetGroupArn"])
    elb.modify_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"], Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(DEREGISTRATION_DELAY)}])
    ctx.outputs["target_group_arn"] = tg["TargetGroupArn"]

    entry = ctx.record(LOAD_BALANCER, n.alb, builder=NAME)
    lb = elb.create_load_balancer(Name=n.alb, Type="application", Scheme="internet-facing", IpAddressType="ipv4",
                                  Subnets=ctx.outputs["subnet_ids"],
                                  SecurityGroups=[ctx.outputs["alb_security_group_id"]],
                                  Tags=ctx.tag_list())["LoadBalancers"][0]
    ctx.created(entry, arn=lb["LoadBalancerArn"], attrs={"dns_name": lb["DNSName"]})
    ctx.outputs.update(alb_arn=lb["LoadBalancerArn"], alb_dns=lb["DNSName"])

    entry = ctx.record(LISTENER, f"{n.alb}:80", builder=NAME)
    listener = elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}],
                                   Tags=ctx.tag_list())["Listeners"][0]
    ctx.created(entry, arn=listener["ListenerArn"])
    wait_until(lambda: _state(elb, lb["LoadBalancerArn"]), what=f"load balancer {n.alb} to become active",
               timeout=900)


def _state(elb, arn: str) -> tuple[bool, str]:
    state = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"]
    return state == "active", state


def _gone(elb, arn: str) -> tuple[bool, str]:
    try:
        lbs = elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]
    except Exception as exc:
        if is_not_found(exc):
            return True, "deleted"
        raise
    return (not lbs), (lbs[0]["State"]["Code"] if lbs else "deleted")


def _arn(elb, record: dict) -> str | None:
    if record.get("arn"):
        return record["arn"]
    try:
        if record["type"] == TARGET_GROUP:
            return elb.describe_target_groups(Names=[record["name"]])["TargetGroups"][0]["TargetGroupArn"]
        if record["type"] == LOAD_BALANCER:
            return elb.describe_load_balancers(Names=[record["name"]])["LoadBalancers"][0]["LoadBalancerArn"]
    except Exception as exc:
        if is_not_found(exc):
            return None
        raise
    return None


def delete(ctx: BuildContext, record: dict) -> None:
    elb = ctx.client("elbv2")
    try:
        arn = _arn(elb, record)
        if arn is None:
            return
        if record["type"] == LISTENER:
            call(elb.delete_listener, ListenerArn=arn, what=f"delete listener {record['name']}")
        elif record["type"] == LOAD_BALANCER:
            call(elb.delete_load_balancer, LoadBalancerArn=arn, what=f"delete load balancer {record['name']}")
            wait_until(lambda: _gone(elb, arn), what=f"load balancer {record['name']} to be deleted", timeout=600)
        elif record["type"] == TARGET_GROUP:
            # ResourceInUse until the load balancer (and an ASG attachment) has really gone.
            call(elb.delete_target_group, TargetGroupArn=arn, what=f"delete target group {record['name']}", deadline=600)
    except Exception as exc:
        if not is_not_found(exc):
            raise
