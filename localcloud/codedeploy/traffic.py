"""AllowTraffic / BlockTraffic: what CodeDeploy does at the load balancer, through ELBv2's door only
(as the group's service role).

AllowTraffic registers an instance in every target group of the deployment group and waits until
DescribeTargetHealth says `healthy`; BlockTraffic deregisters it and waits until it has drained
(no longer listed, or `unused`). Both waits are AWS waits, scaled by the localcloud clock.
"""
from __future__ import annotations

import time
from typing import Callable

from localcloud.codedeploy.agent import LifecycleFailure
from localcloud.elbv2.contract import ELBv2Contract, TargetDescription, TargetGroupInfo
from localcloud.elbv2.exceptions import InvalidTarget, TargetGroupNotFound
from localcloud.principal import Principal


class TargetGroupsMissing(Exception):
    pass


def resolve_target_groups(elbv2: ELBv2Contract, principal: Principal, load_balancer_info: dict | None,
                          region: str | None = None) -> list[TargetGroupInfo]:
    """The target groups of the group's targetGroupInfoList; raises TargetGroupsMissing."""
    names = [tg["name"] for tg in (load_balancer_info or {}).get("targetGroupInfoList") or [] if tg.get("name")]
    found = []
    for name in names:
        try:
            found.append(elbv2.target_group_by_name(principal, name, region))
        except TargetGroupNotFound:
            raise TargetGroupsMissing(f"The target group {name} could not be found") from None
    return found


def _state(elbv2: ELBv2Contract, principal: Principal, tg_arn: str, instance_id: str) -> tuple[str | None, str]:
    """(state, reason) of one target; state None when the target group does not list it."""
    try:
        descs = elbv2.target_health(principal, tg_arn, [TargetDescription(instance_id)])
    except InvalidTarget:
        return None, "Target.InvalidState"
    for desc in descs:
        if desc.id == instance_id:
            return desc.state, desc.reason or ""
    return None, ""


def _poll(until: Callable[[], bool], real_timeout: float, stopped: Callable[[], bool]) -> bool:
    """Adaptive polling: short first, backing off to 0.5 s; False on timeout or stop."""
    deadline = time.monotonic() + real_timeout
    delay = 0.02
    while True:
        if until():
            return True
        if stopped() or time.monotonic() >= deadline:
            return False
        time.sleep(min(delay, max(deadline - time.monotonic(), 0)))
        delay = min(delay * 1.6, 0.5)


def allow_traffic(elbv2: ELBv2Contract, principal: Principal, clock, target_groups: list[TargetGroupInfo],
                  instance_id: str, timeout_seconds: float, stopped: Callable[[], bool]) -> dict:
    for tg in target_groups:
        elbv2.register_targets(principal, tg.arn, [TargetDescription(instance_id)])
    last = {}

    def healthy() -> bool:
        for tg in target_groups:
            state, reason = _state(elbv2, principal, tg.arn, instance_id)
            last[tg.name] = f"{state or 'not registered'}{' (' + reason + ')' if reason else ''}"
            if state != "healthy":
                return False
        return True

    if not _poll(healthy, clock.scaled(timeout_seconds), stopped):
        if stopped():
            raise LifecycleFailure("UnknownError", "The deployment was stopped while waiting for the instance to become healthy.")
        states = ", ".join(f"{k}: {v}" for k, v in last.items())
        raise LifecycleFailure(
            "UnknownError",
            f"Instance {instance_id} did not become healthy in its target groups within {int(timeout_seconds)} seconds "
            f"(last state {states}). Check the target group health check settings and the application.",
        )
    return {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}


def block_traffic(elbv2: ELBv2Contract, principal: Principal, clock, target_groups: list[TargetGroupInfo],
                  instance_id: str, timeout_seconds: float, stopped: Callable[[], bool]) -> dict:
    for tg in target_groups:
        try:
            elbv2.deregister_targets(principal, tg.arn, [TargetDescription(instance_id)])
        except InvalidTarget:
            pass  # not registered (or already terminated): nothing to block

    def drained() -> bool:
        return all(_state(elbv2, principal, tg.arn, instance_id)[0] in (None, "unused") for tg in target_groups)

    # Deregistration is not abandoned on a stop: traffic must not go to an instance half-removed.
    if not _poll(drained, clock.scaled(timeout_seconds), lambda: False):
        raise LifecycleFailure("UnknownError", f"Instance {instance_id} did not finish draining from its target groups within {int(timeout_seconds)} seconds.")
    return {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}
