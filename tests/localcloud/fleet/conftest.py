"""Fixtures for the fleet tests: a network, load balancers built through the API, instances
running tests/localcloud/fleet/target_app.py (the test plays the CodeDeploy agent's part)."""
from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

APP = str(Path(__file__).with_name("target_app.py"))
AMI = "ami-12c6146b"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, timeout: float = 10.0, what: str = "condition", interval: float = 0.03):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last value: {last!r}")


@dataclass
class Network:
    vpc_id: str
    subnets: list[str]
    launch_template: str


@dataclass
class Alb:
    name: str
    arn: str
    dns_name: str
    target_group_arn: str
    listener_arn: str | None


class FleetKit:
    """Small verbs over boto3 and the session's localcloud."""

    def __init__(self, localcloud, aws, network: Network):
        self.cloud, self.network = localcloud, network
        self.ec2, self.elb, self.asg = aws("ec2"), aws("elbv2"), aws("autoscaling")
        self.http = requests.Session()

    # -- resources -----------------------------------------------------------------------------
    def target_group(self, **overrides) -> str:
        params = dict(Name=unique("tg"), Protocol="HTTP", Port=80, VpcId=self.network.vpc_id,
                      HealthCheckPath="/health", HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
                      UnhealthyThresholdCount=2, HealthCheckTimeoutSeconds=2)
        params.update(overrides)
        arn = self.elb.create_target_group(**params)["TargetGroups"][0]["TargetGroupArn"]
        self.elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}])  # 0.6 s at scale 0.02
        return arn

    def alb(self, target_group_arn: str | None = None, listener: bool = True, default_actions=None) -> Alb:
        name = unique("alb")
        lb = self.elb.create_load_balancer(Name=name, Subnets=self.network.subnets)["LoadBalancers"][0]
        tg = target_group_arn or self.target_group()
        listener_arn = None
        if listener:
            actions = default_actions or [{"Type": "forward", "TargetGroupArn": tg}]
            listener_arn = self.elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                                                    DefaultActions=actions)["Listeners"][0]["ListenerArn"]
        return Alb(name, lb["LoadBalancerArn"], lb["DNSName"], tg, listener_arn)

    def instances(self, count: int) -> list[str]:
        reservation = self.ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType="t3.micro",
                                             SubnetId=self.network.subnets[0])
        return [i["InstanceId"] for i in reservation["Instances"]]

    def register(self, target_group_arn: str, instance_ids: list[str]) -> None:
        self.elb.register_targets(TargetGroupArn=target_group_arn, Targets=[{"Id": i} for i in instance_ids])

    def group(self, target_group_arn: str, desired: int, max_size: int = 4) -> str:
        name = unique("asg")
        self.asg.create_auto_scaling_group(
            AutoScalingGroupName=name, MinSize=0, MaxSize=max_size, DesiredCapacity=desired,
            LaunchTemplate={"LaunchTemplateName": self.network.launch_template, "Version": "$Latest"},
            VPCZoneIdentifier=",".join(self.network.subnets), TargetGroupARNs=[target_group_arn])
        return name

    def group_instances(self, name: str) -> list[str]:
        group = self.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
        return [i["InstanceId"] for i in group["Instances"]]

    # -- the instance side (what the agent would do) ---------------------------------------------
    def serve(self, instance_id: str):
        runtime = self.cloud.provider("fleet").runtimes.runtime(instance_id)
        return runtime.spawn([sys.executable, APP], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def root(self, instance_id: str) -> Path:
        return self.cloud.provider("fleet").runtimes.runtime(instance_id).root

    # -- observation -----------------------------------------------------------------------------
    def health(self, target_group_arn: str) -> dict[str, tuple[str, str | None]]:
        described = self.elb.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in described}

    def wait_state(self, target_group_arn: str, instance_id: str, state: str, reason: str | None = None,
                   timeout: float = 10.0):
        def reached():
            current = self.health(target_group_arn).get(instance_id)
            if current and current[0] == state and (reason is None or current[1] == reason):
                return current
            return None
        return wait_until(reached, timeout, f"{instance_id} {state} {reason or ''}")

    def get(self, alb: Alb, path: str = "/", **kwargs) -> requests.Response:
        headers = {"Host": alb.dns_name, **kwargs.pop("headers", {})}
        return self.http.request(kwargs.pop("method", "GET"), self.cloud.url + path, headers=headers, timeout=30, **kwargs)

    def served_by(self, alb: Alb, requests_count: int = 8) -> list[str]:
        answers = [self.get(alb) for _ in range(requests_count)]
        assert all(a.status_code == 200 for a in answers), [a.status_code for a in answers]
        return [a.json()["instance"] for a in answers]


@pytest.fixture(scope="session")
def network(aws) -> Network:
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    template = unique("fleet-lt")
    ec2.create_launch_template(LaunchTemplateName=template, LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.micro"})
    return Network(vpc, subnets, template)


@pytest.fixture(scope="session")
def kit(localcloud, aws, network) -> FleetKit:
    # session-wide: creating boto3 clients costs more than most of these tests
    return FleetKit(localcloud, aws, network)
