"""Stage conditions and stage rollback in the engine, with fake actions and VariableCheck rules
(no other service): beforeEntry FAIL/SKIP, onSuccess FAIL, onFailure RETRY and ROLLBACK, override."""
from __future__ import annotations

import pytest

from localcloud.codepipeline import conditions
from localcloud.codepipeline.models import ROLLBACK, STANDARD
from tests.localcloud.codepipeline.test_engine import rig, wait_until  # noqa: F401  (the fixture)


def check(variable, value, operator="EQ", name="Check"):
    return {"name": name, "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": "VariableCheck", "version": "1"},
            "configuration": {"Variable": variable, "Value": value, "Operator": operator}}


def stages_with(rig, **deploy_conditions):
    from tests.localcloud.codepipeline.test_engine import _action
    return [
        {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"], namespace="SourceVariables")]},
        {"name": "Build", "actions": [_action("Build", "Held", inputs=["Src"])], **deploy_conditions},
        {"name": "Deploy", "actions": [_action("Deploy", "Instant", inputs=["Src"])]},
    ]


def ended(execution):
    return execution.final


def test_before_entry_fail_fails_the_stage_without_running_it(rig):
    p = rig.pipeline(stages=stages_with(rig, beforeEntry={"conditions": [
        {"result": "FAIL", "rules": [check("#{SourceVariables.CommitId}", "other")]}]}))
    e = rig.start(p)
    wait_until(lambda: ended(e), "the execution to end")
    assert e.status == "Failed" and e.stages["Build"].status == "Failed"
    assert ("%s" % e.pipeline_execution_id, "Build") not in rig.held.started
    run = p.latest_conditions[("Build", "beforeEntry")]
    assert run.status == "Failed" and run.rules[0].status == "Failed"
    assert run.rules[0].resolved_configuration["Variable"] == "abc123"


def test_before_entry_skip_skips_the_stage_and_the_execution_goes_on(rig):
    p = rig.pipeline(stages=stages_with(rig, beforeEntry={"conditions": [
        {"result": "SKIP", "rules": [check("#{SourceVariables.CommitId}", "abc", "MATCHES")]}]}))
    e = rig.start(p)
    wait_until(lambda: ended(e), "the execution to end")
    assert e.status == "Succeeded" and e.stages["Build"].status == "Skipped"
    assert e.stages["Deploy"].status == "Succeeded"


def test_before_entry_met_runs_the_stage(rig):
    p = rig.pipeline(stages=stages_with(rig, beforeEntry={"conditions": [
        {"result": "FAIL", "rules": [check("#{SourceVariables.CommitId}", "abc", "CONTAINS")]}]}))
    e = rig.start(p)
    wait_until(lambda: (e.pipeline_execution_id, "Build") in rig.held.started, "the build to start")
    rig.held.finish(e, "Build")
    wait_until(lambda: ended(e), "the execution to end")
    assert e.status == "Succeeded"
    assert p.latest_conditions[("Build", "beforeEntry")].status == "Succeeded"


def test_on_success_fail_turns_a_succeeded_stage_into_a_failure(rig):
    p = rig.pipeline(stages=stages_with(rig, onSuccess={"conditions": [
        {"result": "FAIL", "rules": [check("#{SourceVariables.CommitId}", "abc123", "NE")]}]}))
    e = rig.start(p)
    wait_until(lambda: (e.pipeline_execution_id, "Build") in rig.held.started, "the build to start")
    rig.held.finish(e, "Build")
    wait_until(lambda: ended(e), "the execution to end")
    assert e.status == "Failed" and e.stages["Build"].status == "Failed" and "Deploy" not in e.stages


def test_on_failure_retry_retries_the_stage_once(rig):
    p = rig.pipeline(stages=stages_with(rig, onFailure={"result": "RETRY",
                                                        "retryConfiguration": {"retryMode": "ALL_ACTIONS"}}))
    e = rig.start(p)
    wait_until(lambda: (e.pipeline_execution_id, "Build") in rig.held.started, "the build to start")
    rig.held.finish(e, "Build", "Failed")
    wait_until(lambda: rig.held.started.count((e.pipeline_execution_id, "Build")) == 2, "the automatic retry")
    assert e.stages["Build"].auto_retries == 1 and e.stages["Build"].latest_retry_trigger == "AutomatedStageRetry"
    rig.held.finish(e, "Build", "Failed")
    wait_until(lambda: ended(e), "the execution to end")
    assert e.status == "Failed" and rig.held.started.count((e.pipeline_execution_id, "Build")) == 2


def test_on_failure_rollback_starts_a_rollback_execution_with_the_last_good_artifacts(rig):
    p = rig.pipeline(stages=stages_with(rig, onFailure={"result": "ROLLBACK"}))
    good = rig.start(p)
    wait_until(lambda: (good.pipeline_execution_id, "Build") in rig.held.started, "the first build")
    rig.held.finish(good, "Build")
    wait_until(lambda: ended(good), "the first execution to end")
    bad = rig.start(p)
    wait_until(lambda: (bad.pipeline_execution_id, "Build") in rig.held.started, "the second build")
    rig.held.finish(bad, "Build", "Failed")
    wait_until(lambda: len(p.executions) == 3, "the rollback execution")
    rollback = list(p.executions.values())[-1]
    assert rollback.execution_type == ROLLBACK and rollback.rollback_target == good.pipeline_execution_id
    assert rollback.trigger["triggerType"] == "AutomatedRollback"
    wait_until(lambda: (rollback.pipeline_execution_id, "Build") in rig.held.started, "the rollback build")
    assert rollback.artifacts == good.artifacts and rollback.stages["Build"].type == ROLLBACK
    rig.held.finish(rollback, "Build")
    wait_until(lambda: ended(rollback), "the rollback to end")
    assert rollback.status == "Succeeded" and list(rollback.stages) == ["Build"]   # that stage alone
    assert bad.status == "Failed" and bad.execution_type == STANDARD


def test_on_failure_rollback_without_an_earlier_success_only_fails(rig):
    p = rig.pipeline(stages=stages_with(rig, onFailure={"result": "ROLLBACK"}))
    bad = rig.start(p)
    wait_until(lambda: (bad.pipeline_execution_id, "Build") in rig.held.started, "the build")
    rig.held.finish(bad, "Build", "Failed")
    wait_until(lambda: ended(bad), "the execution to end")
    assert len(p.executions) == 1 and "no rollback" in bad.status_summary


def test_on_failure_condition_gates_the_result(rig):
    gate = {"result": "ROLLBACK", "conditions": [{"rules": [check("#{SourceVariables.CommitId}", "nope")]}]}
    p = rig.pipeline(stages=stages_with(rig, onFailure=gate))
    good = rig.start(p)
    wait_until(lambda: (good.pipeline_execution_id, "Build") in rig.held.started, "the first build")
    rig.held.finish(good, "Build")
    wait_until(lambda: ended(good), "the first execution")
    bad = rig.start(p)
    wait_until(lambda: (bad.pipeline_execution_id, "Build") in rig.held.started, "the second build")
    rig.held.finish(bad, "Build", "Failed")
    wait_until(lambda: ended(bad), "the second execution")
    assert len(p.executions) == 2     # the rule failed: no rollback engaged
    assert p.latest_conditions[("Build", "onFailure")].status == "Failed"


def test_the_rule_the_fault_plugin_patches_is_the_one_the_engine_reads(rig, monkeypatch):
    """no_stage_rollback patches conditions.engaged_result: the engine must read it from there."""
    p = rig.pipeline(stages=stages_with(rig, onFailure={"result": "ROLLBACK"}))
    monkeypatch.setattr(conditions, "engaged_result", lambda stage, kind: None)
    good = rig.start(p)
    wait_until(lambda: (good.pipeline_execution_id, "Build") in rig.held.started, "the first build")
    rig.held.finish(good, "Build")
    wait_until(lambda: ended(good), "the first execution")
    bad = rig.start(p)
    wait_until(lambda: (bad.pipeline_execution_id, "Build") in rig.held.started, "the second build")
    rig.held.finish(bad, "Build", "Failed")
    wait_until(lambda: ended(bad), "the second execution")
    assert len(p.executions) == 2


@pytest.mark.parametrize("operator,value,expected", [("EQ", "abc123", True), ("NE", "abc123", False),
                                                     ("CONTAINS", "c12", True), ("MATCHES", "abc", False),
                                                     ("MATCHES", "a.c[0-9]+", True)])
def test_variable_check_operators(operator, value, expected):
    from localcloud.codepipeline import rules
    result = rules._variable_check(rules.RuleCheck(None, None, "us-east-1",
                                                   {"Variable": "abc123", "Value": value, "Operator": operator}, None, None))
    assert result.succeeded is expected
