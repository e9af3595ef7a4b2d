"""Auto Scaling, EC2, ELBv2 and CloudWatch doors, on the fleet's network (instances are real)."""
import time

import pytest

from localcloud.autoscaling.contract import LaunchTemplateRef, LifecycleNotification, Tag
from localcloud.autoscaling.exceptions import ResourceInUse, ValidationError
from localcloud.ec2.exceptions import InvalidInstanceIDNotFound
from localcloud.elbv2.contract import TargetDescription
from localcloud.elbv2.exceptions import InvalidTarget, TargetGroupNotFound
from tests.localcloud.contracts.conftest import ACCOUNT, CALLER, decisions, unique
from tests.localcloud.fleet.conftest import kit, network  # noqa: F401  (the fleet's fixtures)

LAUNCHING = "autoscaling:EC2_INSTANCE_LAUNCHING"


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_describe_and_copy_a_group(kit, doors, authorizer):
    tg = kit.target_group()
    name = kit.group(tg, desired=1)
    kit.asg.create_or_update_tags(Tags=[{"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": "team",
                                         "Value": "a", "PropagateAtLaunch": True}])
    group = doors.autoscaling.describe_group(CALLER, name)
    assert (group.name, group.min_size, group.max_size, group.desired_capacity) == (name, 0, 4, 1)
    assert group.arn.startswith(f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:") and group.arn.endswith(name)
    assert group.target_group_arns == [tg] and group.vpc_zone_identifier == ",".join(kit.network.subnets)
    assert group.launch_template.launch_template_name == kit.network.launch_template
    assert [i.lifecycle_state for i in group.instances] == ["InService"] and len(group.healthy_in_service()) == 1
    assert Tag("team", "a", True) in group.tags
    assert doors.autoscaling.describe_group(CALLER, "no-such-group") is None

    green = unique("green")
    copy = doors.autoscaling.create_group(
        CALLER, green, min_size=0, max_size=2, desired_capacity=2,
        launch_template=LaunchTemplateRef(group.launch_template.launch_template_id, None, "$Latest"),
        vpc_zone_identifier=group.vpc_zone_identifier, health_check_type=group.health_check_type,
        tags=[t for t in group.tags if not t.key.startswith("aws:")])
    assert copy.target_group_arns == [] and len(copy.instances) == 2
    described = kit.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[green])["AutoScalingGroups"][0]
    assert described["DesiredCapacity"] == 2 and {"Key": "team", "Value": "a"}.items() <= described["Tags"][0].items()

    doors.autoscaling.attach_target_groups(CALLER, green, [tg])
    assert kit.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[green])["AutoScalingGroups"][0]["TargetGroupARNs"] == [tg]
    with pytest.raises(ResourceInUse):
        doors.autoscaling.delete_group(CALLER, green)
    doors.autoscaling.delete_group(CALLER, green, force=True)
    assert kit.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[green])["AutoScalingGroups"] == []
    with pytest.raises(ValidationError):
        doors.autoscaling.delete_group(CALLER, green, force=True)
    seen = [(a, r) for _, a, r in decisions(authorizer)]
    assert seen[0] == ("autoscaling:DescribeAutoScalingGroups", "*")
    assert seen[2] == ("autoscaling:CreateAutoScalingGroup",
                       f"arn:aws:autoscaling:us-east-1:{ACCOUNT}:autoScalingGroup:*:autoScalingGroupName/{green}")
    assert seen[3] == ("autoscaling:AttachLoadBalancerTargetGroups", copy.arn)
    assert seen[4] == ("autoscaling:DeleteAutoScalingGroup", copy.arn)


def test_lifecycle_hooks_and_actions(kit, doors, authorizer):
    name = kit.group(kit.target_group(), desired=0)
    hook = unique("door-launch-hook")
    doors.autoscaling.put_lifecycle_hook(CALLER, name, hook, LAUNCHING, heartbeat_timeout=600, default_result="ABANDON")
    [info] = doors.autoscaling.describe_lifecycle_hooks(CALLER, name)
    assert (info.name, info.lifecycle_transition, info.heartbeat_timeout, info.default_result) == (hook, LAUNCHING, 600, "ABANDON")
    with pytest.raises(ValidationError):
        doors.autoscaling.put_lifecycle_hook(CALLER, "no-such-group", hook, LAUNCHING)

    notified = []
    listener = lambda message: notified.append(message) if message.hook_name == hook else None  # noqa: E731
    doors.autoscaling.subscribe_lifecycle_notifications(CALLER, listener)
    try:
        doors.autoscaling.set_desired_capacity(CALLER, name, 1)
        [message] = wait_for(lambda: notified)
    finally:
        doors.autoscaling.unsubscribe_lifecycle_notifications(CALLER, listener)
    assert isinstance(message, LifecycleNotification)
    assert (message.group_name, message.lifecycle_transition, message.account_id) == (name, LAUNCHING, ACCOUNT)
    instance_id = message.instance_id
    assert [i.lifecycle_state for i in doors.autoscaling.describe_group(CALLER, name).instances] == ["Pending:Wait"]
    doors.autoscaling.record_lifecycle_action_heartbeat(CALLER, name, hook, token=message.token)
    doors.autoscaling.complete_lifecycle_action(CALLER, name, hook, "CONTINUE", instance_id=instance_id)
    assert doors.autoscaling.describe_group(CALLER, name).healthy_in_service() == [instance_id]
    with pytest.raises(ValidationError):
        doors.autoscaling.complete_lifecycle_action(CALLER, name, hook, "CONTINUE", instance_id=instance_id)

    doors.autoscaling.delete_lifecycle_hook(CALLER, name, hook)
    assert doors.autoscaling.describe_lifecycle_hooks(CALLER, name) == []
    actions = [a for _, a, _ in decisions(authorizer)]
    for expected in ("autoscaling:PutLifecycleHook", "autoscaling:DescribeLifecycleHooks", "autoscaling:SetDesiredCapacity",
                     "autoscaling:RecordLifecycleActionHeartbeat", "autoscaling:CompleteLifecycleAction",
                     "autoscaling:DeleteLifecycleHook"):
        assert expected in actions


def test_instances_by_filter_and_id(kit, doors, authorizer):
    ids = kit.instances(2)
    value = unique("door")
    kit.ec2.create_tags(Resources=[ids[0]], Tags=[{"Key": "door", "Value": value}])
    [found] = doors.ec2.describe_instances(CALLER, {"instance-state-name": ["running"], f"tag:door": [value]})
    assert (found.instance_id, found.state, found.tags) == (ids[0], "running", {"door": value})
    assert found.private_ip and found.subnet_id == kit.network.subnets[0]
    assert [i.instance_id for i in doors.ec2.describe_instances(CALLER, {"tag-key": ["door"], "tag-value": [value]})] == [ids[0]]
    assert doors.ec2.instance(CALLER, ids[1]).tags == {}
    with pytest.raises(InvalidInstanceIDNotFound):
        doors.ec2.instance(CALLER, "i-0123456789abcdef0")
    assert {(a, r) for _, a, r in decisions(authorizer)} == {("ec2:DescribeInstances", "*")}


def test_targets(kit, doors, authorizer):
    tg_arn = kit.target_group()
    [instance_id] = kit.instances(1)
    by_name = doors.elbv2.target_group_by_name(CALLER, tg_arn.split("/")[-2])
    tg = doors.elbv2.target_group(CALLER, tg_arn)
    assert by_name == tg and (tg.arn, tg.port, tg.protocol, tg.target_type) == (tg_arn, 80, "HTTP", "instance")
    doors.elbv2.register_targets(CALLER, tg_arn, [TargetDescription(instance_id)])
    [health] = doors.elbv2.target_health(CALLER, tg_arn, [TargetDescription(instance_id)])
    # no load balancer forwards to this group yet, so the fleet reports what AWS reports
    assert (health.id, health.port, health.state, health.reason) == (instance_id, 80, "unused", "Target.NotInUse")
    with pytest.raises(InvalidTarget):
        doors.elbv2.register_targets(CALLER, tg_arn, [TargetDescription("i-0123456789abcdef0")])
    doors.elbv2.deregister_targets(CALLER, tg_arn, [TargetDescription(instance_id)])
    assert doors.elbv2.target_health(CALLER, tg_arn, [TargetDescription(instance_id)])[0].state in ("draining", "unused")
    with pytest.raises(TargetGroupNotFound):
        doors.elbv2.target_group(CALLER, tg_arn + "0")
    seen = [(a, r) for _, a, r in decisions(authorizer)]
    assert ("elasticloadbalancing:RegisterTargets", tg_arn) in seen
    assert ("elasticloadbalancing:DeregisterTargets", tg_arn) in seen
    assert ("elasticloadbalancing:DescribeTargetHealth", "*") in seen


def test_alarm_states(aws, doors, authorizer):
    cw = aws("cloudwatch")
    name = unique("door-alarm")
    cw.put_metric_alarm(AlarmName=name, MetricName="Errors", Namespace="Door", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    assert doors.cloudwatch.alarm_states(CALLER, [name, "no-such-alarm"]) == {name: "INSUFFICIENT_DATA"}
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="test")
    alarm = doors.cloudwatch.alarms(CALLER, [name])[name]
    assert (alarm.state, alarm.reason, alarm.composite) == ("ALARM", "test", False)
    assert decisions(authorizer)[:2] == [
        (CALLER.arn, "cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:{name}"),
        (CALLER.arn, "cloudwatch:DescribeAlarms", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:no-such-alarm"),
    ]
