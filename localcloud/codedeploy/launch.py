"""Launch deployments (creator `autoscaling`, created by scale_out.py): the group's last successful
revision installed on the one instance Auto Scaling launched and holds in Pending:Wait.

Blue/green group: the replacement install events only; the instance takes traffic when Auto
Scaling puts it InService after CONTINUE and registers it with the ASG's target groups (so never
before it is installed, and the ALB only routes to it once healthy). In-place group: the in-place
events, AllowTraffic registering it when the group has traffic control.
"""
from __future__ import annotations

from localcloud.codedeploy.lifecycle import Lifecycle
from localcloud.codedeploy.models import GREEN_INSTALL_EVENTS, HEALTH_CONSTRAINTS_MESSAGE, IN_PLACE_EVENTS
from localcloud.codedeploy.runs import Ended


class LaunchDeployment(Lifecycle):
    def deploy(self) -> None:
        d = self.deployment
        if d.style.get("deploymentType") == "BLUE_GREEN":
            # instanceLabel Green for a blue/green group's launch deployment: UNCONFIRMED.
            events, label, action = GREEN_INSTALL_EVENTS, "Green", None
        else:
            events, label, action = IN_PLACE_EVENTS, None, self._in_place_traffic()
        [target] = self._add_targets([d.launched_instance], label, events)
        if not self._run_events(target, events, action):
            self.run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        self._set_status([target], "Succeeded")
