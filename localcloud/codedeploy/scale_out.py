"""Deployments created by Auto Scaling (creator `autoscaling`).

CodeDeploy keeps a launch lifecycle hook (`DeploymentGroup.hook_name()`) on each ASG of a group.
When the ASG launches an instance (scale-out, replacement) the instance waits in `Pending:Wait`
and CodeDeploy is told (Auto Scaling's door: `subscribe_lifecycle_notifications`, standing in for
AWS's hook notification). CodeDeploy then, through Auto Scaling's door only, as the deployment
group's service role:
- group never deployed successfully: nothing to install, CompleteLifecycleAction CONTINUE;
- otherwise: a new deployment of the group's LAST SUCCESSFUL revision to just that instance,
  heartbeats every 5 (AWS) minutes while it runs (https://docs.aws.amazon.com/codedeploy/latest/userguide/integrations-aws-auto-scaling.html),
  then CONTINUE when it Succeeded, ABANDON otherwise (Auto Scaling terminates the instance).

Not done (documented): `outdatedInstancesStrategy` UPDATE's follow-on CodeDeployAutoUpdate
deployment for instances launched while a deployment runs; they keep the last successful revision
(IGNORE's behaviour).
"""
from __future__ import annotations

import logging
import threading

from localcloud.autoscaling.contract import LAUNCHING, LifecycleNotification
from localcloud.codedeploy import principals
from localcloud.codedeploy.models import Deployment, DeploymentGroup
from localcloud.exceptions import AWSError

log = logging.getLogger("localcloud.codedeploy")

HEARTBEAT_SECONDS = 300  # "sends heartbeats every five minutes"


class ScaleOut:
    def __init__(self, provider):
        self.provider = provider

    @property
    def _autoscaling(self):
        return self.provider.cloud.services.autoscaling

    def start(self) -> None:
        self._autoscaling.subscribe_lifecycle_notifications(principals.CODEDEPLOY, self.notified)

    def stop(self) -> None:
        self._autoscaling.unsubscribe_lifecycle_notifications(principals.CODEDEPLOY, self.notified)

    # -- the notification ------------------------------------------------------------------------
    def notified(self, message: LifecycleNotification) -> None:
        """Called by Auto Scaling for every launch hook; must return at once."""
        if message.lifecycle_transition != LAUNCHING:
            return
        if not message.hook_name.startswith("CodeDeploy-managed-automatic-launch-deployment-hook-"):
            return
        threading.Thread(target=self._handle, args=(message,), daemon=True,
                         name=f"codedeploy-launch-{message.instance_id}").start()

    def _group(self, message: LifecycleNotification) -> DeploymentGroup | None:
        # the groups of the ASG's Region (a hook name is unique to a group, not across Regions)
        backend = self.provider.regions.region(message.region)
        if message.account_id not in (None, backend.account_id):
            return None
        with backend.lock:
            for group in backend.groups.values():
                if group.hook_name() == message.hook_name and message.group_name in group.auto_scaling_groups:
                    return group
        return None

    def _handle(self, message: LifecycleNotification) -> None:
        group = self._group(message)
        if group is None:
            return  # a hook of a group that no longer exists: its heartbeat timeout decides
        instance_id = message.instance_id
        principal = principals.service_role(group.service_role_arn)
        backend = self.provider.regions.region(group.region)
        with backend.lock:
            last = backend.last_successful_deployment(group)
            if last is None:
                deployment = None
            else:
                deployment = Deployment(
                    deployment_id=backend.new_deployment_id(), application=group.application, group=group,
                    config_name=group.config.get("deploymentConfigName") or "CodeDeployDefault.OneAtATime",
                    revision=last.revision, creator="autoscaling", create_time=backend.now(),
                    previous_revision=last.revision, auto_rollback=group.config.get("autoRollbackConfiguration"),
                    style=group.deployment_style,
                    blue_green_config=group.config.get("blueGreenDeploymentConfiguration") if group.is_blue_green else None,
                    load_balancer_info=group.config.get("loadBalancerInfo"), launched_instance=instance_id,
                )
                backend.deployments[deployment.deployment_id] = deployment
                group.last_attempted = deployment.brief()
        if deployment is None:
            log.info("%s launched %s: group %s has no successful deployment, nothing to install",
                     message.group_name, instance_id, group.name)
            self._complete(principal, message, "CONTINUE")
            return
        log.info("%s launched %s: deployment %s (creator autoscaling) of the last successful revision",
                 message.group_name, instance_id, deployment.deployment_id)
        run = self.provider.engine.start(deployment)
        scaled = self.provider.cloud.clock.scaled(HEARTBEAT_SECONDS)
        while not run.done.wait(scaled):
            self._call("record_lifecycle_action_heartbeat", message,
                       lambda: self._autoscaling.record_lifecycle_action_heartbeat(
                           principal, message.group_name, message.hook_name, token=message.token,
                           instance_id=message.instance_id, region=message.region))
        self._complete(principal, message, "CONTINUE" if deployment.status == "Succeeded" else "ABANDON")

    # -- Auto Scaling's door ---------------------------------------------------------------------
    def _complete(self, principal, message: LifecycleNotification, result: str) -> None:
        self._call("complete_lifecycle_action", message,
                   lambda: self._autoscaling.complete_lifecycle_action(
                       principal, message.group_name, message.hook_name, result, token=message.token,
                       instance_id=message.instance_id, region=message.region))

    @staticmethod
    def _call(operation: str, message: LifecycleNotification, call) -> None:
        try:
            call()
        except AWSError:
            # The group or instance went away meanwhile (deleted, reset): nothing left to answer.
            log.warning("codedeploy: %s for %s failed", operation, message.instance_id, exc_info=True)
