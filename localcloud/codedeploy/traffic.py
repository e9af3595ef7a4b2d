"""AllowTraffic / BlockTraffic: what CodeDeploy does at the load balancer, through elbv2's API only.

AllowTraffic registers an instance in every target group of the deployment group and waits until
DescribeTargetHealth says `healthy`; BlockTraffic deregisters it and waits until it has drained
(no longer listed, or `unused`). Both waits are AWS waits, scaled by the localcloud clock.
"""
from __future__ import annotations

import time
from typing import Callable

from botocore.exceptions import ClientError

from localcloud.codedeploy.agent import LifecycleFailure


class TargetGroupsMissing(Exception):
    pass


def resolve_target_groups(elbv2, load_balancer_info: dict | None) -> list[dict]:
    """[{name, arn, port}] for the group's targetGroupInfoList; raises TargetGroupsMissing."""
    names = [tg["name"] for tg in (load_balancer_info or {}).get("targetGroupInfoList") or [] if tg.get("name")]
    found = []
    for name in names:
        try:
            tg = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0]
        except (ClientError, IndexError):
            raise TargetGroupsMissing(f"The target group {name} could not be found") from None
        found.append({"name": name, "arn": tg["TargetGroupArn"], "port": tg.get("Port")})
    return found


def _state(elbv2, tg_arn: str, instance_id: str) -> tuple[str | None, str]:
    """(state, reason) of one target; state None when the target group does not list it."""
    try:
        descs = elbv2.describe_target_health(TargetGroupArn=tg_arn, Targets=[{"Id": instance_id}])["TargetHealthDescriptions"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("InvalidTarget", "InvalidTargetException"):
            return None, "Target.InvalidState"
        raise
    for desc in descs:
        if desc["Target"]["Id"] == instance_id:
            health = desc.get("TargetHealth", {})
            return health.get("State"), health.get("Reason") or ""
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


def allow_traffic(elbv2, clock, target_groups: list[dict], instance_id: str, timeout_seconds: float,
                  stopped: Callable[[], bool]) -> dict:
    for tg in target_groups:
        elbv2.register_targets(TargetGroupArn=tg["arn"], Targets=[{"Id": instance_id}])
    last = {}

    def healthy() -> bool:
        for tg in target_groups:
            state, reason = _state(elbv2, tg["arn"], instance_id)
            last[tg["name"]] = f"{state or 'not registered'}{' (' + reason + ')' if reason else ''}"
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


def block_traffic(elbv2, clock, target_groups: list[dict], instance_id: str, timeout_seconds: float,
                  stopped: Callable[[], bool]) -> dict:
    for tg in target_groups:
        try:
            elbv2.deregister_targets(TargetGroupArn=tg["arn"], Targets=[{"Id": instance_id}])
        except ClientError as exc:
            # Not registered (or already terminated): nothing to block.
            if exc.response.get("Error", {}).get("Code") not in ("InvalidTarget", "InvalidTargetException"):
                raise

    def drained() -> bool:
        return all(_state(elbv2, tg["arn"], instance_id)[0] in (None, "unused") for tg in target_groups)

    # Deregistration is not abandoned on a stop: traffic must not go to an instance half-removed.
    if not _poll(drained, clock.scaled(timeout_seconds), lambda: False):
        raise LifecycleFailure("UnknownError", f"Instance {instance_id} did not finish draining from its target groups within {int(timeout_seconds)} seconds.")
    return {"errorCode": "Success", "scriptName": "", "message": "Succeeded", "logTail": ""}
