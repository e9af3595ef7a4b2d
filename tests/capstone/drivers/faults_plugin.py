"""Fault injection for the e2e scenarios: break what a scenario checks and watch it go red.

Not collected as tests. Load it into an offline e2e run (the embedded localcloud runs in the
pytest process, so its behaviour can be patched for one session):

    CAPSTONE_FAULT=no_rollback PYTHONPATH=tests/capstone/drivers \\
        .venv/bin/pytest -m e2e -p faults_plugin scenarios/test_unhealthy_green_hook_rolls_back.py

Faults (each breaks one promise of the pipeline; the scenario that checks it must fail):
    no_rollback       CodeDeploy never rolls back           -> scenarios 3, 4, 5: "rollback did not happen";
                      scenario 8 (verify --allow-changes) fails ACT-06
    keep_blue         blue is never terminated after success -> scenario 1: blue group still exists
    no_termination_wait blue is terminated as soon as traffic left it -> scenario 1: the wait was not observed
    downtime          the ALB answers 502 to 1 request in 20 -> scenario 1: "zero-downtime violated";
                      scenario 8 (verify --allow-changes) fails ACT-03
    gate_open         failing build commands are ignored     -> scenarios 2, 9: "the gate did not block";
                      scenario 8 (verify --allow-changes) fails ACT-05
    reject_approves   a rejection is taken as an approval    -> scenario 6: "approval was not honoured"
    no_supersede      waiting executions are never overtaken -> scenario 7: timed out waiting for Superseded
    alarm_blind       CodeDeploy never looks at its alarms   -> scenario 5: the deployment ends Succeeded
    health_passes     the ALB's health checks always pass    -> scenario 4: the bad version is served
    green_early       green takes traffic before AllowTraffic -> scenario 3: users get the failing version
    no_approval_notice the approval publishes no notice      -> scenario 1: no approval notice arrives
    no_failure_notice  no execution state change reaches SNS -> scenario 2: no FAILED notification arrives
    metrics_silent    the ALB publishes no AWS/ApplicationELB metrics -> scenario 5: the alarm never fires
    rollback_forgotten CreateDeploymentGroup drops autoRollbackConfiguration -> scenarios 3, 4, 5 do not roll
                      back; scenario 8 (capstone verify) fails DEPLOY-02
    no_stage_rollback  CodePipeline ignores a stage's onFailure  -> scenario 10: no ROLLBACK execution

fault_matrix.py pairs each fault with the scenarios that must go red and why, and runs them all
(`make faults`).
"""
from __future__ import annotations

import itertools
import os

import pytest

FAULT = os.environ.get("CAPSTONE_FAULT", "")


def _patch(monkeypatch, fault: str) -> None:
    if fault == "no_rollback":
        from localcloud.codedeploy import rollback
        monkeypatch.setattr(rollback, "wanted", lambda run: False)
    elif fault == "keep_blue":
        from localcloud.codedeploy.blue_green import BlueGreenDeployment
        monkeypatch.setattr(BlueGreenDeployment, "_retire_blue", lambda self: None)
    elif fault == "no_termination_wait":
        from localcloud.codedeploy import blue_green
        original_retire = blue_green.BlueGreenDeployment._retire_blue

        def hasty(self):
            term = (self.deployment.blue_green_config or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
            term["terminationWaitTimeInMinutes"] = 0
            return original_retire(self)
        monkeypatch.setattr(blue_green.BlueGreenDeployment, "_retire_blue", hasty)
    elif fault == "downtime":
        from localcloud.fleet.dataplane import DataPlane
        from localcloud.fleet.proxy import alb_error
        original, counter = DataPlane._forward, itertools.count()

        def flaky(self, *args, **kwargs):
            if next(counter) % 20 == 19:
                return alb_error(502, args[-1])
            return original(self, *args, **kwargs)
        monkeypatch.setattr(DataPlane, "_forward", flaky)
    elif fault == "gate_open":
        from localcloud.codebuild.runner import BuildRunner
        original = BuildRunner._run_commands
        monkeypatch.setattr(BuildRunner, "_run_commands", lambda self, commands: (original(self, commands), None)[1])
    elif fault == "reject_approves":
        from localcloud.codepipeline.engine import Engine
        original = Engine.decide_approval
        monkeypatch.setattr(Engine, "decide_approval", lambda self, pipeline, approval, status, summary, caller:
                            original(self, pipeline, approval, "Approved", summary, caller))
    elif fault == "no_supersede":
        from localcloud.codepipeline.engine import Engine
        monkeypatch.setattr(Engine, "_supersede_waiting", lambda self, pipeline, gate: None)
    elif fault == "alarm_blind":
        from localcloud.codedeploy import alarms
        monkeypatch.setattr(alarms, "watch", lambda run, settings, cloudwatch, principal, region=None: None)
    elif fault == "health_passes":
        from localcloud.fleet.checker import HealthChecker
        from localcloud.fleet.health import ProbeResult
        monkeypatch.setattr(HealthChecker, "probe", lambda self, target_group, target: ProbeResult(True))
    elif fault == "green_early":
        # the green group is created with the blue group's target groups attached, so its
        # instances are registered (and serve) as soon as they are healthy, before AllowTraffic
        from localcloud.codedeploy import autoscaling as asg_api
        original_copy = asg_api.copy_group

        def copy_with_target_groups(autoscaling, principal, source, name, capacity, region=None):
            original_copy(autoscaling, principal, source, name, capacity, region)
            if source.target_group_arns:
                autoscaling.attach_target_groups(principal, name, list(source.target_group_arns), region)
        monkeypatch.setattr(asg_api, "copy_group", copy_with_target_groups)
    elif fault == "no_approval_notice":
        from localcloud.codepipeline.actions import approval_manual
        original_run = approval_manual.run

        def silent(run):
            run.configuration.pop("NotificationArn", None)
            return original_run(run)
        monkeypatch.setattr(approval_manual, "run", silent)
    elif fault == "no_failure_notice":
        from localcloud.events import bus
        monkeypatch.setattr(bus.EventBus, "_to_sns", lambda self, event, target, rule: None)
    elif fault == "metrics_silent":
        from localcloud.fleet.metrics import ALBMetrics
        monkeypatch.setattr(ALBMetrics, "flush", lambda self: None)
    elif fault == "rollback_forgotten":
        from localcloud.codedeploy.api.deployment_groups import DeploymentGroups
        original_create = DeploymentGroups.create_deployment_group

        def forgetful(self, params, ctx):
            return original_create(self, {k: v for k, v in params.items() if k != "autoRollbackConfiguration"}, ctx)
        monkeypatch.setattr(DeploymentGroups, "create_deployment_group", forgetful)
    elif fault == "no_stage_rollback":
        from localcloud.codepipeline import conditions
        original_result = conditions.engaged_result
        monkeypatch.setattr(conditions, "engaged_result",
                            lambda stage, kind: None if kind == "onFailure" else original_result(stage, kind))
    else:
        raise pytest.UsageError(f"CAPSTONE_FAULT={fault!r}: unknown fault (see {__file__})")


@pytest.fixture(scope="session", autouse=True)
def _inject_fault():
    if not FAULT:
        yield
        return
    patcher = pytest.MonkeyPatch()
    _patch(patcher, FAULT)
    print(f"\n[faults] injected {FAULT}", flush=True)
    yield
    patcher.undo()
