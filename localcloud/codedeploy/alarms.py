"""Deployment alarm monitoring: poll the group's CloudWatch alarms (CloudWatch's door) while a deployment is active.

"If any of the specified alarms are activated, the deployment stops, and the status is updated to
Stopped" (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html). With ignorePollAlarmFailure false (the default), a
deployment also stops when the alarm state cannot be retrieved.

`watch` is the one watcher thread per deployment (engine.py starts it); `check` is one poll.
"""
from __future__ import annotations

import logging

from localcloud.cloudwatch.contract import CloudWatchContract
from localcloud.exceptions import AWSError
from localcloud.principal import Principal

log = logging.getLogger("localcloud.codedeploy")

ALARM_ACTIVE_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
    "affected deployments have been stopped. Activated alarms: {names}"
)


def effective_configuration(group_config: dict | None, override: dict | None) -> dict:
    """CreateDeployment's overrideAlarmConfiguration replaces the group's when it is given."""
    return (override if override is not None else group_config) or {}


def check(cloudwatch: CloudWatchContract, principal: Principal, config: dict, region: str | None = None) -> str | None:
    """None while the deployment may go on; otherwise the reason it must stop."""
    if not config.get("enabled"):
        return None
    names = [a["name"] for a in config.get("alarms") or [] if a.get("name")]
    if not names:
        return None
    ignore_failure = bool(config.get("ignorePollAlarmFailure"))
    try:
        found = cloudwatch.alarm_states(principal, names, region)  # metric and composite alarms
    except AWSError as exc:
        if ignore_failure:
            return None
        return f"The deployment was stopped because the state of its alarms could not be retrieved from Amazon CloudWatch: {exc}"
    active = [n for n in names if found.get(n) == "ALARM"]
    if active:
        return ALARM_ACTIVE_MESSAGE.format(names=", ".join(active))
    missing = [n for n in names if n not in found]
    if missing and not ignore_failure:
        return ("The deployment was stopped because the state of these alarms could not be retrieved from Amazon "
                f"CloudWatch: {', '.join(missing)}")
    return None


def watch(run, settings, cloudwatch: CloudWatchContract, principal: Principal, region: str | None = None) -> None:
    """Poll while `run` (a lifecycle.DeploymentRun) is not done; stop it (ALARM_ACTIVE) when an
    alarm says so. Every `alarm_poll_interval` seconds, for as long as the deployment is active,
    as `principal` (the group's service role)."""
    d = run.deployment
    while not run.done.wait(settings.alarm_poll_interval):
        if not d.active or run.stopped:
            continue
        config = effective_configuration(d.group.config.get("alarmConfiguration"), d.override_alarm_configuration)
        if not config.get("enabled"):
            continue
        reason = check(cloudwatch, principal, config, region)
        if reason:
            log.info("deployment %s: %s", d.deployment_id, reason)
            run.request_stop("ALARM_ACTIVE", reason)
