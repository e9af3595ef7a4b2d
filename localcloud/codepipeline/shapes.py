"""CodePipeline's wire shapes: models rendered as the botocore codepipeline model's structures.

The API layer (api.py) is the only caller; models.py holds state and its rules. Callers hold
`CodePipelineBackend.cond` while rendering, as they do while reading state.
"""
from __future__ import annotations

from localcloud.codepipeline.models import (
    ACTION_IN_PROGRESS, EXEC_STOPPED, EXEC_STOPPING, PARALLEL, QUEUED, SUPERSEDED,
    ActionExecution, ActionRevision, ArtifactLocation, ConditionRun, ErrorDetails, Pipeline, PipelineExecution,
    RuleExecution, StageExecution, Transition,
)

#: GetPipelineState's member for each condition kind
CONDITION_STATE_MEMBERS = {"beforeEntry": "beforeEntryConditionState", "onSuccess": "onSuccessConditionState",
                           "onFailure": "onFailureConditionState"}


def artifact_shape(artifact: ArtifactLocation) -> dict:
    """ArtifactDetail (ListActionExecutions' inputArtifacts and outputArtifacts)."""
    return {"name": artifact.name, "s3location": {"bucket": artifact.bucket, "key": artifact.key}}


def error_details_shape(error: ErrorDetails | None) -> dict | None:
    return {"code": error.code, "message": error.message} if error is not None else None


def action_revision_shape(revision: ActionRevision) -> dict:
    return {"revisionId": revision.revision_id, "revisionChangeId": revision.revision_change_id,
            "created": revision.created}


# -- pipelines -------------------------------------------------------------------------------------
def pipeline_metadata_shape(pipeline: Pipeline) -> dict:
    """PipelineMetadata (GetPipeline)."""
    return {"pipelineArn": pipeline.arn, "created": pipeline.created, "updated": pipeline.updated}


def pipeline_summary_shape(pipeline: Pipeline) -> dict:
    """PipelineSummary (ListPipelines)."""
    return {"name": pipeline.name, "version": pipeline.version, "pipelineType": pipeline.declaration.get("pipelineType"),
            "executionMode": pipeline.execution_mode, "created": pipeline.created, "updated": pipeline.updated}


# -- executions ------------------------------------------------------------------------------------
def artifact_revisions_shape(execution: PipelineExecution) -> list[dict]:
    """ArtifactRevisionList: the revision behind each source artifact of the execution."""
    out = []
    for rev in execution.source_revisions.values():
        if rev.get("artifact"):
            out.append({"name": rev["artifact"], "revisionId": rev.get("revisionId"),
                        "revisionChangeIdentifier": rev.get("revisionChangeIdentifier"),
                        "revisionSummary": rev.get("revisionSummary"), "created": rev.get("created"),
                        "revisionUrl": rev.get("revisionUrl")})
    return out


def pipeline_execution_shape(execution: PipelineExecution) -> dict:
    """PipelineExecution (GetPipelineExecution)."""
    return {
        "pipelineName": execution.pipeline_name,
        "pipelineVersion": execution.pipeline_version,
        "pipelineExecutionId": execution.pipeline_execution_id,
        "status": execution.status,
        "statusSummary": execution.status_summary,
        "artifactRevisions": artifact_revisions_shape(execution),
        "variables": [{"name": k, "resolvedValue": v} for k, v in execution.variables.items()],
        "trigger": execution.trigger,
        "executionMode": execution.execution_mode,
        **execution_type_shape(execution),
    }


def execution_type_shape(execution: PipelineExecution) -> dict:
    """executionType, and rollbackMetadata for a ROLLBACK execution."""
    out = {"executionType": execution.execution_type}
    if execution.rollback_target:
        out["rollbackMetadata"] = {"rollbackTargetPipelineExecutionId": execution.rollback_target}
    return out


def pipeline_execution_summary_shape(execution: PipelineExecution) -> dict:
    """PipelineExecutionSummary (ListPipelineExecutions)."""
    return {
        "pipelineExecutionId": execution.pipeline_execution_id,
        "status": execution.status,
        "statusSummary": execution.status_summary,
        "startTime": execution.start_time,
        "lastUpdateTime": execution.last_update_time,
        "sourceRevisions": [
            {"actionName": name, "revisionId": rev.get("revisionId"),
             "revisionSummary": rev.get("revisionSummary"), "revisionUrl": rev.get("revisionUrl")}
            for name, rev in execution.source_revisions.items()
        ],
        "trigger": execution.trigger,
        "stopTrigger": {"reason": execution.stop_reason} if execution.status in (EXEC_STOPPED, EXEC_STOPPING) else None,
        "executionMode": execution.execution_mode,
        **execution_type_shape(execution),
    }


# -- action executions -----------------------------------------------------------------------------
def action_execution_shape(record: ActionExecution, show_token: bool) -> dict:
    """ActionExecution as GetPipelineState shows it (token only while InProgress, on the action, never the stage)."""
    return {
        "actionExecutionId": record.action_execution_id,
        "status": record.status,
        "summary": record.summary,
        "lastStatusChange": record.last_update_time,
        "token": record.token if (show_token and record.status == ACTION_IN_PROGRESS) else None,
        "lastUpdatedBy": record.updated_by,
        "externalExecutionId": record.external_execution_id,
        "externalExecutionUrl": record.external_execution_url,
        "errorDetails": error_details_shape(record.error_details),
    }


def action_execution_detail_shape(record: ActionExecution) -> dict:
    """ActionExecutionDetail (ListActionExecutions)."""
    decl = record.declaration
    return {
        "pipelineExecutionId": record.pipeline_execution_id,
        "actionExecutionId": record.action_execution_id,
        "pipelineVersion": record.pipeline_version,
        "stageName": record.stage_name,
        "actionName": record.action_name,
        "startTime": record.start_time,
        "lastUpdateTime": record.last_update_time,
        "updatedBy": record.updated_by,
        "status": record.status,
        "input": {
            "actionTypeId": decl["actionTypeId"],
            "configuration": decl.get("configuration", {}),
            "resolvedConfiguration": record.resolved_configuration,
            "roleArn": decl.get("roleArn"),
            "region": record.region,
            "inputArtifacts": [artifact_shape(a) for a in record.input_artifacts],
            "namespace": decl.get("namespace"),
        },
        "output": {
            "outputArtifacts": [artifact_shape(a) for a in record.output_artifacts],
            "executionResult": {
                "externalExecutionId": record.external_execution_id,
                "externalExecutionSummary": record.summary,
                "externalExecutionUrl": record.external_execution_url,
                "errorDetails": error_details_shape(record.error_details),
            },
            "outputVariables": record.output_variables,
        },
    }


# -- GetPipelineState ------------------------------------------------------------------------------
def transition_shape(transition: Transition) -> dict:
    """TransitionState."""
    return {"enabled": transition.enabled, "lastChangedBy": transition.last_changed_by,
            "lastChangedAt": transition.last_changed_at, "disabledReason": transition.disabled_reason}


def stage_execution_shape(stage_execution: StageExecution) -> dict:
    """StageExecution."""
    return {"pipelineExecutionId": stage_execution.pipeline_execution_id, "status": stage_execution.status,
            "type": stage_execution.type}


def rule_execution_shape(record: RuleExecution) -> dict:
    """RuleExecution (a rule's latest check in GetPipelineState)."""
    return {"ruleExecutionId": record.rule_execution_id, "status": record.status, "summary": record.summary,
            "lastStatusChange": record.last_update_time, "errorDetails": error_details_shape(record.error_details)}


def condition_state_shape(run: ConditionRun, stage: dict) -> dict:
    """StageConditionState: the condition's latest evaluation and each rule's latest check."""
    declared = ((stage.get(run.kind) or {}).get("conditions") or [{}])[0].get("rules") or []
    checked = {r.rule_name: r for r in run.rules}
    rule_states = []
    for rule in declared:
        state = {"ruleName": rule["name"]}
        if rule["name"] in checked:
            state["latestExecution"] = rule_execution_shape(checked[rule["name"]])
        rule_states.append(state)
    return {"latestExecution": {"status": run.status, "summary": run.summary},
            "conditionStates": [{"latestExecution": {"status": run.status, "summary": run.summary,
                                                     "lastStatusChange": run.last_status_change},
                                 "ruleStates": rule_states}]}


def rule_execution_detail_shape(record: RuleExecution) -> dict:
    """RuleExecutionDetail (ListRuleExecutions)."""
    decl = record.declaration
    return {
        "pipelineExecutionId": record.pipeline_execution_id, "ruleExecutionId": record.rule_execution_id,
        "pipelineVersion": record.pipeline_version, "stageName": record.stage_name, "ruleName": record.rule_name,
        "startTime": record.start_time, "lastUpdateTime": record.last_update_time, "status": record.status,
        "input": {"ruleTypeId": {"version": "1", "owner": "AWS", **decl["ruleTypeId"]},
                  "configuration": decl.get("configuration") or {},
                  "resolvedConfiguration": record.resolved_configuration or {}, "roleArn": record.role_arn,
                  "region": record.region, "inputArtifacts": []},
        "output": {"executionResult": {"externalExecutionSummary": record.summary,
                                       "errorDetails": error_details_shape(record.error_details)}},
    }


def action_state_shape(action_name: str, record: ActionExecution | None, show_token: bool) -> dict:
    """ActionState: the action's latest run, if it has run."""
    state = {"actionName": action_name}
    if record is not None:
        state["latestExecution"] = action_execution_shape(record, show_token)
        if record.current_revision:
            state["currentRevision"] = action_revision_shape(record.current_revision)
        state["revisionUrl"] = record.revision_url
        state["entityUrl"] = record.entity_url
    return state


def stage_state_shape(pipeline: Pipeline, stage: dict, show_token: bool) -> dict:
    """StageState: the inbound transition, the executions waiting in front, each action's latest run."""
    name = stage["name"]
    gate = pipeline.gates[name]
    state = {"stageName": name, "inboundTransitionState": transition_shape(pipeline.transitions[name]),
             "actionStates": []}
    waiting = [pipeline.executions[i] for i in gate.waiting
               if i in pipeline.executions and not pipeline.executions[i].final]
    inbound = [{"pipelineExecutionId": e.pipeline_execution_id, "status": "InProgress", "type": e.execution_type}
               for e in waiting]
    if inbound:
        state["inboundExecution"] = inbound[-1] if pipeline.execution_mode == SUPERSEDED else inbound[0]
        if pipeline.execution_mode in (QUEUED, PARALLEL):
            state["inboundExecutions"] = inbound
    for action in stage["actions"]:
        record = pipeline.latest_actions.get((name, action["name"]))
        state["actionStates"].append(action_state_shape(action["name"], record, show_token))
    if gate.latest is not None:
        state["latestExecution"] = stage_execution_shape(gate.latest)
        if gate.latest.latest_retry_trigger:
            state["retryStageMetadata"] = {"autoStageRetryAttempt": gate.latest.auto_retries,
                                           "manualStageRetryAttempt": gate.latest.manual_retries,
                                           "latestRetryTrigger": gate.latest.latest_retry_trigger}
    for kind, member in CONDITION_STATE_MEMBERS.items():
        run = pipeline.latest_conditions.get((name, kind))
        if run is not None and stage.get(kind):
            state[member] = condition_state_shape(run, stage)
    return state


def pipeline_state_shape(pipeline: Pipeline) -> dict:
    """GetPipelineState's output."""
    show_token = pipeline.execution_mode != PARALLEL   # no token in PARALLEL mode (PutApprovalResult's model doc)
    stages = [stage_state_shape(pipeline, stage, show_token) for stage in pipeline.declaration["stages"]]
    return {"pipelineName": pipeline.name, "pipelineVersion": pipeline.version, "stageStates": stages,
            "created": pipeline.created, "updated": pipeline.updated}
