"""What CodeDeploy does with Auto Scaling, through the autoscaling API only: read the group's ASG,
copy it into the green `CodeDeploy_<group>_<deploymentId>` ASG, wait for its instances, delete groups.
"""
from __future__ import annotations

import time
from typing import Callable

from botocore.exceptions import ClientError

# Copied from the original group so that green is "a template ... including the same number of
# running instances and many other configuration options" (https://docs.aws.amazon.com/codedeploy/latest/userguide/welcome.html).
_COPIED = ("HealthCheckType", "HealthCheckGracePeriod", "DefaultCooldown", "TerminationPolicies",
           "NewInstancesProtectedFromScaleIn", "CapacityRebalance", "DefaultInstanceWarmup",
           "ServiceLinkedRoleARN", "MaxInstanceLifetime", "PlacementGroup")


class ProvisioningFailed(Exception):
    pass


def describe(autoscaling, name: str) -> dict | None:
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    return groups[0] if groups else None


def healthy_instances(group: dict) -> list[str]:
    return sorted(i["InstanceId"] for i in group.get("Instances", [])
                  if i.get("LifecycleState") == "InService" and i.get("HealthStatus", "Healthy") == "Healthy")


def green_name(group_name: str, deployment_id: str) -> str:
    # https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html: CodeDeploy_deployment_group_name_deployment_id
    return f"CodeDeploy_{group_name}_{deployment_id}"


def copy_group(autoscaling, source: dict, name: str, capacity: int) -> None:
    """Create the green ASG as a copy of `source` with `capacity` instances.

    Target groups are NOT attached at creation: green must not take traffic before AllowTraffic
    registers it (whether AWS attaches them to the green ASG later is UNCONFIRMED; see settings).
    """
    kwargs = {
        "AutoScalingGroupName": name,
        "MinSize": min(source["MinSize"], capacity),
        "MaxSize": max(source["MaxSize"], capacity),
        "DesiredCapacity": capacity,
    }
    for key in _COPIED:
        if source.get(key) not in (None, "", []):
            kwargs[key] = source[key]
    if source.get("LaunchTemplate"):
        lt = source["LaunchTemplate"]
        kwargs["LaunchTemplate"] = {"LaunchTemplateId": lt["LaunchTemplateId"], "Version": lt.get("Version", "$Default")}
    elif source.get("MixedInstancesPolicy"):
        kwargs["MixedInstancesPolicy"] = source["MixedInstancesPolicy"]
    elif source.get("LaunchConfigurationName"):
        kwargs["LaunchConfigurationName"] = source["LaunchConfigurationName"]
    if source.get("VPCZoneIdentifier"):
        kwargs["VPCZoneIdentifier"] = source["VPCZoneIdentifier"]
    else:
        kwargs["AvailabilityZones"] = source.get("AvailabilityZones") or []
    tags = [{"Key": t["Key"], "Value": t.get("Value", ""), "PropagateAtLaunch": t.get("PropagateAtLaunch", False)}
            for t in source.get("Tags", []) if not t["Key"].startswith("aws:")]
    if tags:
        kwargs["Tags"] = tags
    autoscaling.create_auto_scaling_group(**kwargs)


def wait_in_service(autoscaling, name: str, capacity: int, real_timeout: float,
                    stopped: Callable[[], bool]) -> list[str]:
    deadline = time.monotonic() + real_timeout
    delay = 0.02
    seen: list[str] = []
    while True:
        group = describe(autoscaling, name)
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


def delete_group(autoscaling, name: str) -> None:
    """ForceDelete (terminates its instances); a group that is already gone is fine."""
    try:
        autoscaling.delete_auto_scaling_group(AutoScalingGroupName=name, ForceDelete=True)
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        if "not found" not in message.lower() and exc.response.get("Error", {}).get("Code") != "ValidationError":
            raise


def put_hook(autoscaling, asg: str, hook: str) -> bool:
    """CodeDeploy's launch lifecycle hook on a group's ASG (what GetDeploymentGroup reports)."""
    try:
        autoscaling.put_lifecycle_hook(LifecycleHookName=hook, AutoScalingGroupName=asg,
                                       LifecycleTransition="autoscaling:EC2_INSTANCE_LAUNCHING",
                                       HeartbeatTimeout=600, DefaultResult="ABANDON")
        return True
    except ClientError:
        return False


def remove_hook(autoscaling, asg: str, hook: str) -> bool:
    try:
        if describe(autoscaling, asg) is None:
            return False
        autoscaling.delete_lifecycle_hook(LifecycleHookName=hook, AutoScalingGroupName=asg)
        return True
    except ClientError:
        return False
