"""Stage conditions and stage rollback over HTTP with boto3: what CreatePipeline refuses (and that
the stored pipeline is unchanged), the condition states in GetPipelineState, a CloudWatchAlarm rule
reading a real alarm, OverrideStageCondition, RollbackStage and its errors, ListRuleTypes and
ListRuleExecutions."""
from __future__ import annotations

import copy
import json

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.codepipeline import support
from tests.localcloud.codepipeline.support import approval_token, approve, wait_for, wait_status

pytestmark = pytest.mark.integration


def rule(provider, configuration, name="Rule1", **extra):
    return {"name": name, "ruleTypeId": {"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"},
            "configuration": configuration, **extra}


def with_conditions(infra, repo, **conditions):
    d = support.declaration(support.unique("cond"), infra.pipeline_role, infra.bucket,
                            [support.codecommit_source(repo), support.approval_stage()])
    d["stages"][1].update(conditions)
    return d


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]


def variable_check(value="main", operator="EQ"):
    return rule("VariableCheck", {"Variable": "#{SourceVariables.BranchName}", "Value": value, "Operator": operator})


BAD = [
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [rule("NoSuchRule", {})]}]}}, "is not available"),
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [rule("LambdaInvoke", {"FunctionName": "f"})]}]}},
     "LambdaInvoke"),
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [rule("Commands", {}, commands=["true"])]}]}},
     "Commands"),
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [rule("CloudWatchAlarm", {})]}]}},
     "missing required configuration 'AlarmName'"),
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [rule("DeploymentWindow", {"Cron": "0 0 25 ? * *"})]}]}},
     "Cron"),
    ({"beforeEntry": {"conditions": [{"result": "FAIL", "rules": [variable_check(operator="GT")]}]}}, "Operator GT"),
    ({"beforeEntry": {"conditions": [{"result": "ROLLBACK", "rules": [variable_check()]}]}}, "not allowed"),
    ({"onSuccess": {"conditions": [{"result": "SKIP", "rules": [variable_check()]}]}}, "not allowed"),
    ({"onFailure": {"result": "SKIP"}}, "not allowed"),
    ({"beforeEntry": {"conditions": [{"result": "SKIP", "rules": [
        rule("DeploymentWindow", {"Cron": "0 0 9-17 ? * MON-FRI *"})]}]}}, "SKIP result"),
    ({"onFailure": {"result": "FAIL", "retryConfiguration": {"retryMode": "ALL_ACTIONS"}}}, "requires the RETRY"),
]


@pytest.mark.parametrize("conditions,fragment", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_conditions_are_refused_and_the_stored_pipeline_is_unchanged(cp, infra, source_repo, conditions, fragment):
    d = with_conditions(infra, source_repo[0], **conditions)
    error = error_of(cp.create_pipeline, pipeline=d)
    assert error["Code"] == "InvalidStructureException" and fragment in error["Message"], error
    assert d["name"] not in [p["name"] for p in cp.list_pipelines()["pipelines"]]
    good = with_conditions(infra, source_repo[0])
    cp.create_pipeline(pipeline=good)
    bad = copy.deepcopy(good)
    bad["stages"][1].update(conditions)
    bad["version"] = 1
    error = error_of(cp.update_pipeline, pipeline=bad)
    assert error["Code"] == "InvalidStructureException" and fragment in error["Message"], error
    stored = cp.get_pipeline(name=good["name"])["pipeline"]
    assert stored["version"] == 1 and not any(k in stored["stages"][1] for k in conditions)
    cp.delete_pipeline(name=good["name"])


def test_conditions_need_a_v2_pipeline(cp, infra, source_repo):
    d = with_conditions(infra, source_repo[0], onFailure={"result": "FAIL"})
    d["pipelineType"] = "V1"
    assert error_of(cp.create_pipeline, pipeline=d)["Code"] == "ValidationException"


def test_before_entry_fail_shows_in_the_pipeline_state_and_rule_executions(cp, infra, source_repo):
    d = with_conditions(infra, source_repo[0], beforeEntry={"conditions": [
        {"result": "FAIL", "rules": [variable_check("release")]}]})
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Failed")
    state = support.stage_state(cp, d["name"], "Approval")
    assert state["latestExecution"]["status"] == "Failed"
    entry = state["beforeEntryConditionState"]
    assert entry["latestExecution"]["status"] == "Failed"
    assert entry["conditionStates"][0]["ruleStates"][0]["latestExecution"]["status"] == "Failed"
    assert "latestExecution" not in state["actionStates"][0], "the stage's actions never ran"
    details = cp.list_rule_executions(pipelineName=d["name"],
                                      filter={"pipelineExecutionId": execution_id})["ruleExecutionDetails"]
    assert [(r["ruleName"], r["status"]) for r in details] == [("Rule1", "Failed")]
    assert details[0]["input"]["resolvedConfiguration"]["Variable"] == "main"
    assert details[0]["input"]["roleArn"] == infra.pipeline_role


def test_before_entry_skip_skips_the_stage(cp, infra, source_repo):
    d = with_conditions(infra, source_repo[0], beforeEntry={"conditions": [
        {"result": "SKIP", "rules": [variable_check("release")]}]})
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Succeeded")
    assert support.stage_state(cp, d["name"], "Approval")["latestExecution"]["status"] == "Skipped"


def test_cloudwatch_alarm_rule_reads_the_real_alarm_state_and_can_be_overridden(cp, aws, infra, source_repo):
    cloudwatch = aws("cloudwatch")
    alarm = support.unique("alarm")
    cloudwatch.put_metric_alarm(AlarmName=alarm, Namespace="Test", MetricName="Errors", Statistic="Sum", Period=60,
                                EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    # No datapoints: the alarm evaluator keeps it INSUFFICIENT_DATA, a real state nobody forces.
    assert cloudwatch.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"] == "INSUFFICIENT_DATA"
    d = with_conditions(infra, source_repo[0], beforeEntry={"conditions": [
        {"result": "FAIL", "rules": [rule("CloudWatchAlarm", {"AlarmName": alarm, "WaitTime": "60",
                                                              "AlarmStates": "INSUFFICIENT_DATA"})]}]})
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_for(lambda: (support.stage_state(cp, d["name"], "Approval").get("beforeEntryConditionState") or {})
             .get("latestExecution", {}).get("status") == "InProgress", "the alarm rule to wait for its alarm: "
             + repr(support.stage_state(cp, d["name"], "Approval")))
    error = error_of(cp.override_stage_condition, pipelineName=d["name"], stageName="Approval",
                     pipelineExecutionId=execution_id, conditionType="ON_SUCCESS")
    assert error["Code"] == "ConditionNotOverridableException"
    cp.override_stage_condition(pipelineName=d["name"], stageName="Approval", pipelineExecutionId=execution_id,
                                conditionType="BEFORE_ENTRY")
    approve(cp, d["name"], approval_token(cp, d["name"], execution_id))
    wait_status(cp, d["name"], execution_id, "Succeeded")
    state = support.stage_state(cp, d["name"], "Approval")
    assert state["beforeEntryConditionState"]["latestExecution"]["status"] == "Overridden"
    error = error_of(cp.override_stage_condition, pipelineName=d["name"], stageName="Approval",
                     pipelineExecutionId=execution_id, conditionType="BEFORE_ENTRY")
    assert error["Code"] == "ConditionNotOverridableException", "nothing is being evaluated any more"

    watching_alarm = cp.get_pipeline(name=d["name"])["pipeline"]
    watching_alarm["stages"][1]["beforeEntry"]["conditions"][0]["rules"][0]["configuration"]["AlarmStates"] = "ALARM"
    cp.update_pipeline(pipeline=watching_alarm)
    second = cp.start_pipeline_execution(name=d["name"])["pipelineExecutionId"]
    approve(cp, d["name"], approval_token(cp, d["name"], second))
    wait_status(cp, d["name"], second, "Succeeded")
    assert support.stage_state(cp, d["name"], "Approval")["beforeEntryConditionState"]["latestExecution"]["status"] \
        == "Succeeded"


def test_a_missing_alarm_fails_the_rule(cp, infra, source_repo):
    d = with_conditions(infra, source_repo[0], onSuccess={"conditions": [
        {"result": "FAIL", "rules": [rule("CloudWatchAlarm", {"AlarmName": support.unique("missing")})]}]})
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    approve(cp, d["name"], approval_token(cp, d["name"], execution_id))
    wait_status(cp, d["name"], execution_id, "Failed")
    rule_state = support.stage_state(cp, d["name"], "Approval")["onSuccessConditionState"]["conditionStates"][0]
    assert "does not exist" in rule_state["ruleStates"][0]["latestExecution"]["summary"]


def test_on_failure_rollback_and_rollback_stage(cp, infra, source_repo):
    d = with_conditions(infra, source_repo[0], onFailure={"result": "ROLLBACK"})
    cp.create_pipeline(pipeline=d)
    name = d["name"]
    good = support.first_execution(cp, name)
    approve(cp, name, approval_token(cp, name, good))
    wait_status(cp, name, good, "Succeeded")
    bad = cp.start_pipeline_execution(name=name)["pipelineExecutionId"]
    approve(cp, name, approval_token(cp, name, bad), status="Rejected", summary="no")
    wait_status(cp, name, bad, "Failed")
    rollback = wait_for(lambda: next((e for e in support.executions(cp, name) if e.get("executionType") == "ROLLBACK"),
                                     None), "the automatic rollback execution")
    assert rollback["rollbackMetadata"] == {"rollbackTargetPipelineExecutionId": good}
    assert rollback["trigger"]["triggerType"] == "AutomatedRollback"
    got = support.execution(cp, name, rollback["pipelineExecutionId"])
    assert got["executionType"] == "ROLLBACK" and got["rollbackMetadata"]["rollbackTargetPipelineExecutionId"] == good
    assert support.stage_state(cp, name, "Approval")["latestExecution"]["type"] == "ROLLBACK"
    approve(cp, name, approval_token(cp, name, rollback["pipelineExecutionId"]))
    wait_status(cp, name, rollback["pipelineExecutionId"], "Succeeded")

    for target, stage, code in [(bad, "Approval", "UnableToRollbackStageException"),            # it failed there
                                (rollback["pipelineExecutionId"], "Approval", "UnableToRollbackStageException"),
                                (good, "Source", "UnableToRollbackStageException"),
                                (good, "NoSuchStage", "StageNotFoundException"),
                                ("00000000-0000-4000-8000-000000000000", "Approval", "PipelineExecutionNotFoundException")]:
        error = error_of(cp.rollback_stage, pipelineName=name, stageName=stage, targetPipelineExecutionId=target)
        assert error["Code"] == code, (target, stage, error)
    manual = cp.rollback_stage(pipelineName=name, stageName="Approval", targetPipelineExecutionId=good)["pipelineExecutionId"]
    got = support.execution(cp, name, manual)
    assert got["executionType"] == "ROLLBACK" and got["trigger"]["triggerType"] == "ManualRollback"
    cp.stop_pipeline_execution(pipelineName=name, pipelineExecutionId=manual, abandon=True)
    wait_status(cp, name, manual, "Stopped")

    updated = cp.get_pipeline(name=name)["pipeline"]
    updated["stages"][1]["onFailure"] = {"result": "FAIL"}
    cp.update_pipeline(pipeline=updated)
    error = error_of(cp.rollback_stage, pipelineName=name, stageName="Approval", targetPipelineExecutionId=good)
    assert error["Code"] == "PipelineExecutionOutdatedException"


def test_list_rule_types_lists_aws_rules_with_their_properties(cp):
    types = {t["id"]["provider"]: t for t in cp.list_rule_types(ruleOwnerFilter="AWS")["ruleTypes"]}
    assert {"CloudWatchAlarm", "DeploymentWindow", "VariableCheck", "LambdaInvoke", "Commands"} <= set(types)
    assert all(t["id"]["owner"] == "AWS" and t["id"]["category"] == "Rule" for t in types.values())
    props = {p["name"]: p for p in types["VariableCheck"]["ruleConfigurationProperties"]}
    assert set(props) == {"Variable", "Value", "Operator"} and all(p["required"] for p in props.values())
    assert {p["name"] for p in types["DeploymentWindow"]["ruleConfigurationProperties"]} == {"Cron", "TimeZone"}


def test_a_rule_acts_as_the_pipeline_role_and_a_refused_read_fails_the_rule(cp, aws, infra, source_repo):
    iam = aws("iam")
    role_arn = support.role(iam, "codepipeline.amazonaws.com")
    iam.put_role_policy(RoleName=role_arn.split("/")[-1], PolicyName="no-alarms", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "cloudwatch:DescribeAlarms", "Resource": "*"}]}))
    d = with_conditions(infra, source_repo[0], beforeEntry={"conditions": [
        {"result": "FAIL", "rules": [rule("CloudWatchAlarm", {"AlarmName": "any"})]}]})
    d["roleArn"] = role_arn
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_status(cp, d["name"], execution_id, "Failed")
    detail = cp.list_rule_executions(pipelineName=d["name"])["ruleExecutionDetails"][0]
    assert detail["status"] == "Failed"
    assert "does not have permissions" in detail["output"]["executionResult"]["errorDetails"]["message"]
    assert "cloudwatch:DescribeAlarms" in detail["output"]["executionResult"]["errorDetails"]["message"]


def test_a_closed_deployment_window_holds_the_stage_until_overridden(cp, infra, source_repo):
    # Only on 31 December 2199 at 03:00: never now.
    window = rule("DeploymentWindow", {"Cron": "0 0 3 31 DEC ? 2199", "TimeZone": "Europe/Paris"})
    d = with_conditions(infra, source_repo[0], beforeEntry={"conditions": [{"result": "FAIL", "rules": [window]}]})
    cp.create_pipeline(pipeline=d)
    execution_id = support.first_execution(cp, d["name"])
    wait_for(lambda: (support.stage_state(cp, d["name"], "Approval").get("beforeEntryConditionState") or {})
             .get("latestExecution", {}).get("status") == "InProgress", "the window rule to wait")
    assert support.execution(cp, d["name"], execution_id)["status"] == "InProgress"
    cp.stop_pipeline_execution(pipelineName=d["name"], pipelineExecutionId=execution_id, abandon=True)
    wait_status(cp, d["name"], execution_id, "Stopped")
    state = support.stage_state(cp, d["name"], "Approval")
    assert state["beforeEntryConditionState"]["latestExecution"]["status"] == "Cancelled"
    assert state["latestExecution"]["status"] == "Stopped"
