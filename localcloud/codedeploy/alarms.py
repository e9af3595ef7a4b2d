"""Deployment alarm monitoring: poll the group's CloudWatch alarms while a deployment is active.

"If any of the specified alarms are activated, the deployment stops, and the status is updated to
Stopped" (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html). With ignorePollAlarmFailure false (the default), a
deployment also stops when the alarm state cannot be retrieved.

`watch` is the one watcher thread per deployment (engine.py starts it); `check` is one poll.
"""
from __future__ import annotations

import logging
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger("localcloud.codedeploy")

ALARM_ACTIVE_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
    "affected deployments have been stopped. Activated alarms: {names}"
)


def effective_configuration(group_config: dict | None, override: dict | None) -> dict:
    """CreateDeployment's overrideAlarmConfiguration replaces the group's when it is given."""
    return (override if override is not None else group_config) or {}


def check(cloudwatch, config: dict) -> str | None:
    """None while the deployment may go on; otherwise the reason it must stop."""
    if not config.get("enabled"):
        return None
    names = [a["name"] for a in config.get("alarms") or [] if a.get("name")]
    if not names:
        return None
    ignore_failure = bool(config.get("ignorePollAlarmFailure"))
    try:
        resp = cloudwatch.describe_alarms(AlarmNames=names, AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    except (ClientError, BotoCoreError) as exc:
        if ignore_failure:
            return None
        return f"The deployment was stopped because the state of its alarms could not be retrieved from Amazon CloudWatch: {exc}"
    found = {a["AlarmName"]: a.get("StateValue") for a in resp.get("MetricAlarms", []) + resp.get("CompositeAlarms", [])}
    active = [n for n in names if found.get(n) == "ALARM"]
    if active:
        return ALARM_ACTIVE_MESSAGE.format(names=", ".join(active))
    missing = [n for n in names if n not in found]
    if missing and not ignore_failure:
        return ("The deployment was stopped because the state of these alarms could not be retrieved from Amazon "
                f"CloudWatch: {', '.join(missing)}")
    return None


def watch(run, settings, clients: Callable) -> None:
    """Poll while `run` (a lifecycle.DeploymentRun) is not done; stop it (ALARM_ACTIVE) when an
    alarm says so. Every `alarm_poll_interval` seconds, for as long as the deployment is active."""
    d = run.deployment
    cloudwatch = None
    while not run.done.wait(settings.alarm_poll_interval):
        if not d.active or run.stopped:
            continue
        config = effective_configuration(d.group.config.get("alarmConfiguration"), d.override_alarm_configuration)
        if not config.get("enabled"):
            continue
        cloudwatch = cloudwatch or clients("cloudwatch")
        reason = check(cloudwatch, config)
        if reason:
            log.info("deployment %s: %s", d.deployment_id, reason)
            run.request_stop("ALARM_ACTIVE", reason)
