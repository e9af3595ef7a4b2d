"""Instances that run: every termination path kills their processes; Auto Scaling groups keep
their target groups' registrations in step with their instances."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.fleet.conftest import wait_until

pytestmark = pytest.mark.integration


def _gone(proc) -> bool:
    return proc.poll() is not None


def test_terminate_instances_kills_processes_and_drains_the_target(kit):
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    proc = kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")

    kit.ec2.terminate_instances(InstanceIds=[instance])
    wait_until(lambda: _gone(proc), what="the instance's process to die")
    assert kit.health(alb.target_group_arn)[instance] == ("draining", "Target.DeregistrationInProgress")
    assert kit.get(alb).status_code == 503
    wait_until(lambda: instance not in kit.health(alb.target_group_arn), what="drained target gone")
    runtime = kit.cloud.provider("fleet").runtimes.runtime(instance)
    assert runtime.terminated
    with pytest.raises(RuntimeError):
        runtime.spawn(["true"])


def test_stopped_instance_runs_nothing_and_is_invalid_state(kit):
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    proc = kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")
    kit.ec2.stop_instances(InstanceIds=[instance])
    wait_until(lambda: _gone(proc), what="the stopped instance's process to die")
    assert kit.health(alb.target_group_arn)[instance] == ("unused", "Target.InvalidState")


def test_group_registers_its_instances_and_scale_out(kit):
    tg = kit.target_group()
    kit.alb(tg)
    group = kit.group(tg, desired=2)
    first = kit.group_instances(group)
    assert len(first) == 2 and set(kit.health(tg)) == set(first)
    described = kit.ec2.describe_instances(InstanceIds=first)["Reservations"]
    assert {i["State"]["Name"] for r in described for i in r["Instances"]} == {"running"}

    kit.asg.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=3)
    now = kit.group_instances(group)
    assert len(now) == 3 and set(kit.health(tg)) == set(now)
    [new] = set(now) - set(first)
    kit.serve(new)
    kit.wait_state(tg, new, "healthy")


def test_group_replaces_a_terminated_instance_and_registers_the_replacement(kit):
    tg = kit.target_group()
    kit.alb(tg)
    group = kit.group(tg, desired=2)
    victim, survivor = kit.group_instances(group)
    proc = kit.serve(victim)
    kit.ec2.terminate_instances(InstanceIds=[victim])
    wait_until(lambda: _gone(proc), what="terminated instance's process to die")
    members = kit.group_instances(group)
    assert victim not in members and survivor in members and len(members) == 2
    health = kit.health(tg)
    [replacement] = set(members) - {survivor}
    assert health[victim][0] == "draining"
    assert health[replacement][0] == "initial"


def test_scale_in_deregisters_and_kills(kit):
    tg = kit.target_group()
    kit.alb(tg)
    group = kit.group(tg, desired=2)
    procs = {i: kit.serve(i) for i in kit.group_instances(group)}
    kit.asg.set_desired_capacity(AutoScalingGroupName=group, DesiredCapacity=1)
    [kept] = kit.group_instances(group)
    [removed] = set(procs) - {kept}
    wait_until(lambda: _gone(procs[removed]), what="scaled-in instance's process to die")
    assert not _gone(procs[kept])
    assert kit.health(tg)[removed][0] == "draining"


def test_detached_instance_leaves_the_target_group_but_keeps_running(kit):
    tg = kit.target_group()
    kit.alb(tg)
    group = kit.group(tg, desired=2)
    detached, _ = kit.group_instances(group)
    proc = kit.serve(detached)
    kit.asg.detach_instances(AutoScalingGroupName=group, InstanceIds=[detached], ShouldDecrementDesiredCapacity=True)
    assert kit.health(tg)[detached][0] == "draining"
    assert not _gone(proc)


def test_group_deletion_needs_force_delete_and_kills_every_process(kit):
    tg = kit.target_group()
    kit.alb(tg)
    group = kit.group(tg, desired=2)
    procs = [kit.serve(i) for i in kit.group_instances(group)]
    with pytest.raises(ClientError) as err:
        kit.asg.delete_auto_scaling_group(AutoScalingGroupName=group)
    assert err.value.response["Error"]["Code"] == "ResourceInUse"
    assert not any(_gone(p) for p in procs)

    kit.asg.delete_auto_scaling_group(AutoScalingGroupName=group, ForceDelete=True)
    wait_until(lambda: all(_gone(p) for p in procs), what="every group instance's process to die")
    assert {state for state, _ in kit.health(tg).values()} == {"draining"}
    assert not kit.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]


def test_empty_group_deletes_without_force(kit):
    tg = kit.target_group()
    group = kit.group(tg, desired=0)
    kit.asg.delete_auto_scaling_group(AutoScalingGroupName=group)
    assert not kit.asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]


def test_attaching_and_detaching_target_groups_follows_the_group(kit):
    first, second = kit.target_group(), kit.target_group()
    kit.alb(first)
    group = kit.group(first, desired=2)
    members = set(kit.group_instances(group))
    kit.asg.attach_load_balancer_target_groups(AutoScalingGroupName=group, TargetGroupARNs=[second])
    assert set(kit.health(second)) == members
    kit.asg.detach_load_balancer_target_groups(AutoScalingGroupName=group, TargetGroupARNs=[first])
    assert {state for state, _ in kit.health(first).values()} == {"draining"}
