"""What serves: Auto Scaling groups, their instances, and the target group's view of them."""
from __future__ import annotations


class Fleet:
    def __init__(self, autoscaling, ec2, elbv2):
        self.autoscaling = autoscaling
        self.ec2 = ec2
        self.elbv2 = elbv2

    def group(self, name: str) -> dict | None:
        found = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
        return found[0] if found else None

    def instance_ids(self, group_name: str) -> list[str]:
        group = self.group(group_name)
        return [i["InstanceId"] for i in (group or {}).get("Instances", [])]

    def instance_states(self, instance_ids: list[str]) -> dict[str, str]:
        """instance id -> EC2 state name ("running", "terminated", ...); unknown ids are absent."""
        if not instance_ids:
            return {}
        states: dict[str, str] = {}
        kwargs = {"Filters": [{"Name": "instance-id", "Values": list(instance_ids)}]}
        while True:
            page = self.ec2.describe_instances(**kwargs)
            for reservation in page["Reservations"]:
                for instance in reservation["Instances"]:
                    states[instance["InstanceId"]] = instance["State"]["Name"]
            if not page.get("NextToken"):
                return states
            kwargs["NextToken"] = page["NextToken"]

    def target_health(self, target_group_arn: str) -> dict[str, str]:
        """instance id -> target state ("healthy", "initial", "draining", "unhealthy", ...)."""
        found = self.elbv2.describe_target_health(TargetGroupArn=target_group_arn)["TargetHealthDescriptions"]
        return {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in found}
