"""Automatic rollback: whether a deployment that ended Failed/Stopped is rolled back, the rollback
deployment itself (creator `codeDeployRollback`, the last successful revision), and the blue/green
kind of it (an in-place rollback is an in-place deployment of the old revision).
"""
from __future__ import annotations

import logging

from localcloud.codedeploy import autoscaling as asg_api
from localcloud.codedeploy.lifecycle import Lifecycle
from localcloud.codedeploy.models import (
    ALLOW_TRAFFIC_EVENTS, BLOCK_TRAFFIC_EVENTS, HEALTH_CONSTRAINTS_MESSAGE, CodeDeployBackend, Deployment, RollbackInfo,
)
from localcloud.codedeploy.runs import DeploymentRun, Ended

log = logging.getLogger("localcloud.codedeploy")


def wanted(run: DeploymentRun) -> bool:
    """Whether the deployment's autoRollbackConfiguration asks for a rollback of how it ended."""
    d = run.deployment
    cfg = d.auto_rollback or {}
    events = set(cfg.get("events") or []) if cfg.get("enabled") else set()
    if d.status == "Failed":
        return "DEPLOYMENT_FAILURE" in events
    if d.status == "Stopped" and run.stop is not None:
        code, _, explicit = run.stop
        if code == "ALARM_ACTIVE":
            return "DEPLOYMENT_STOP_ON_ALARM" in events
        if code == "MANUAL_STOP":
            return explicit if explicit is not None else "DEPLOYMENT_STOP_ON_REQUEST" in events
    return False


def create(backend: CodeDeployBackend, d: Deployment) -> Deployment | None:
    """A new deployment (creator codeDeployRollback) of the last successful revision. Caller holds the lock."""
    last = backend.last_successful_deployment(d.group)
    if last is None:
        # UNCONFIRMED wording; AWS has nothing to roll back to.
        d.rollback_info = RollbackInfo(message="Automatic rollback was not performed because there is no last "
                                               "successful deployment of this deployment group to roll back to.")
        return None
    rb = Deployment(
        deployment_id=backend.new_deployment_id(), application=d.application, group=d.group,
        config_name=d.config_name, revision=last.revision, creator="codeDeployRollback",
        create_time=backend.now(), previous_revision=d.revision,
        ignore_application_stop_failures=d.ignore_application_stop_failures, auto_rollback=d.auto_rollback,
        file_exists_behavior=d.file_exists_behavior, style=dict(d.style),
        blue_green_config=d.blue_green_config, load_balancer_info=d.load_balancer_info,
        blue_asg=d.blue_asg, rolls_back=d,
        rollback_info=RollbackInfo(triggering_deployment_id=d.deployment_id),
    )
    backend.deployments[rb.deployment_id] = rb
    d.rollback_info = RollbackInfo(
        rollback_deployment_id=rb.deployment_id,
        message=f"Deployment {d.deployment_id} is being rolled back by deployment {rb.deployment_id}.")
    d.group.last_attempted = rb.brief()
    return rb


def succeeded(backend: CodeDeployBackend, rb: Deployment) -> None:
    """A rollback deployment succeeded: the deployment it rolled back says so."""
    with backend.lock:
        orig = rb.rolls_back
        if orig.rollback_info is not None:
            orig.rollback_info.message = f"Rollback deployment {rb.deployment_id} succeeded."


class BlueGreenRollback(Lifecycle):
    """Blue gets AllowTraffic, green gets BlockTraffic; nothing is reinstalled; green goes away."""

    def deploy(self) -> None:
        run, d = self.run, self.deployment
        orig = d.rolls_back
        target_groups = self._target_groups(required=True)
        blue_ids = [t.instance_id for t in orig.targets.values() if t.label == "Blue"]
        green_ids = [t.instance_id for t in orig.targets.values() if t.label == "Green"]
        autoscaling = self.services.autoscaling
        source = asg_api.describe(autoscaling, self.principal, orig.blue_asg, self.region) if orig.blue_asg else None
        if source is None or not blue_ids:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION",
                        f"The rollback failed because the original environment ({orig.blue_asg}) no longer exists.")
        blue = self._add_targets(blue_ids, "Blue", ALLOW_TRAFFIC_EVENTS)
        green = self._add_targets(green_ids, "Green", BLOCK_TRAFFIC_EVENTS)
        action = self._traffic(target_groups)

        if not all(self._parallel(self._step(ALLOW_TRAFFIC_EVENTS, action), blue)):
            run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        results = self._parallel(self._step(BLOCK_TRAFFIC_EVENTS, action), green)
        if orig.green_asg:
            log.info("rollback %s removing the replacement environment %s", d.deployment_id, orig.green_asg)
            asg_api.delete_group(autoscaling, self.principal, orig.green_asg, self.region)
        if not all(results):
            run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
