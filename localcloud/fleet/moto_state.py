"""Read-only lookups into moto's in-process state (load balancers, target groups, instances).

moto mutates its dicts from request threads while our health checker and proxy read them, so
every iteration works on a copy and tolerates "changed size during iteration" by retrying.
"""
from __future__ import annotations

from typing import Any, Iterator


def _arn_parts(arn: str) -> tuple[str, str]:
    """(account, region) of an ARN."""
    parts = arn.split(":", 5)
    return parts[4], parts[3]


def _snapshot(mapping) -> list:
    for _ in range(5):
        try:
            return list(mapping.items())
        except RuntimeError:  # resized by a concurrent request
            continue
    return []


def elbv2_backends() -> Iterator[Any]:
    from moto.elbv2.models import elbv2_backends as backends

    for _account, per_region in _snapshot(backends):
        for _region, backend in _snapshot(per_region):
            yield backend


def elbv2_backend(arn: str):
    from moto.elbv2.models import elbv2_backends as backends

    account, region = _arn_parts(arn)
    return backends[account][region]


def target_group(arn: str):
    try:
        return elbv2_backend(arn).target_groups.get(arn)
    except (KeyError, IndexError):
        return None


def load_balancer_by_dns(host: str):
    """The load balancer whose DNSName is `host` (case-insensitive), or None."""
    for backend in elbv2_backends():
        for _arn, lb in _snapshot(backend.load_balancers):
            if lb.dns_name.lower() == host:
                return lb
    return None


def load_balancer(arn: str):
    try:
        return elbv2_backend(arn).load_balancers.get(arn)
    except (KeyError, IndexError):
        return None


def target_group_in_use(arn: str) -> bool:
    """Whether any listener rule of any load balancer forwards to this target group."""
    backend = elbv2_backend(arn)
    for _ in range(5):
        try:
            return backend._any_listener_using(arn)
        except RuntimeError:
            continue
    return False


def target_groups_with(account: str, region: str, target_id: str) -> list:
    from moto.elbv2.models import elbv2_backends as backends

    if account not in backends or region not in backends[account]:
        return []
    return [tg for _arn, tg in _snapshot(backends[account][region].target_groups) if target_id in tg.targets]


def _find_instance(instance_id: str):
    """(Region, moto instance) of the EC2 instance `instance_id` (any account), or (None, None)."""
    from moto.ec2.models import ec2_backends

    for _account, per_region in _snapshot(ec2_backends):
        for region, backend in _snapshot(per_region):
            for reservation in list(getattr(backend, "reservations", {}).values()):
                for instance in reservation.instances:
                    if instance.id == instance_id:
                        return region, instance
    return None, None


def instance_region(instance_id: str) -> str | None:
    """The Region of the EC2 instance `instance_id` (any account), or None."""
    return _find_instance(instance_id)[0]


def instance_type(instance_id: str) -> str | None:
    """The instance type (t3.micro...) of the EC2 instance `instance_id`, or None."""
    instance = _find_instance(instance_id)[1]
    return getattr(instance, "instance_type", None) if instance is not None else None
