"""Patches to moto's ec2, autoscaling and elbv2 *models* so the fleet sees every path.

Patching the models (not the HTTP responses) means an instance terminated by the API, by an
Auto Scaling scale-in, by a group deletion or by another provider calling the backend directly
all reach the same hook, and moto's own serializers keep answering the API.

What moto 5.2.1 does not do and these patches add:
- terminating/stopping an instance does not touch the processes we run for it;
- a terminated instance is left `draining` in its target groups forever (no delay, no end);
- replacement instances (after a TerminateInstances in a group) are never registered with the
  group's target groups, and DetachInstances leaves the detached instances registered;
- every registered target is reported `healthy`;
- RegisterTargets accepts instance ids that do not exist;
- DeleteAutoScalingGroup ignores ForceDelete and deletes a group that still has instances.

moto keeps one global state per process, so the hooks talk to one listener: the fleet
provider of the LocalCloud running in this process.
"""
from __future__ import annotations

import logging
from typing import Any, Protocol

from localcloud.moto_patch import wrap_method

log = logging.getLogger("localcloud.fleet")


class FleetListener(Protocol):
    def instance_terminated(self, instance: Any) -> None: ...
    def instance_stopped(self, instance: Any) -> None: ...
    def targets_registered(self, target_group: Any, targets: list[dict]) -> None: ...
    def targets_deregistered(self, target_group: Any, targets: list[dict]) -> None: ...
    def target_health(self, target_group: Any, target_id: str) -> tuple[str, str | None, str | None] | None: ...
    def draining_targets(self, target_group: Any) -> list[dict]: ...
    def target_group_deleted(self, target_group_arn: str) -> None: ...


_listener: FleetListener | None = None
_installed = False


def install(listener: FleetListener) -> None:
    global _listener
    _listener = listener
    _patch_once()


def uninstall(listener: FleetListener) -> None:
    global _listener
    if _listener is listener:
        _listener = None


def _notify(method: str, *args) -> Any:
    listener = _listener
    if listener is None:
        return None
    try:
        return getattr(listener, method)(*args)
    except Exception:  # a fleet bug must not turn a moto call into a 500
        log.exception("fleet hook %s failed", method)
        return None


def _patch_once() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _patch_ec2()
    _patch_elbv2()
    _patch_autoscaling()


# -- EC2 -----------------------------------------------------------------------------------------
def _patch_ec2() -> None:
    from moto.ec2.models.instances import Instance

    def terminate(original, self, *args, **kwargs):
        was_terminated = self._state.name == "terminated"
        result = original(self, *args, **kwargs)
        if not was_terminated:
            _notify("instance_terminated", self)
        return result

    def stop(original, self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        _notify("instance_stopped", self)
        return result

    wrap_method(Instance, "terminate", terminate, tag="fleet")
    wrap_method(Instance, "stop", stop, tag="fleet")


# -- ELBv2 ---------------------------------------------------------------------------------------
def _patch_elbv2() -> None:
    from moto.elbv2.exceptions import InvalidTargetError
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

    def register(original, self, targets, *args, **kwargs):
        if self.target_type == "instance":
            for target in targets:
                # AWS refuses an instance id it does not know; moto registers it anyway.
                if self.ec2_backend.get_instance_by_id(target["Id"]) is None:
                    raise InvalidTargetError()
        new = [dict(t) for t in targets if t["Id"] not in self.targets]
        result = original(self, targets, *args, **kwargs)
        registered = [self.targets[t["Id"]] for t in new if t["Id"] in self.targets]
        if registered:
            _notify("targets_registered", self, [dict(t) for t in registered])
        return result

    def deregister(original, self, targets, *args, **kwargs):
        removed = [dict(self.targets[t["Id"]]) for t in targets if t["Id"] in self.targets]
        result = original(self, targets, *args, **kwargs)
        if removed:
            _notify("targets_deregistered", self, removed)
        return result

    def health_for(original, self, target, ec2_backend, *args, **kwargs):
        registered = self.targets.get(target["Id"])
        if registered is not None and registered["Id"].startswith("i-"):
            instance = ec2_backend.get_instance_by_id(registered["Id"])
            if instance is not None and instance.state in ("stopped", "terminated"):
                return FakeHealthStatus(registered["Id"], registered["Port"], self.health_check_port,
                                        "unused", "Target.InvalidState", f"Target is in the {instance.state} state")
        state = _notify("target_health", self, target["Id"])
        if state is None:
            return original(self, target, ec2_backend, *args, **kwargs)
        value, reason, description = state
        port = registered["Port"] if registered else target.get("Port", self.port)
        return FakeHealthStatus(target["Id"], port, self.health_check_port, value, reason, description)

    def describe_target_health(original, self, target_group_arn, targets, *args, **kwargs):
        if not targets:
            target_group = self.target_groups.get(target_group_arn)
            if target_group is not None:
                # AWS lists draining targets until their deregistration delay ends.
                draining = _notify("draining_targets", target_group) or []
                listed = list(target_group.targets.values())
                listed += [t for t in draining if t["Id"] not in target_group.targets]
                return [target_group.health_for(t, self.ec2_backend) for t in listed]
        return original(self, target_group_arn, targets, *args, **kwargs)

    def delete_target_group(original, self, target_group_arn, *args, **kwargs):
        result = original(self, target_group_arn, *args, **kwargs)
        _notify("target_group_deleted", target_group_arn)
        return result

    wrap_method(FakeTargetGroup, "register", register, tag="fleet")
    wrap_method(FakeTargetGroup, "deregister", deregister, tag="fleet")
    wrap_method(FakeTargetGroup, "health_for", health_for, tag="fleet")
    wrap_method(ELBv2Backend, "describe_target_health", describe_target_health, tag="fleet")
    wrap_method(ELBv2Backend, "delete_target_group", delete_target_group, tag="fleet")


# -- Auto Scaling --------------------------------------------------------------------------------
def _patch_autoscaling() -> None:
    from moto.autoscaling.exceptions import AutoscalingClientError
    from moto.autoscaling.models import AutoScalingBackend, FakeAutoScalingGroup
    from moto.autoscaling.responses import AutoScalingResponse

    class ResourceInUseFault(AutoscalingClientError):
        code = "ResourceInUse"

    def replace_instances(original, self, *args, **kwargs):
        result = original(self, *args, **kwargs)
        backend = self.autoscaling_backend
        # Replacements launched after a TerminateInstances join the group's target groups, as
        # on AWS; during CreateAutoScalingGroup the group is not stored yet and create does it.
        if backend.autoscaling_groups.get(self.name) is self:
            backend.update_attached_target_groups(self.name)
        return result

    def detach_instances(original, self, group_name, instance_ids, *args, **kwargs):
        group = self.autoscaling_groups.get(group_name)
        if group is not None:
            _deregister_from_group_target_groups(self, group, instance_ids)
        return original(self, group_name, instance_ids, *args, **kwargs)

    def delete_group_api(original, self, *args, **kwargs):
        name = self._get_param("AutoScalingGroupName")
        force = str(self._get_param("ForceDelete", False)).lower() == "true"
        group = self.autoscaling_backend.autoscaling_groups.get(name)
        if group is not None and group.instance_states and not force:
            raise ResourceInUseFault(
                "You cannot delete an AutoScalingGroup while there are instances or pending Spot "
                "instance request(s) still in the group."
            )
        return original(self, *args, **kwargs)

    wrap_method(FakeAutoScalingGroup, "replace_autoscaling_group_instances", replace_instances, tag="fleet")
    wrap_method(AutoScalingBackend, "detach_instances", detach_instances, tag="fleet")
    wrap_method(AutoScalingResponse, "delete_auto_scaling_group", delete_group_api, tag="fleet")


def _deregister_from_group_target_groups(backend, group, instance_ids: list[str]) -> None:
    """DetachInstances takes the instances out of the group's target groups (AWS does; moto not)."""
    for arn in list(group.target_group_arns):
        target_group = backend.elbv2_backend.target_groups.get(arn)
        if target_group is None:
            continue
        registered = [{"Id": i} for i in instance_ids if i in target_group.targets]
        if registered:
            target_group.deregister(registered)
