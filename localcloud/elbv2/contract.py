"""Elastic Load Balancing v2's door: target groups and their targets in moto's ELBv2 backend.

The fleet's patches to moto's target groups (fleet/moto_hooks.py: real health checks, draining,
unknown instances refused) apply, since these are the same model methods the API calls.

Actions and resources (Service Authorization Reference): DescribeTargetGroups and
DescribeTargetHealth take no resource ("*"); RegisterTargets and DeregisterTargets act on the
target group's ARN.
"""
from __future__ import annotations

from dataclasses import dataclass

from localcloud.elbv2 import exceptions
from localcloud.elbv2.exceptions import TargetGroupNotFound
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

_ERRORS = errors_of(exceptions)


@dataclass(frozen=True)
class TargetGroupInfo:
    name: str
    arn: str
    port: int | None
    protocol: str | None
    target_type: str
    vpc_id: str | None
    load_balancer_arns: list[str]


@dataclass(frozen=True)
class TargetDescription:
    """A target as RegisterTargets/DeregisterTargets/DescribeTargetHealth name it (AWS's
    TargetDescription shape)."""

    id: str
    port: int | None = None     # the target group's port when left out


@dataclass(frozen=True)
class TargetHealth:
    id: str
    port: int | None
    state: str                  # initial | healthy | unhealthy | unused | draining | unavailable
    reason: str | None = None
    description: str | None = None


class ELBv2Contract(MotoContract):
    action_prefix = "elasticloadbalancing"

    def _backend(self, region: str | None):
        from moto.elbv2.models import elbv2_backends

        return elbv2_backends[self.account_id][self._region(region)]

    def _backend_of(self, arn: str):
        from moto.elbv2.models import elbv2_backends

        parts = arn.split(":")
        if len(parts) < 6:
            raise TargetGroupNotFound("One or more target groups not found")
        return elbv2_backends[parts[4]][parts[3]]

    def target_group(self, principal: Principal, arn: str) -> TargetGroupInfo:
        self._authorize(principal, "DescribeTargetGroups", "*")
        group = self._backend_of(arn).target_groups.get(arn)
        if group is None:
            raise TargetGroupNotFound("One or more target groups not found")
        return _info(group)

    def target_group_by_name(self, principal: Principal, name: str, region: str | None = None) -> TargetGroupInfo:
        self._authorize(principal, "DescribeTargetGroups", "*")
        with moto_errors(_ERRORS):
            found = list(self._backend(region).describe_target_groups(load_balancer_arn=None, target_group_arns=[],
                                                                      names=[name]))
        if not found:
            raise TargetGroupNotFound("One or more target groups not found")
        return _info(found[0])

    def register_targets(self, principal: Principal, target_group_arn: str, targets: list[TargetDescription]) -> None:
        self._authorize(principal, "RegisterTargets", target_group_arn)
        with moto_errors(_ERRORS):
            self._backend_of(target_group_arn).register_targets(target_group_arn, _wire(targets))

    def deregister_targets(self, principal: Principal, target_group_arn: str, targets: list[TargetDescription]) -> None:
        """InvalidTarget when a target is not registered (as AWS answers it)."""
        self._authorize(principal, "DeregisterTargets", target_group_arn)
        with moto_errors(_ERRORS):
            self._backend_of(target_group_arn).deregister_targets(target_group_arn, _wire(targets))

    def target_health(self, principal: Principal, target_group_arn: str,
                      targets: list[TargetDescription] | None = None) -> list[TargetHealth]:
        """Every target listed by the group (draining ones included) or just `targets`."""
        self._authorize(principal, "DescribeTargetHealth", "*")
        with moto_errors(_ERRORS):
            found = self._backend_of(target_group_arn).describe_target_health(target_group_arn, _wire(targets or []))
        return [TargetHealth(h.instance_id, _port(h.port), h.status, h.reason, h.description) for h in found]


def _wire(targets: list[TargetDescription]) -> list[dict]:
    return [{"Id": t.id, **({"Port": t.port} if t.port is not None else {})} for t in targets]


def _port(value) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _info(group) -> TargetGroupInfo:
    return TargetGroupInfo(name=group.name, arn=group.arn, port=_port(group.port), protocol=group.protocol,
                           target_type=group.target_type, vpc_id=group.vpc_id,
                           load_balancer_arns=list(group.load_balancer_arns))
