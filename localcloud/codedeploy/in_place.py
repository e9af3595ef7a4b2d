"""In-place deployments: every instance of the group (its ASGs' healthy instances and the
instances its EC2 tag filters match) runs all in-place events, in waves that keep the deployment
config's minimum healthy hosts; with traffic control, BlockTraffic/AllowTraffic take the instance
out of and back into the group's target groups.
"""
from __future__ import annotations

from localcloud.codedeploy import autoscaling as asg_api
from localcloud.codedeploy.lifecycle import NO_INSTANCES_MESSAGE, Lifecycle
from localcloud.codedeploy.models import IN_PLACE_EVENTS
from localcloud.codedeploy.runs import Ended


class InPlaceDeployment(Lifecycle):
    def deploy(self) -> None:
        action = self._in_place_traffic()
        instance_ids = self._instances()
        if not instance_ids:
            raise Ended("Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
        targets = self._add_targets(instance_ids, None, IN_PLACE_EVENTS)
        self._in_waves(targets, self._step(IN_PLACE_EVENTS, action))

    def _instances(self) -> list[str]:
        d = self.deployment
        ids: set[str] = set()
        for name in d.group.auto_scaling_groups:
            group = asg_api.describe(self.services.autoscaling, self.principal, name, self.region)
            if group is not None:
                ids.update(asg_api.healthy_instances(group))
        # each filter is one DescribeInstances (an instance matching any of them is deployed to)
        for f in d.group.config.get("ec2TagFilters") or []:
            kind, key, value = f.get("Type", "KEY_AND_VALUE"), f.get("Key"), f.get("Value")
            query = {"instance-state-name": ["running"]}
            if kind == "KEY_ONLY":
                query["tag-key"] = [key]
            elif kind == "VALUE_ONLY":
                query["tag-value"] = [value]
            else:
                query[f"tag:{key}"] = [value]
            ids.update(i.instance_id for i in self.services.ec2.describe_instances(self.principal, query, region=self.region))
        return sorted(ids)
