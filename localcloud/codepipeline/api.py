"""CodePipeline operations: request dicts in, AWS-shaped dicts out (the botocore codepipeline model).

The router has validated each request against the botocore model already. Handlers look state
up in the CodePipelineBackend, apply the rules AWS applies, and hand executions to the ExecutionEngine.
"""
from __future__ import annotations

import time

import copy

from localcloud import paging
from localcloud.aws import RequestContext
from localcloud.codepipeline.actions import type_key
from localcloud.codepipeline.actions.approval_manual import DECIDED
from localcloud.codepipeline.declaration import normalize
from localcloud.codepipeline.models import (
    COND_IN_PROGRESS, COND_OVERRIDDEN, ROLLBACK, ACTION_ABANDONED, ACTION_FAILED, EXEC_FAILED, EXEC_STOPPED, EXEC_STOPPING, STAGE_FAILED,
    STAGE_STOPPED, STAGE_SUCCEEDED, Pipeline, PipelineExecution, now,
)
from localcloud.codepipeline.shapes import (
    action_execution_detail_shape, pipeline_execution_shape, pipeline_execution_summary_shape, pipeline_metadata_shape,
    pipeline_state_shape, pipeline_summary_shape, rule_execution_detail_shape,
)
from localcloud.codepipeline.triggers import PIPELINE_ARN
from localcloud.exceptions import ServiceError
from localcloud.principal import Principal
from localcloud.sts.exceptions import AccessDenied, ValidationError
from localcloud.codepipeline.exceptions import ConditionNotOverridableException, PipelineExecutionOutdatedException, UnableToRollbackStageException
from localcloud.codepipeline.rules import RULE_TYPES, rule_type_shape
from localcloud.codepipeline.exceptions import ActionNotFoundException, ApprovalAlreadyCompletedException, ConflictException, DuplicatedStopRequestException, InvalidApprovalTokenException, InvalidArnException, InvalidStructureException, InvalidTagsException, NotLatestPipelineExecutionException, PipelineExecutionNotFoundException, PipelineExecutionNotStoppableException, PipelineNameInUseException, PipelineNotFoundException, PipelineVersionNotFoundException, ResourceNotFoundException, StageNotFoundException, StageNotRetryableException, TooManyTagsException, ValidationException

#: UNCONFIRMED (docs/aws-behaviour.md, "Module constants"): old docs say executions killed by an edit become
#: Failed, the newer model has Cancelled. localcloud uses Cancelled (set "Failed" for the old
#: behaviour); the statusSummary says why either way.
UPDATE_ENDS_EXECUTIONS_WITH = "Cancelled"
UPDATE_SUMMARY = "The pipeline's definition was updated before the pipeline execution could be completed"

REVISION_TYPES = {("Source", "AWS", "CodeCommit"): {"COMMIT_ID"},
                  ("Source", "AWS", "S3"): {"S3_OBJECT_VERSION_ID", "S3_OBJECT_KEY"}}


def _page(items: list, params: dict, default: int, key: str = "nextToken") -> tuple[list, str | None]:
    return paging.page(items, params.get(key), params.get("maxResults") or default,
                error_code="InvalidNextTokenException", message="The next token is not valid")


SERVICE_PRINCIPAL = "codepipeline.amazonaws.com"


class CodePipelineAPI:
    def __init__(self, provider):
        self.provider = provider
        self.backend = provider.backend
        self.engine = provider.engine

    # -- lookups -------------------------------------------------------------------------------
    def _pipeline(self, ctx: RequestContext, name: str) -> Pipeline:
        pipeline = self.backend.get(ctx.account_id, ctx.region, name)
        if pipeline is None or pipeline.deleted:
            raise PipelineNotFoundException(f"Account '{ctx.account_id}' does not have a pipeline with name '{name}'")
        return pipeline

    @staticmethod
    def _execution(pipeline: Pipeline, execution_id: str) -> PipelineExecution:
        execution = pipeline.executions.get(execution_id)
        if execution is None:
            raise PipelineExecutionNotFoundException(f"Pipeline execution ID {execution_id} does not exist in pipeline {pipeline.name}")
        return execution

    @staticmethod
    def _stage(pipeline: Pipeline, stage_name: str) -> dict:
        stage = pipeline.stage(stage_name)
        if stage is None:
            raise StageNotFoundException(f"Stage {stage_name} not found in pipeline {pipeline.name}")
        return stage

    def _check_resources(self, declaration: dict, pipeline_arn: str) -> None:
        """The role must exist and trust codepipeline.amazonaws.com; the artifact buckets must exist."""
        services, role_arn = self.provider.cloud.services, declaration["roleArn"]
        try:
            session = services.sts.assume_role(Principal.service(SERVICE_PRINCIPAL, role_arn.split(":")[4]),
                                               role_arn, str(int(time.time() * 1000)), source_arn=pipeline_arn)
        except (AccessDenied, ValidationError, IndexError):
            raise InvalidStructureException(f"CodePipeline is not authorized to perform AssumeRole on role {role_arn}") from None
        stores = [declaration["artifactStore"]] if declaration.get("artifactStore") else list(declaration["artifactStores"].values())
        for store in stores:
            try:
                services.s3.head_bucket(session.principal, store["location"])
            except ServiceError:
                # UNCONFIRMED wording; the exception type is the one CreatePipeline uses for structure.
                raise InvalidStructureException(f"The artifact store location {store['location']} (an S3 bucket) does not exist "
                               "or CodePipeline cannot access it") from None

    @staticmethod
    def _check_tags(tags: list[dict], existing: int = 0) -> None:
        for tag in tags:
            if tag["key"].startswith("aws:"):
                raise InvalidTagsException("Not allowed to modify system tags. System tags start with 'aws:'. "
                               "msg=[Caller is an end user and not allowed to mutate system tags]")
        if existing + len(tags) > 50:
            raise TooManyTagsException("Tag limit exceeded: a pipeline can have at most 50 tags")

    # -- pipelines -----------------------------------------------------------------------------
    def create_pipeline(self, params: dict, ctx: RequestContext) -> dict:
        name = params["pipeline"]["name"]
        tags = params.get("tags") or []
        with self.backend.cond:
            if self.backend.get(ctx.account_id, ctx.region, name):
                raise PipelineNameInUseException(f"A pipeline with the name '{name}' already exists in account '{ctx.account_id}'")
        self._check_tags(tags)
        declaration = normalize(params["pipeline"], ctx.region)
        self._check_resources(declaration, f"arn:aws:codepipeline:{ctx.region}:{ctx.account_id}:{name}")
        declaration["version"] = 1
        pipeline = Pipeline(name=name, region=ctx.region, account_id=ctx.account_id, declaration=declaration,
                            tags={t["key"]: t["value"] for t in tags})
        pipeline.set_declaration(declaration)
        # Before the poller can see the pipeline: otherwise it takes every head as new and starts
        # a PollForSourceChanges execution beside the CreatePipeline one.
        self.provider.poller.remember(pipeline)
        with self.backend.cond:
            if self.backend.get(ctx.account_id, ctx.region, name):
                raise PipelineNameInUseException(f"A pipeline with the name '{name}' already exists in account '{ctx.account_id}'")
            self.backend.put(pipeline)
        # "The pipeline starts to run after you create it" (pipelines-create.html).
        self.provider.start_execution(pipeline, {"triggerType": "CreatePipeline", "triggerDetail": ctx.caller_arn})
        return {"pipeline": copy.deepcopy(declaration), "tags": sorted(tags, key=lambda t: t["key"])}

    def get_pipeline(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["name"])
        version = params.get("version")
        if version is not None and version not in pipeline.versions:
            raise PipelineVersionNotFoundException(f"Pipeline version {version} of pipeline {pipeline.name} does not exist")
        declaration = pipeline.versions[version] if version is not None else pipeline.declaration
        return {"pipeline": copy.deepcopy(declaration), "metadata": pipeline_metadata_shape(pipeline)}

    def update_pipeline(self, params: dict, ctx: RequestContext) -> dict:
        name = params["pipeline"]["name"]
        pipeline = self.backend.get(ctx.account_id, ctx.region, name)
        if pipeline is None or pipeline.deleted:
            raise ResourceNotFoundException(f"The account with id '{ctx.account_id}' does not include a pipeline with the name '{name}'")
        declaration = normalize(params["pipeline"], ctx.region)
        self._check_resources(declaration, f"arn:aws:codepipeline:{ctx.region}:{ctx.account_id}:{name}")
        heads = self.provider.poller.heads(declaration, pipeline.region)  # see create_pipeline
        with self.backend.cond:
            declaration["version"] = pipeline.version + 1
            running = [e for e in pipeline.executions.values() if not e.final]
            for execution in running:
                self.engine.cancel(pipeline, execution, UPDATE_SUMMARY, UPDATE_ENDS_EXECUTIONS_WITH)
            pipeline.set_declaration(declaration)
            pipeline.polled_heads = heads
            pipeline.updated = now()
        return {"pipeline": copy.deepcopy(declaration)}

    def delete_pipeline(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self.backend.get(ctx.account_id, ctx.region, params["name"])
        if pipeline is None:
            return {}   # AWS answers 200 for a pipeline that does not exist
        with self.backend.cond:
            pipeline.deleted = True
            for execution in pipeline.executions.values():
                if not execution.final:
                    self.engine.stop(pipeline, execution, abandon=True, reason="The pipeline was deleted")
            self.backend.remove(pipeline)
            self.backend.cond.notify_all()
        return {}

    def list_pipelines(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.cond:
            pipelines = sorted(self.backend.in_region(ctx.account_id, ctx.region), key=lambda p: p.name)
            page, token = _page([pipeline_summary_shape(p) for p in pipelines if not p.deleted], params, 100)
        return {"pipelines": page, "nextToken": token}

    # -- executions ----------------------------------------------------------------------------
    def start_pipeline_execution(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["name"])
        declared = {v["name"] for v in pipeline.declaration.get("variables") or []}
        variables = {}
        for variable in params.get("variables") or []:
            if variable["name"] not in declared:
                raise ValidationException(f"Variable {variable['name']} is not defined in pipeline {pipeline.name}")
            variables[variable["name"]] = variable["value"]
        sources = {a["name"]: a for a in pipeline.declaration["stages"][0]["actions"]}
        overrides = []
        for revision in params.get("sourceRevisions") or []:
            action = sources.get(revision["actionName"])
            if action is None:
                raise ValidationException(f"Source action {revision['actionName']} was not found in pipeline {pipeline.name}")
            allowed = REVISION_TYPES.get(type_key(action), set())
            if revision["revisionType"] not in allowed:
                raise ValidationException(f"Revision type {revision['revisionType']} is not supported by "
                               f"source action {revision['actionName']} ({action['actionTypeId']['provider']})")
            overrides.append(revision)
        execution = self.provider.start_execution(
            pipeline, {"triggerType": "StartPipelineExecution", "triggerDetail": ctx.caller_arn},
            variables=variables, overrides=overrides, client_token=params.get("clientRequestToken"),
        )
        return {"pipelineExecutionId": execution.pipeline_execution_id}

    def stop_pipeline_execution(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        with self.backend.cond:
            execution = self._execution(pipeline, params["pipelineExecutionId"])
            abandon = bool(params.get("abandon"))
            if execution.final:
                raise PipelineExecutionNotStoppableException(f"Unable to stop pipeline execution {execution.pipeline_execution_id}: its status is "
                               f"{execution.status}; only an InProgress execution can be stopped")
            if execution.status == EXEC_STOPPING and not abandon:
                raise DuplicatedStopRequestException(f"Execution {execution.pipeline_execution_id} is already stopping; only a stop and "
                               "abandon request is accepted now")
            self.engine.stop(pipeline, execution, abandon, params.get("reason"))
        return {"pipelineExecutionId": execution.pipeline_execution_id}

    def retry_stage_execution(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        stage_name = params["stageName"]
        with self.backend.cond:
            self._stage(pipeline, stage_name)
            execution = self._execution(pipeline, params["pipelineExecutionId"])
            if execution.pipeline_version != pipeline.version:
                raise StageNotRetryableException("Unable to retry: the pipeline structure has changed since "
                               f"execution {execution.pipeline_execution_id} ran")
            stage_execution = execution.stages.get(stage_name)
            if stage_execution is None or stage_execution.status not in (STAGE_FAILED, STAGE_STOPPED) \
                    or execution.status not in (EXEC_FAILED, EXEC_STOPPED):
                raise StageNotRetryableException(f"Stage {stage_name} of execution "
                               f"{execution.pipeline_execution_id} is not in a failed or stopped state")
            gate = pipeline.gates[stage_name]
            if gate.latest is not stage_execution:
                raise NotLatestPipelineExecutionException(f"Stage {stage_name} has run a later execution; "
                               f"execution {execution.pipeline_execution_id} is out of date")
            if gate.holders:
                raise ConflictException(f"Stage {stage_name} is busy with another execution")
            if params["retryMode"] == "FAILED_ACTIONS" and not any(
                    a.status in (ACTION_FAILED, ACTION_ABANDONED) for a in stage_execution.actions.values()) \
                    and stage_execution.status == STAGE_FAILED:
                raise StageNotRetryableException(f"Stage {stage_name} contains no failed actions")
            self.engine.retry(pipeline, execution, stage_name, params["retryMode"])
        return {"pipelineExecutionId": execution.pipeline_execution_id}

    def get_pipeline_execution(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        with self.backend.cond:
            return {"pipelineExecution": pipeline_execution_shape(self._execution(pipeline, params["pipelineExecutionId"]))}

    def list_pipeline_executions(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        succeeded_in = ((params.get("filter") or {}).get("succeededInStage") or {}).get("stageName")
        with self.backend.cond:
            executions = sorted(pipeline.executions.values(), key=lambda e: e.ordinal, reverse=True)
            if succeeded_in:
                executions = [e for e in executions
                              if getattr(e.stages.get(succeeded_in), "status", None) == STAGE_SUCCEEDED]
            page, token = _page([pipeline_execution_summary_shape(e) for e in executions], params, 100)
        return {"pipelineExecutionSummaries": page, "nextToken": token}

    def list_action_executions(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        flt = params.get("filter") or {}
        with self.backend.cond:
            records = list(reversed(pipeline.action_history))
            execution_id = flt.get("pipelineExecutionId") or (flt.get("latestInPipelineExecution") or {}).get("pipelineExecutionId")
            if execution_id:
                self._execution(pipeline, execution_id)
                records = [r for r in records if r.pipeline_execution_id == execution_id]
            latest = flt.get("latestInPipelineExecution")
            if latest and latest.get("startTimeRange") == "Latest":
                seen, kept = set(), []
                for record in records:
                    key = (record.stage_name, record.action_name)
                    if key not in seen:
                        seen.add(key)
                        kept.append(record)
                records = kept
            page, token = _page([action_execution_detail_shape(r) for r in records], params, 100)
        return {"actionExecutionDetails": page, "nextToken": token}

    def get_pipeline_state(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["name"])
        with self.backend.cond:
            return pipeline_state_shape(pipeline)

    # -- rollback and conditions ---------------------------------------------------------------
    def rollback_stage(self, params: dict, ctx: RequestContext) -> dict:
        """A new ROLLBACK execution of the stage with the target's artifacts (stage-rollback.html)."""
        pipeline = self._pipeline(ctx, params["pipelineName"])
        stage_name, target_id = params["stageName"], params["targetPipelineExecutionId"]
        with self.backend.cond:
            self._stage(pipeline, stage_name)
            target = self._execution(pipeline, target_id)
            if pipeline.declaration.get("pipelineType") != "V2":
                raise ValidationException("Stage rollback is available to pipelines of type V2 only")
            if pipeline.declaration["stages"][0]["name"] == stage_name:
                raise UnableToRollbackStageException(f"Stage {stage_name} is the source stage; a source stage "
                                                     "cannot be rolled back")
            if target.execution_type == ROLLBACK:
                raise UnableToRollbackStageException(f"Execution {target_id} is a rollback execution; the target "
                                                     "of a rollback must be a STANDARD execution")
            if target.pipeline_version != pipeline.version:
                raise PipelineExecutionOutdatedException(
                    f"Execution {target_id} ran pipeline version {target.pipeline_version}; the pipeline is at version "
                    f"{pipeline.version}, so it cannot be used as a target pipeline execution for rollback")
            if getattr(target.stages.get(stage_name), "status", None) != STAGE_SUCCEEDED:
                raise UnableToRollbackStageException(f"Execution {target_id} did not succeed in stage {stage_name}; "
                                                     "the target of a rollback must have succeeded in the stage")
            if pipeline.gates[stage_name].holders:
                raise UnableToRollbackStageException(f"Stage {stage_name} is running; it can be rolled back once "
                                                     "its execution ends")
            execution = self.engine.start_rollback(pipeline, target, stage_name,
                                                   {"triggerType": "ManualRollback", "triggerDetail": ctx.caller_arn})
        return {"pipelineExecutionId": execution.pipeline_execution_id}

    def list_rule_types(self, params: dict, ctx: RequestContext) -> dict:
        # every rule type is owned by AWS and offered in every Region localcloud serves
        return {"ruleTypes": [rule_type_shape(provider) for provider in sorted(RULE_TYPES)]}

    def list_rule_executions(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        flt = params.get("filter") or {}
        with self.backend.cond:
            records = list(reversed(pipeline.rule_history))
            latest = flt.get("latestInPipelineExecution") or {}
            execution_id = flt.get("pipelineExecutionId") or latest.get("pipelineExecutionId")
            if execution_id:
                self._execution(pipeline, execution_id)
                records = [r for r in records if r.pipeline_execution_id == execution_id]
            if latest.get("startTimeRange") == "Latest":
                seen, kept = set(), []
                for record in records:
                    if (record.stage_name, record.rule_name) not in seen:
                        seen.add((record.stage_name, record.rule_name))
                        kept.append(record)
                records = kept
            page, token = _page([rule_execution_detail_shape(r) for r in records], params, 100)
        return {"ruleExecutionDetails": page, "nextToken": token}

    def override_stage_condition(self, params: dict, ctx: RequestContext) -> dict:
        """Let an execution past a beforeEntry or onSuccess condition that is being evaluated."""
        pipeline = self._pipeline(ctx, params["pipelineName"])
        stage_name, execution_id = params["stageName"], params["pipelineExecutionId"]
        kind = {"BEFORE_ENTRY": "beforeEntry", "ON_SUCCESS": "onSuccess"}[params["conditionType"]]
        with self.backend.cond:
            stage = self._stage(pipeline, stage_name)
            execution = pipeline.executions.get(execution_id)
            if execution is None:
                raise ValidationException(f"Pipeline execution ID {execution_id} does not exist in pipeline {pipeline.name}")
            if not stage.get(kind):
                raise ConditionNotOverridableException(f"Stage {stage_name} has no {kind} condition to override")
            latest = pipeline.gates[stage_name].latest
            if latest is None or latest.pipeline_execution_id != execution_id:
                raise NotLatestPipelineExecutionException(f"Execution {execution_id} is not the latest execution of "
                                                          f"stage {stage_name}")
            run = execution.condition
            if run is None or run.kind != kind or run.stage_name != stage_name or run.status != COND_IN_PROGRESS:
                raise ConditionNotOverridableException(f"The {kind} condition of stage {stage_name} is not being "
                                                       f"evaluated for execution {execution_id}; only a condition in "
                                                       "progress can be overridden")
            run.set(COND_OVERRIDDEN, f"Overridden by {ctx.caller_arn}")
            run.stop.set()
            self.backend.cond.notify_all()
        return {}

    # -- approvals and transitions -------------------------------------------------------------
    def put_approval_result(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        with self.backend.cond:
            stage = self._stage(pipeline, params["stageName"])
            action = next((a for a in stage["actions"] if a["name"] == params["actionName"]), None)
            if action is None:
                raise ActionNotFoundException(f"Action {params['actionName']} not found in stage "
                               f"{params['stageName']} of pipeline {pipeline.name}")
            approval = pipeline.approvals.get(params["token"])
            if approval is None or (approval.stage_name, approval.action_name) != (params["stageName"], params["actionName"]):
                raise InvalidApprovalTokenException("The approval request already received a response or has "
                               "expired: the token does not belong to the approval pending on this action")
            if approval.state == DECIDED:
                raise ApprovalAlreadyCompletedException(f"The approval action has already been {approval.status.lower()}")
            if approval.state != "pending":
                raise InvalidApprovalTokenException("The approval request already received a response or has expired")
            approved_at = self.engine.decide_approval(pipeline, approval, params["result"]["status"],
                                                      params["result"]["summary"], ctx.caller_arn)
        return {"approvedAt": approved_at}

    def _transition_stage(self, pipeline: Pipeline, stage_name: str, transition_type: str) -> str:
        self._stage(pipeline, stage_name)
        if transition_type == "Inbound":
            return stage_name
        names = [s["name"] for s in pipeline.declaration["stages"]]
        index = names.index(stage_name)
        if index + 1 >= len(names):
            raise ValidationException(f"Stage {stage_name} is the last stage; it has no outbound transition")
        return names[index + 1]

    def disable_stage_transition(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        with self.backend.cond:
            target = self._transition_stage(pipeline, params["stageName"], params["transitionType"])
            transition = pipeline.transitions[target]
            transition.enabled, transition.disabled_reason = False, params["reason"]
            transition.last_changed_by, transition.last_changed_at = ctx.caller_arn, now()
        return {}

    def enable_stage_transition(self, params: dict, ctx: RequestContext) -> dict:
        pipeline = self._pipeline(ctx, params["pipelineName"])
        with self.backend.cond:
            target = self._transition_stage(pipeline, params["stageName"], params["transitionType"])
            transition = pipeline.transitions[target]
            transition.enabled, transition.disabled_reason = True, None
            transition.last_changed_by, transition.last_changed_at = ctx.caller_arn, now()
            self.backend.cond.notify_all()
        return {}

    # -- tags ----------------------------------------------------------------------------------
    def _tagged(self, arn: str) -> Pipeline:
        match = PIPELINE_ARN.match(arn)
        if not match:
            raise InvalidArnException(f"The ARN {arn} is not a valid CodePipeline pipeline ARN")
        region, account, name = match.groups()
        pipeline = self.backend.get(account, region, name)
        if pipeline is None or pipeline.deleted:
            # AWS words a missing pipeline on its tag operations as on UpdatePipeline: by
            # account and name, not by ARN.
            raise ResourceNotFoundException(
                f"The account with id '{account}' does not include a pipeline with the name '{name}'")
        return pipeline

    def tag_resource(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.cond:
            pipeline = self._tagged(params["resourceArn"])
            new = [t for t in params["tags"] if t["key"] not in pipeline.tags]
            self._check_tags(params["tags"], len(pipeline.tags) + len(new) - len(params["tags"]))
            pipeline.tags.update({t["key"]: t["value"] for t in params["tags"]})
        return {}

    def untag_resource(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.cond:
            pipeline = self._tagged(params["resourceArn"])
            for key in params["tagKeys"]:
                if key.startswith("aws:"):
                    raise InvalidTagsException("Not allowed to modify system tags. System tags start with 'aws:'.")
            for key in params["tagKeys"]:
                pipeline.tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.cond:
            pipeline = self._tagged(params["resourceArn"])
            return {"tags": [{"key": k, "value": v} for k, v in sorted(pipeline.tags.items())]}

    def operations(self) -> dict:
        return {
            "CreatePipeline": self.create_pipeline,
            "GetPipeline": self.get_pipeline,
            "UpdatePipeline": self.update_pipeline,
            "DeletePipeline": self.delete_pipeline,
            "ListPipelines": self.list_pipelines,
            "StartPipelineExecution": self.start_pipeline_execution,
            "StopPipelineExecution": self.stop_pipeline_execution,
            "RetryStageExecution": self.retry_stage_execution,
            "GetPipelineState": self.get_pipeline_state,
            "GetPipelineExecution": self.get_pipeline_execution,
            "ListPipelineExecutions": self.list_pipeline_executions,
            "ListActionExecutions": self.list_action_executions,
            "PutApprovalResult": self.put_approval_result,
            "DisableStageTransition": self.disable_stage_transition,
            "EnableStageTransition": self.enable_stage_transition,
            "RollbackStage": self.rollback_stage,
            "ListRuleTypes": self.list_rule_types,
            "ListRuleExecutions": self.list_rule_executions,
            "OverrideStageCondition": self.override_stage_condition,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
            "ListTagsForResource": self.list_tags_for_resource,
        }
