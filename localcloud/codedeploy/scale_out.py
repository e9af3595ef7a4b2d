"""Deployments created by Auto Scaling (creator `autoscaling`).

CodeDeploy keeps a launch lifecycle hook (`DeploymentGroup.hook_name()`) on each ASG of a group.
When the ASG launches an instance (scale-out, replacement) the instance waits in `Pending:Wait`
and CodeDeploy is told (the one in-process seam: `localcloud.fleet.lifecycle_hooks.subscribe`,
standing in for AWS's hook notification). CodeDeploy then, through the Auto Scaling API only:
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

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.codedeploy.models import Deployment, DeploymentGroup
from localcloud.fleet import lifecycle_hooks

log = logging.getLogger("localcloud.codedeploy")

HEARTBEAT_SECONDS = 300  # "sends heartbeats every five minutes"


class ScaleOut:
    def __init__(self, provider):
        self.provider = provider

    def start(self) -> None:
        lifecycle_hooks.subscribe(self.notified)

    def stop(self) -> None:
        lifecycle_hooks.unsubscribe(self.notified)

    # -- the notification ------------------------------------------------------------------------
    def notified(self, message: dict) -> None:
        """Called by Auto Scaling for every launch hook; must return at once."""
        if message.get("LifecycleTransition") != lifecycle_hooks.LAUNCHING:
            return
        if not str(message.get("LifecycleHookName", "")).startswith("CodeDeploy-managed-automatic-launch-deployment-hook-"):
            return
        threading.Thread(target=self._handle, args=(message,), daemon=True,
                         name=f"codedeploy-launch-{message.get('EC2InstanceId')}").start()

    def _group(self, message: dict) -> DeploymentGroup | None:
        backend = self.provider.backend
        if message.get("Region") not in (None, backend.region) or message.get("AccountId") not in (None, backend.account_id):
            return None
        with backend.lock:
            for group in backend.groups.values():
                if group.hook_name() == message["LifecycleHookName"] and message["AutoScalingGroupName"] in group.auto_scaling_groups:
                    return group
        return None

    def _handle(self, message: dict) -> None:
        group = self._group(message)
        if group is None:
            return  # a hook of a group that no longer exists: its heartbeat timeout decides
        instance_id = message["EC2InstanceId"]
        backend = self.provider.backend
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
                     message["AutoScalingGroupName"], instance_id, group.name)
            self._complete(message, "CONTINUE")
            return
        log.info("%s launched %s: deployment %s (creator autoscaling) of the last successful revision",
                 message["AutoScalingGroupName"], instance_id, deployment.deployment_id)
        run = self.provider.engine.start(deployment)
        scaled = self.provider.cloud.clock.scaled(HEARTBEAT_SECONDS)
        while not run.done.wait(scaled):
            self._call("record_lifecycle_action_heartbeat", message)
        self._complete(message, "CONTINUE" if deployment.status == "Succeeded" else "ABANDON")

    # -- Auto Scaling API ------------------------------------------------------------------------
    def _complete(self, message: dict, result: str) -> None:
        self._call("complete_lifecycle_action", message, LifecycleActionResult=result)

    def _call(self, operation: str, message: dict, **extra) -> None:
        try:
            getattr(self.provider.clients("autoscaling"), operation)(
                AutoScalingGroupName=message["AutoScalingGroupName"], LifecycleHookName=message["LifecycleHookName"],
                LifecycleActionToken=message["LifecycleActionToken"], InstanceId=message["EC2InstanceId"], **extra)
        except (ClientError, BotoCoreError):
            # The group or instance went away meanwhile (deleted, reset): nothing left to answer.
            log.warning("codedeploy: %s for %s failed", operation, message.get("EC2InstanceId"), exc_info=True)
