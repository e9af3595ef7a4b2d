"""The environment against the session's localcloud (real HTTP, boto3): a set-up failing at any
chosen step leaves nothing; the leak check catches what is planted with the prefix; resources
already present are refused before anything is created; teardown is idempotent."""
import itertools
import os

import pytest

from capstone import evidence, leaks
from capstone.builders import ORDER
from capstone.builders.names import Names
from capstone.environment import AlreadyPresent, Environment, InjectedFailure, teardown
from capstone.sweep import execute, plan, parse_age
from capstone.target import Target

pytestmark = pytest.mark.integration
_seq = itertools.count()


@pytest.fixture
def target(localcloud, tmp_path, monkeypatch):
    monkeypatch.setenv("CAPSTONE_REPORTS_DIR", str(tmp_path))
    return Target("local", localcloud.region, localcloud.url)


def _prefix(tag: str) -> str:
    return f"t{os.getpid() % 1000}-{tag}{next(_seq)}"


@pytest.mark.parametrize("step", ["repository", "fleet", "pipeline"])
def test_setup_failing_at_a_chosen_step_leaves_nothing(target, monkeypatch, step):
    monkeypatch.setenv("CAPSTONE_FAIL_AT", step)
    prefix = _prefix("fail")
    lines = []
    with pytest.raises(InjectedFailure):
        Environment.up(target, prefix=prefix, run_id=f"run-{prefix}", progress=lines.append)
    report = leaks.find(target, prefix)
    assert report.ok, report.summary()
    created_before = [m.NAME for m in ORDER][:[m.NAME for m in ORDER].index(step)]
    assert any(f"created {created_before[-1]}" in line for line in lines)
    assert any("teardown:" in line for line in lines)


def test_baseline_failure_tears_down_everything(target, monkeypatch):
    monkeypatch.setenv("CAPSTONE_FAIL_AT", "baseline")
    prefix = _prefix("base")
    with pytest.raises(InjectedFailure):
        Environment.up(target, prefix=prefix, run_id=f"run-{prefix}", progress=lambda _: None)
    assert leaks.find(target, prefix).ok
    # before teardown, the roles' grants (and what their sessions used) went into the evidence
    [entry] = [e for e in evidence.snapshot()["run"].get("least_privilege", []) if e["prefix"] == prefix]
    assert entry["recorded"] and entry["errors"] == [] and isinstance(entry["since"], int)
    assert len(entry["roles"]) == 5 and all(r["granted"] and isinstance(r["used"], list) for r in entry["roles"])


def test_unknown_failure_step_is_refused_before_anything(target, monkeypatch):
    monkeypatch.setenv("CAPSTONE_FAIL_AT", "nosuchstep")
    with pytest.raises(Exception, match="names no step"):
        Environment.up(target, prefix=_prefix("bad"), run_id="run-bad", progress=lambda _: None)


def test_leak_check_catches_planted_resources_and_sweep_removes_them(target):
    prefix = _prefix("leak")
    s3, autoscaling, ec2 = target.client("s3"), target.client("autoscaling"), target.client("ec2")
    s3.create_bucket(Bucket=f"{prefix}-planted")
    s3.put_object(Bucket=f"{prefix}-planted", Key="a", Body=b"x")
    target.client("logs").create_log_group(logGroupName=f"/aws/codebuild/{prefix}-demo-build")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.create_launch_template(LaunchTemplateName=f"{prefix}-lt", LaunchTemplateData={"ImageId": image, "InstanceType": "t3.micro"})
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:1]
    green = f"CodeDeploy_{prefix}-cap-dg_d-PLANTED01"
    autoscaling.create_auto_scaling_group(AutoScalingGroupName=green, MinSize=0, MaxSize=1, DesiredCapacity=0,
                                          LaunchTemplate={"LaunchTemplateName": f"{prefix}-lt"}, AvailabilityZones=zones)
    codeartifact = target.client("codeartifact")
    codeartifact.create_domain(domain=f"{prefix}-planted")
    codeartifact.create_repository(domain=f"{prefix}-planted", repository=f"{prefix}-internal")
    s3.create_bucket(Bucket=f"{prefix}x-not-ours")  # a longer prefix is someone else's

    report = leaks.find(target, prefix)
    found = {(f.type, f.name) for f in report.leaks}
    assert {("s3:bucket", f"{prefix}-planted"), ("autoscaling:group", green),
            ("logs:log-group", f"/aws/codebuild/{prefix}-demo-build"),
            ("ec2:launch-template", f"{prefix}-lt"), ("codeartifact:domain", f"{prefix}-planted"),
            ("codeartifact:repository", f"{prefix}-internal")} <= found
    assert ("s3:bucket", f"{prefix}x-not-ours") not in found
    assert not report.ok and green in report.summary()

    sweep = plan(target, prefix, parse_age("0s"))
    assert execute(target, sweep, progress=lambda _: None) == []
    assert leaks.find(target, prefix).ok
    s3.delete_bucket(Bucket=f"{prefix}x-not-ours")


def test_resources_already_present_are_refused_before_anything_is_created(target):
    prefix = _prefix("dup")
    target.client("s3").create_bucket(Bucket=f"{prefix}-leftover")
    try:
        with pytest.raises(AlreadyPresent, match=f"capstone sweep --prefix {prefix}"):
            Environment.up(target, prefix=prefix, run_id=f"run-{prefix}", progress=lambda _: None)
        assert [f.name for f in leaks.find(target, prefix).leaks] == [f"{prefix}-leftover"]
    finally:
        target.client("s3").delete_bucket(Bucket=f"{prefix}-leftover")


def test_teardown_is_idempotent_and_survives_resources_deleted_behind_its_back(target):
    prefix = _prefix("idem")
    env = Environment.up(target, prefix=prefix, run_id=f"run-{prefix}", baseline=False, progress=lambda _: None)
    try:
        # someone else got there first
        target.client("cloudwatch").delete_alarms(AlarmNames=[env.names.alarm])
        target.client("ssm").delete_parameter(Name=env.names.ssm_parameter)
        target.client("iam").delete_role_policy(RoleName=env.names.events_role, PolicyName=f"{env.names.events_role}-policy")
        first = env.teardown()
        assert first.errors == []
        for entry in env.ledger.resources:
            entry["deleted_at"] = None  # replay the whole ledger again
        second = teardown(env.ctx)
        assert second.errors == []
    finally:
        env.down()
    assert leaks.find(target, prefix).ok
    assert len(leaks.COVERED_TYPES) >= 20


def test_teardown_in_the_middle_of_a_blue_green_deployment_leaves_nothing(target):
    from capstone.drivers.approve import Approver
    from capstone.drivers.watch import PipelineWatcher, stage_is

    prefix = _prefix("mid")
    env = Environment.up(target, prefix=prefix, run_id=f"run-{prefix}", baseline=False, progress=lambda _: None)
    try:
        cp = target.client("codepipeline")
        watcher = PipelineWatcher.for_commit(cp, env.names.pipeline, env.ctx.outputs["initial_commit"], 60,
                                             log=lambda _: None)
        Approver(cp, env.names.pipeline, log=lambda _: None).approve(watcher, "deploy, then pull the plug", 60)
        watcher.wait_for(stage_is("DeployBlueGreen", "InProgress"), 60, what="the deployment to start")
    finally:
        report = env.down()
    assert report.ok, report.summary()
    assert not [g for g in leaks.find(target, prefix).leaks if g.type == "autoscaling:group"]
