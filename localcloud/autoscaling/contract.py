"""Auto Scaling's door: groups and lifecycle hooks in moto's Auto Scaling backend.

Calls go to the backend's model methods, so the fleet's patches (instances that run, target
group registration of replacements) and the launch lifecycle hooks (lifecycle_hooks.py) apply.

Actions and resources (Service Authorization Reference): the Describe* actions take no
resource ("*"); the others act on the group's ARN,
`arn:aws:autoscaling:REGION:ACCOUNT:autoScalingGroup:UUID:autoScalingGroupName/NAME` (with `*`
for the UUID of a group that does not exist yet).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Callable

from localcloud.autoscaling import exceptions, lifecycle_hooks
from localcloud.autoscaling.exceptions import ResourceInUse, ValidationError
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

_ERRORS = errors_of(exceptions)


@dataclass(frozen=True)
class LaunchTemplateRef:
    launch_template_id: str
    launch_template_name: str | None
    version: str | None         # as given at creation ("$Default" when it was left out)


@dataclass(frozen=True)
class Tag:
    key: str
    value: str
    propagate_at_launch: bool = False


@dataclass(frozen=True)
class GroupInstance:
    instance_id: str
    lifecycle_state: str        # Pending:Wait | InService | Terminating | ...
    health_status: str          # Healthy | Unhealthy
    availability_zone: str | None = None


@dataclass(frozen=True)
class GroupInfo:
    name: str
    arn: str
    min_size: int
    max_size: int
    desired_capacity: int
    launch_template: LaunchTemplateRef | None = None
    launch_configuration_name: str | None = None
    mixed_instances_policy: dict | None = None
    vpc_zone_identifier: str | None = None
    availability_zones: list[str] = field(default_factory=list)
    target_group_arns: list[str] = field(default_factory=list)
    instances: list[GroupInstance] = field(default_factory=list)
    health_check_type: str = "EC2"
    health_check_grace_period: int | None = None
    default_cooldown: int | None = None
    termination_policies: list[str] = field(default_factory=list)
    new_instances_protected_from_scale_in: bool = False
    capacity_rebalance: bool = False
    placement_group: str | None = None
    tags: list[Tag] = field(default_factory=list)

    def healthy_in_service(self) -> list[str]:
        """Ids of the instances that are InService and Healthy, sorted."""
        return sorted(i.instance_id for i in self.instances
                      if i.lifecycle_state == "InService" and i.health_status == "Healthy")


@dataclass(frozen=True)
class LifecycleHookInfo:
    name: str
    group_name: str
    lifecycle_transition: str
    heartbeat_timeout: int
    default_result: str


@dataclass(frozen=True)
class LifecycleNotification:
    """What Auto Scaling tells a lifecycle hook's recipient (the fields of AWS's notification
    message) when an instance starts waiting on the hook."""
    group_name: str
    hook_name: str
    instance_id: str
    token: str                  # LifecycleActionToken
    lifecycle_transition: str   # autoscaling:EC2_INSTANCE_LAUNCHING
    account_id: str | None
    region: str | None


LAUNCHING = lifecycle_hooks.LAUNCHING


class AutoScalingContract(MotoContract):
    action_prefix = "autoscaling"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._subscriptions: dict[Callable, Callable[[dict], None]] = {}
        self._subscriptions_lock = threading.Lock()

    def _backend(self, region: str | None):
        from moto.autoscaling.models import autoscaling_backends

        return autoscaling_backends[self.account_id][self._region(region)]

    def _group_arn(self, name: str, region: str | None) -> str:
        group = self._backend(region).autoscaling_groups.get(name)
        if group is not None:
            return group.arn
        return f"arn:aws:autoscaling:{self._region(region)}:{self.account_id}:autoScalingGroup:*:autoScalingGroupName/{name}"

    def _existing(self, name: str, region: str | None):
        group = self._backend(region).autoscaling_groups.get(name)
        if group is None:
            raise ValidationError(f"AutoScalingGroup name not found - AutoScalingGroup '{name}' not found")
        return group

    # -- groups ----------------------------------------------------------------------------------
    def describe_group(self, principal: Principal, name: str, region: str | None = None) -> GroupInfo | None:
        """The group, or None when there is none of that name (DescribeAutoScalingGroups
        answers an empty list, not an error)."""
        self._authorize(principal, "DescribeAutoScalingGroups", "*")
        group = self._backend(region).autoscaling_groups.get(name)
        return _info(group) if group is not None else None

    def create_group(self, principal: Principal, name: str, *, min_size: int, max_size: int, desired_capacity: int,
                     launch_template: LaunchTemplateRef | None = None, launch_configuration_name: str | None = None,
                     mixed_instances_policy: dict | None = None, vpc_zone_identifier: str | None = None,
                     availability_zones: list[str] | None = None, target_group_arns: list[str] | None = None,
                     health_check_type: str | None = None, health_check_grace_period: int | None = None,
                     default_cooldown: int | None = None, termination_policies: list[str] | None = None,
                     new_instances_protected_from_scale_in: bool = False, capacity_rebalance: bool = False,
                     placement_group: str | None = None, tags: list[Tag] | None = None,
                     region: str | None = None) -> GroupInfo:
        """CreateAutoScalingGroup: exactly one of launch_template, launch_configuration_name or
        mixed_instances_policy; subnets (vpc_zone_identifier) or availability_zones."""
        self._authorize(principal, "CreateAutoScalingGroup", self._group_arn(name, region))
        backend = self._backend(region)
        if name in backend.autoscaling_groups:
            raise exceptions.AlreadyExists(f"AutoScalingGroup by this name already exists - A group with the name {name} already exists")
        template = None
        if launch_template is not None:
            template = {"LaunchTemplateId": launch_template.launch_template_id, "Version": launch_template.version or "$Default"}
        with moto_errors(_ERRORS):
            group = backend.create_auto_scaling_group(
                name=name, availability_zones=list(availability_zones or []), desired_capacity=desired_capacity,
                max_size=max_size, min_size=min_size, launch_config_name=launch_configuration_name,
                launch_template=template or {}, mixed_instances_policy=mixed_instances_policy,
                vpc_zone_identifier=vpc_zone_identifier, default_cooldown=default_cooldown,
                health_check_period=health_check_grace_period, health_check_type=health_check_type,
                load_balancers=[], target_group_arns=list(target_group_arns or []), placement_group=placement_group,
                termination_policies=list(termination_policies or []),
                tags=[{"Key": t.key, "Value": t.value, "PropagateAtLaunch": t.propagate_at_launch} for t in tags or []],
                capacity_rebalance=capacity_rebalance,
                new_instances_protected_from_scale_in=new_instances_protected_from_scale_in,
            )
        return _info(group)

    def delete_group(self, principal: Principal, name: str, force: bool = False, region: str | None = None) -> None:
        """DeleteAutoScalingGroup; with force its instances are terminated, without it a group
        that still has instances is ResourceInUse (as AWS refuses it)."""
        self._authorize(principal, "DeleteAutoScalingGroup", self._group_arn(name, region))
        group = self._existing(name, region)
        if group.instance_states and not force:
            raise ResourceInUse("You cannot delete an AutoScalingGroup while there are instances or pending Spot "
                                "instance request(s) still in the group.")
        with moto_errors(_ERRORS):
            self._backend(region).delete_auto_scaling_group(name)

    def set_desired_capacity(self, principal: Principal, name: str, desired_capacity: int,
                             region: str | None = None) -> None:
        self._authorize(principal, "SetDesiredCapacity", self._group_arn(name, region))
        group = self._existing(name, region)
        if not group.min_size <= desired_capacity <= group.max_size:
            raise ValidationError(f"New SetDesiredCapacity value {desired_capacity} is below min value "
                                  f"{group.min_size} for the AutoScalingGroup." if desired_capacity < group.min_size else
                                  f"New SetDesiredCapacity value {desired_capacity} is above max value "
                                  f"{group.max_size} for the AutoScalingGroup.")
        with moto_errors(_ERRORS):
            self._backend(region).set_desired_capacity(name, desired_capacity)

    def attach_target_groups(self, principal: Principal, name: str, target_group_arns: list[str],
                             region: str | None = None) -> None:
        """AttachLoadBalancerTargetGroups: the group's InService instances are registered."""
        self._authorize(principal, "AttachLoadBalancerTargetGroups", self._group_arn(name, region))
        self._existing(name, region)
        with moto_errors(_ERRORS):
            self._backend(region).attach_load_balancer_target_groups(name, list(target_group_arns))

    # -- lifecycle hooks -------------------------------------------------------------------------
    def subscribe_lifecycle_notifications(self, principal: Principal,
                                          fn: Callable[[LifecycleNotification], None]) -> None:
        """Call `fn` for every instance that starts waiting on a lifecycle hook, in any group
        (AWS's hook notification; for the hook CodeDeploy manages, CodeDeploy is the recipient).
        `fn` must return at once. Nothing is authorized: receiving a notification is no AWS API
        call (Auto Scaling sends it with the hook's own configuration)."""
        def deliver(message: dict) -> None:
            fn(LifecycleNotification(
                group_name=message["AutoScalingGroupName"], hook_name=message["LifecycleHookName"],
                instance_id=message["EC2InstanceId"], token=message["LifecycleActionToken"],
                lifecycle_transition=message["LifecycleTransition"], account_id=message.get("AccountId"),
                region=message.get("Region")))
        with self._subscriptions_lock:
            if fn in self._subscriptions:
                return
            self._subscriptions[fn] = deliver
        lifecycle_hooks.subscribe(deliver)

    def unsubscribe_lifecycle_notifications(self, principal: Principal,
                                            fn: Callable[[LifecycleNotification], None]) -> None:
        with self._subscriptions_lock:
            deliver = self._subscriptions.pop(fn, None)
        if deliver is not None:
            lifecycle_hooks.unsubscribe(deliver)

    def put_lifecycle_hook(self, principal: Principal, group_name: str, hook_name: str, lifecycle_transition: str,
                           heartbeat_timeout: int = 3600, default_result: str = "ABANDON",
                           region: str | None = None) -> None:
        self._authorize(principal, "PutLifecycleHook", self._group_arn(group_name, region))
        self._existing(group_name, region)
        with moto_errors(_ERRORS):
            self._backend(region).create_lifecycle_hook(name=hook_name, as_name=group_name, transition=lifecycle_transition,
                                                        timeout=heartbeat_timeout, result=default_result)

    def delete_lifecycle_hook(self, principal: Principal, group_name: str, hook_name: str,
                              region: str | None = None) -> None:
        self._authorize(principal, "DeleteLifecycleHook", self._group_arn(group_name, region))
        self._existing(group_name, region)
        if f"{group_name}_{hook_name}" not in self._backend(region).lifecycle_hooks:
            raise ValidationError(f"No Lifecycle Hook found with name {hook_name} for group {group_name}")
        self._backend(region).delete_lifecycle_hook(group_name, hook_name)

    def describe_lifecycle_hooks(self, principal: Principal, group_name: str,
                                 region: str | None = None) -> list[LifecycleHookInfo]:
        self._authorize(principal, "DescribeLifecycleHooks", "*")
        self._existing(group_name, region)
        return [LifecycleHookInfo(h.name, h.auto_scaling_group_name, h.lifecycle_transition, int(h.heartbeat_timeout),
                                  h.default_result)
                for h in self._backend(region).describe_lifecycle_hooks(group_name)]

    def complete_lifecycle_action(self, principal: Principal, group_name: str, hook_name: str, result: str,
                                  token: str | None = None, instance_id: str | None = None,
                                  region: str | None = None) -> None:
        """CONTINUE or ABANDON the action an instance waits on (named by token or instance id)."""
        self._authorize(principal, "CompleteLifecycleAction", self._group_arn(group_name, region))
        with moto_errors(_ERRORS):
            lifecycle_hooks.complete_lifecycle_action(group_name, hook_name, token, instance_id, result)

    def record_lifecycle_action_heartbeat(self, principal: Principal, group_name: str, hook_name: str,
                                          token: str | None = None, instance_id: str | None = None,
                                          region: str | None = None) -> None:
        self._authorize(principal, "RecordLifecycleActionHeartbeat", self._group_arn(group_name, region))
        with moto_errors(_ERRORS):
            lifecycle_hooks.record_lifecycle_action_heartbeat(group_name, hook_name, token, instance_id)


def _info(group) -> GroupInfo:
    template = group.launch_template
    states = list(group.instance_states)
    return GroupInfo(
        name=group.name, arn=group.arn, min_size=group.min_size, max_size=group.max_size,
        desired_capacity=group.desired_capacity,
        launch_template=LaunchTemplateRef(template["LaunchTemplateId"], template.get("LaunchTemplateName"),
                                          template.get("Version")) if template and not group.mixed_instances_policy else None,
        launch_configuration_name=group.launch_config.name if group.launch_config is not None else None,
        mixed_instances_policy=group.mixed_instances_policy,
        vpc_zone_identifier=group.vpc_zone_identifier or None,
        availability_zones=list(group.availability_zones or []),
        target_group_arns=list(group.target_group_arns or []),
        instances=[GroupInstance(s.instance.id, s.lifecycle_state, s.health_status, s.availability_zone) for s in states],
        health_check_type=group.health_check_type, health_check_grace_period=group.health_check_grace_period,
        default_cooldown=group.default_cooldown, termination_policies=list(group.termination_policies or []),
        new_instances_protected_from_scale_in=bool(group.new_instances_protected_from_scale_in),
        capacity_rebalance=bool(group.capacity_rebalance), placement_group=group.placement_group,
        tags=[Tag(t["Key"], t.get("Value", ""), bool(t.get("PropagateAtLaunch"))) for t in group.tags],
    )
