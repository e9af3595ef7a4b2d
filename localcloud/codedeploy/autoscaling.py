"""What CodeDeploy does with Auto Scaling, through Auto Scaling's door only (as the group's service
role): read the group's ASG, copy it into the green `CodeDeploy_<group>_<deploymentId>` ASG, wait
for its instances, delete groups, keep CodeDeploy's launch hook on them.
"""
from __future__ import annotations

import time
from typing import Callable

from localcloud.autoscaling.contract import LAUNCHING, AutoScalingContract, GroupInfo
from localcloud.autoscaling.exceptions import ValidationError
from localcloud.exceptions import AWSError
from localcloud.principal import Principal


class ProvisioningFailed(Exception):
    pass


def describe(autoscaling: AutoScalingContract, principal: Principal, name: str, region: str | None = None) -> GroupInfo | None:
    return autoscaling.describe_group(principal, name, region)


def healthy_instances(group: GroupInfo) -> list[str]:
    return group.healthy_in_service()


def green_name(group_name: str, deployment_id: str) -> str:
    # https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html: CodeDeploy_deployment_group_name_deployment_id
    return f"CodeDeploy_{group_name}_{deployment_id}"


def copy_group(autoscaling: AutoScalingContract, principal: Principal, source: GroupInfo, name: str, capacity: int,
               region: str | None = None) -> None:
    """Create the green ASG as a copy of `source` with `capacity` instances: "a template ...
    including the same number of running instances and many other configuration options"
    (https://docs.aws.amazon.com/codedeploy/latest/userguide/welcome.html).

    Target groups are NOT attached at creation: green must not take traffic before AllowTraffic
    registers it (whether AWS attaches them to the green ASG later is UNCONFIRMED; see settings).
    """
    template = source.launch_template
    autoscaling.create_group(
        principal, name, min_size=min(source.min_size, capacity), max_size=max(source.max_size, capacity),
        desired_capacity=capacity,
        launch_template=template,
        mixed_instances_policy=source.mixed_instances_policy if template is None else None,
        launch_configuration_name=source.launch_configuration_name
        if template is None and not source.mixed_instances_policy else None,
        vpc_zone_identifier=source.vpc_zone_identifier or None,
        availability_zones=None if source.vpc_zone_identifier else list(source.availability_zones),
        health_check_type=source.health_check_type or None, health_check_grace_period=source.health_check_grace_period,
        default_cooldown=source.default_cooldown, termination_policies=list(source.termination_policies) or None,
        new_instances_protected_from_scale_in=source.new_instances_protected_from_scale_in,
        capacity_rebalance=source.capacity_rebalance, placement_group=source.placement_group or None,
        tags=[t for t in source.tags if not t.key.startswith("aws:")],
        region=region,
    )


def wait_in_service(autoscaling: AutoScalingContract, principal: Principal, name: str, capacity: int,
                    real_timeout: float, stopped: Callable[[], bool], region: str | None = None) -> list[str]:
    deadline = time.monotonic() + real_timeout
    delay = 0.02
    seen: list[str] = []
    while True:
        group = describe(autoscaling, principal, name, region)
        if group is None:
            raise ProvisioningFailed(f"The Auto Scaling group {name} was deleted while CodeDeploy was provisioning it.")
        seen = healthy_instances(group)
        if len(seen) >= capacity:
            return seen[:capacity]
        if stopped():
            return []
        if time.monotonic() >= deadline:
            raise ProvisioningFailed(
                f"The Auto Scaling group {name} did not reach {capacity} InService instances in time ({len(seen)} InService)."
            )
        time.sleep(delay)
        delay = min(delay * 1.6, 0.5)


def delete_group(autoscaling: AutoScalingContract, principal: Principal, name: str, region: str | None = None) -> None:
    """ForceDelete (terminates its instances); a group that is already gone is fine."""
    try:
        autoscaling.delete_group(principal, name, force=True, region=region)
    except ValidationError:
        pass  # "AutoScalingGroup name not found"


def put_hook(autoscaling: AutoScalingContract, principal: Principal, asg: str, hook: str, region: str | None = None) -> bool:
    """CodeDeploy's launch lifecycle hook on a group's ASG (what GetDeploymentGroup reports)."""
    try:
        autoscaling.put_lifecycle_hook(principal, asg, hook, LAUNCHING, heartbeat_timeout=600, default_result="ABANDON",
                                       region=region)
        return True
    except AWSError:
        return False


def remove_hook(autoscaling: AutoScalingContract, principal: Principal, asg: str, hook: str, region: str | None = None) -> bool:
    try:
        if describe(autoscaling, principal, asg, region) is None:
            return False
        autoscaling.delete_lifecycle_hook(principal, asg, hook, region=region)
        return True
    except AWSError:
        return False
