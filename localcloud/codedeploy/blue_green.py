"""Blue/green deployments: copy the group's ASG into a green one, install the revision on green,
(optionally) wait for ContinueDeployment, reroute (AllowTraffic on green, then BlockTraffic on
blue), then retire blue after the termination wait and make green the group's ASG.
"""
from __future__ import annotations

import logging

from localcloud.codedeploy import autoscaling as asg_api
from localcloud.codedeploy import rerouting
from localcloud.codedeploy.lifecycle import NO_INSTANCES_MESSAGE, Lifecycle, best_effort
from localcloud.codedeploy.models import (
    ALLOW_TRAFFIC_EVENTS, BLOCK_TRAFFIC_EVENTS, GREEN_EVENTS, GREEN_INSTALL_EVENTS, HEALTH_CONSTRAINTS_MESSAGE,
)
from localcloud.codedeploy.runs import Ended
from localcloud.exceptions import AWSError
from localcloud.iam.exceptions import AccessDeniedByPolicy

log = logging.getLogger("localcloud.codedeploy")


class BlueGreenDeployment(Lifecycle):
    def deploy(self) -> None:
        run, d = self.run, self.deployment
        autoscaling, principal, region = self.services.autoscaling, self.principal, self.region
        target_groups = self._target_groups(required=True)
        source = asg_api.describe(autoscaling, principal, d.blue_asg, region) if d.blue_asg else None
        if source is None:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION",
                        f"The deployment failed because the Auto Scaling group {d.blue_asg} of the deployment group could not be found.")
        blue_ids = asg_api.healthy_instances(source)
        if not blue_ids:
            raise Ended("Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
        blue = self._add_targets(blue_ids, "Blue", BLOCK_TRAFFIC_EVENTS)

        # Provision: record the green group on the deployment before creating it (nothing lost).
        green_name = asg_api.green_name(d.group.name, d.deployment_id)
        with self.backend.lock:
            d.green_asg = green_name
        log.info("deployment %s provisioning %s with %d instances", d.deployment_id, green_name, len(blue_ids))
        run.check()  # a stop that came first must not leave a green group behind
        try:
            asg_api.copy_group(autoscaling, principal, source, green_name, len(blue_ids), region)
            green_ids = asg_api.wait_in_service(autoscaling, principal, green_name, len(blue_ids),
                                                self.cloud.clock.scaled(self.settings.provision_timeout),
                                                lambda: run.stopped, region)
        except AccessDeniedByPolicy:
            raise  # the service role's permissions: IAM_ROLE_PERMISSIONS (engine.py)
        except (asg_api.ProvisioningFailed, AWSError) as exc:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION", f"The deployment failed while provisioning the replacement environment: {exc}") from None
        run.check()
        green = self._add_targets(green_ids, "Green", GREEN_EVENTS)
        action = self._traffic(target_groups)

        self._in_waves(green, self._step(GREEN_INSTALL_EVENTS, None, then="Ready"))
        installed = [t for t in green if t.status == "Ready"]

        self._ready_wait()

        # Reroute: green in, then blue out (CodeDeploy User Guide, "Overview of a blue/green deployment": install -> register green -> deregister blue).
        # Traffic reaches green in the configuration's batches, failing where AWS fails (rerouting.py).
        config = self.backend.configs[d.config_name]
        allow = self._step(ALLOW_TRAFFIC_EVENTS, action)
        kind = (config.minimum_healthy_hosts or {}).get("type", "HOST_COUNT")
        try:
            rerouting.reroute(installed, lambda batch: self._parallel(allow, batch), kind,
                              config.min_healthy(len(green)), check=run.check)
        except rerouting.RerouteFailed as exc:
            log.info("deployment %s: %s", d.deployment_id, exc)
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE) from None
        run.check()

        if not all(self._parallel(self._step(BLOCK_TRAFFIC_EVENTS, action), blue)):
            run.check()
            # "the overall deployment is marked as Failed if even a single original instance fails
            # to be deregistered successfully" (CodeDeploy User Guide, "Instance health")
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        run.check()

        self._retire_blue()
        with self.backend.lock:
            old = list(d.group.auto_scaling_groups)
            d.group.auto_scaling_groups = [green_name if n == d.blue_asg else n for n in old] or [green_name]
        hook = d.group.hook_name()
        best_effort(lambda: asg_api.put_hook(autoscaling, principal, green_name, hook, region))
        if self.settings.attach_target_groups_to_green:
            best_effort(lambda: autoscaling.attach_target_groups(principal, green_name, [tg.arn for tg in target_groups],
                                                                 region))

    def _ready_wait(self) -> None:
        run, d = self.run, self.deployment
        ready = (d.blue_green_config or {}).get("deploymentReadyOption") or {}
        if ready.get("actionOnTimeout") != "STOP_DEPLOYMENT":
            return
        minutes = int(ready.get("waitTimeInMinutes") or 0)
        with self.backend.lock:
            d.status = "Ready"
        log.info("deployment %s Ready: waiting up to %d min for ContinueDeployment(READY_WAIT)", d.deployment_id, minutes)
        continued = run.wait(self.cloud.clock.scaled(minutes * 60), until=run.ready_continue)
        if not continued:
            raise Ended("Stopped", "TIMEOUT",
                        f"The deployment was stopped because traffic rerouting was not started within the specified wait time ({minutes} minutes).")
        with self.backend.lock:
            d.status = "InProgress"

    def _retire_blue(self) -> None:
        run, d = self.run, self.deployment
        term = (d.blue_green_config or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
        action = term.get("action", "TERMINATE")
        if action == "KEEP_ALIVE" and not self.settings.delete_original_asg_on_keep_alive:
            return
        if action == "TERMINATE":
            minutes = int(term.get("terminationWaitTimeInMinutes") or 0)
            with self.backend.lock:
                d.termination_wait_started = True
            log.info("deployment %s waiting %d min before terminating %s", d.deployment_id, minutes, d.blue_asg)
            run.wait(self.cloud.clock.scaled(minutes * 60), until=run.skip_termination_wait)
        run.check()
        log.info("deployment %s terminating the original environment %s", d.deployment_id, d.blue_asg)
        autoscaling = self.services.autoscaling
        asg_api.remove_hook(autoscaling, self.principal, d.blue_asg, d.group.hook_name(), self.region)
        asg_api.delete_group(autoscaling, self.principal, d.blue_asg, self.region)
