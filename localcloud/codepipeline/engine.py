"""The execution engine: one worker thread per pipeline execution, stage locking, supersede/queue rules.

Rules (https://docs.aws.amazon.com/codepipeline/latest/userguide/concepts-how-it-works.html):
- A stage holds one execution at a time (SUPERSEDED, QUEUED); executions wait in front of it.
- SUPERSEDED: a newer execution arriving in front of a stage overtakes the one waiting there,
  which ends `Superseded`. Supersession happens only between stages, never inside one.
- QUEUED: executions enter a stage in the order they arrived in front of it.
- PARALLEL: no locks; every execution runs independently.
- A disabled inbound transition keeps executions in front of the stage (the inbound execution).
- A failure, a stop and a cancel release the stage.
Everything is event-driven on one condition variable: a stage transition costs a notify, not a sleep.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from datetime import datetime
from typing import Callable

from localcloud.codepipeline import actions as action_types, conditions, rules
from localcloud.codepipeline.actions import ActionRun, Outcome, denied
from localcloud.codepipeline.actions.approval_manual import DECIDED, PENDING, WITHDRAWN, Approval
from localcloud.codepipeline.artifacts import artifact_key, artifact_store_for
from localcloud.codepipeline.models import (
    ACTION_ABANDONED, ACTION_FAILED, ACTION_IN_PROGRESS, ACTION_SUCCEEDED,
    EXEC_CANCELLED, EXEC_FAILED, EXEC_IN_PROGRESS, EXEC_STOPPED, EXEC_STOPPING, EXEC_SUCCEEDED, EXEC_SUPERSEDED,
    PARALLEL, QUEUED, STAGE_CANCELLED, STAGE_FAILED, STAGE_IN_PROGRESS, STAGE_SKIPPED, STAGE_STOPPED, STAGE_STOPPING,
    STAGE_SUCCEEDED, SUPERSEDED, ActionExecution, ActionRevision, ArtifactLocation, Pipeline, PipelineExecution, StageExecution, CodePipelineBackend, now,
    COND_ABANDONED, COND_CANCELLED, COND_OVERRIDDEN, COND_SUCCEEDED, COND_FAILED, ROLLBACK, STANDARD,
    ConditionRun, ErrorDetails, RuleExecution,
)
from localcloud.codepipeline.variables import UnresolvedVariable, resolve_configuration
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.issued import ISSUED
from localcloud.principal import Principal

log = logging.getLogger("localcloud.codepipeline")

#: How an action is run: (engine, pipeline, execution, action execution, ActionRun) -> Outcome.
#: Tests swap this for fake actions; the provider uses the registered runner modules.
RunnerLookup = Callable[[dict], object]
#: onFailure RETRY retries a failed stage automatically once (RetryStageMetadata.autoStageRetryAttempt)
AUTO_RETRY_ATTEMPTS = 1


def action_principal(declaration: dict, action: dict) -> Principal:
    """The session an action acts as: the action's own role where it names one, else the
    pipeline's service role. CodePipeline names its sessions by the time in milliseconds."""
    role_arn = action.get("roleArn") or declaration.get("roleArn")
    return Principal.assumed_role(role_arn, str(int(time.time() * 1000)))


class ExecutionEngine:
    def __init__(self, cloud, backend: CodePipelineBackend, runner_lookup: RunnerLookup = action_types.runner_for):
        self.cloud = cloud
        self.backend = backend
        self.cond = backend.cond
        self.runner_lookup = runner_lookup
        self.listeners: list[Callable[[str, dict], None]] = []   # (detail-type, detail) state-change hooks

    # -- starting ------------------------------------------------------------------------------
    def start(self, pipeline: Pipeline, trigger: dict, *, variables: dict[str, str] | None = None,
              revisions: dict[str, dict] | None = None, client_token: str | None = None) -> PipelineExecution:
        """Start an execution of the pipeline's current version. `revisions`: source action name ->
        revision captured at trigger time (or overridden by sourceRevisions)."""
        with self.cond:
            if client_token and client_token in pipeline.client_tokens:
                return pipeline.executions[pipeline.client_tokens[client_token]]
            declared = {v["name"]: v.get("defaultValue") for v in pipeline.declaration.get("variables") or []}
            resolved = {k: v for k, v in {**declared, **(variables or {})}.items() if v is not None}
            execution = PipelineExecution(
                pipeline_name=pipeline.name, pipeline_version=pipeline.version,
                declaration=pipeline.versions[pipeline.version], execution_mode=pipeline.execution_mode,
                trigger=trigger, ordinal=self.backend.next_ordinal(), variables=resolved,
            )
            for action_name, revision in (revisions or {}).items():
                execution.source_revisions[action_name] = dict(revision)
            for stage in execution.declaration["stages"][:1]:
                for action in stage["actions"]:
                    if action["name"] in execution.source_revisions and action.get("outputArtifacts"):
                        execution.source_revisions[action["name"]]["artifact"] = action["outputArtifacts"][0]["name"]
            pipeline.executions[execution.pipeline_execution_id] = execution
            if client_token:
                pipeline.client_tokens[client_token] = execution.pipeline_execution_id
            self._spawn(pipeline, execution, first_stage=0)
            self._emit_execution(pipeline, execution, "STARTED")
            log.info("pipeline %s: execution %s started (%s)", pipeline.name, execution.pipeline_execution_id,
                     trigger.get("triggerType"))
            return execution

    def _spawn(self, pipeline: Pipeline, execution: PipelineExecution, first_stage: int, retry_mode: str | None = None):
        worker = threading.Thread(target=self._work, args=(pipeline, execution, first_stage, retry_mode),
                                  name=f"codepipeline-{pipeline.name}-{execution.pipeline_execution_id[:8]}", daemon=True)
        worker.start()

    # -- the worker ----------------------------------------------------------------------------
    def _work(self, pipeline: Pipeline, execution: PipelineExecution, index: int, retry_mode: str | None):
        stages = execution.declaration["stages"]
        try:
            while index < len(stages):
                stage = stages[index]
                name = stage["name"]
                with self.cond:
                    execution.stage_index = index
                    if retry_mode is None and not self._enter(pipeline, execution, name):
                        return
                # Conditions belong to STANDARD executions: a rollback redeploys, it does not re-judge.
                judged = execution.execution_type == STANDARD
                verdict = None
                if retry_mode is None and judged and stage.get("beforeEntry"):
                    verdict = self._condition(pipeline, execution, stage, "beforeEntry")
                if verdict == "SKIP":
                    result = STAGE_SKIPPED
                elif verdict is not None:
                    result = self._condition_stopped(execution) or STAGE_FAILED
                else:
                    result = self._run_stage(pipeline, execution, stage, retry_mode)
                retry_mode = None
                if judged and result == STAGE_SUCCEEDED and stage.get("onSuccess"):
                    verdict = self._condition(pipeline, execution, stage, "onSuccess")
                    if verdict is not None:
                        result = self._condition_stopped(execution) or STAGE_FAILED
                elif judged and result == STAGE_FAILED and stage.get("onFailure") and verdict is None:
                    verdict = self._condition(pipeline, execution, stage, "onFailure")
                    if verdict == "RETRY" and self._auto_retry(pipeline, execution, stage):
                        retry_mode = conditions.retry_mode(stage)
                        continue
                with self.cond:
                    stage_execution = execution.stages[name]
                    if stage_execution.status != result:
                        stage_execution.status = result
                        execution.touch()
                        self._emit_stage(pipeline, execution, name, result.upper())
                    self._leave(pipeline, execution, name)
                    if result not in (STAGE_SUCCEEDED, STAGE_SKIPPED):
                        self._finish(pipeline, execution, {STAGE_FAILED: EXEC_FAILED, STAGE_STOPPED: EXEC_STOPPED,
                                                           STAGE_CANCELLED: EXEC_CANCELLED}[result])
                        if verdict == "ROLLBACK" and result == STAGE_FAILED:
                            self._auto_rollback(pipeline, execution, name)
                        return
                if execution.only_stage:
                    break
                index += 1
            with self.cond:
                self._finish(pipeline, execution, EXEC_SUCCEEDED)
        except Exception:  # never leave an execution InProgress forever
            log.exception("pipeline %s: execution %s crashed", pipeline.name, execution.pipeline_execution_id)
            with self.cond:
                for gate in pipeline.gates.values():
                    if execution.pipeline_execution_id in gate.holders:
                        gate.holders.remove(execution.pipeline_execution_id)
                if not execution.final:
                    execution.status_summary = "localcloud's pipeline engine failed; see its log"
                    self._finish(pipeline, execution, EXEC_FAILED)

    # -- stage conditions ------------------------------------------------------------------------
    def _condition(self, pipeline: Pipeline, execution: PipelineExecution, stage: dict, kind: str) -> str | None:
        """Evaluate the stage's condition of `kind`; the result it engages (FAIL, SKIP, ROLLBACK,
        RETRY), "STOPPED" if the execution stopped meanwhile, or None. beforeEntry and onSuccess
        engage their result when the condition fails (a rule fails); onFailure's condition gates
        its result, which engages when the rules succeed, or at once without a condition."""
        result = conditions.engaged_result(stage, kind)
        if result is None:
            return None
        declared = (stage.get(kind) or {}).get("conditions") or []
        if not declared:
            return result     # onFailure without a condition: its result engages on any failure
        with self.cond:
            run = ConditionRun(kind, stage["name"], execution.pipeline_execution_id)
            execution.condition = run
            pipeline.latest_conditions[(stage["name"], kind)] = run
            execution.touch()
        met = self._evaluate_rules(pipeline, execution, run, declared[0]["rules"])
        with self.cond:
            execution.condition = None
            if run.status == COND_OVERRIDDEN:
                return None
            if met is None:
                run.set(COND_ABANDONED if execution.status == EXEC_CANCELLED else COND_CANCELLED,
                        "The pipeline execution stopped while the condition was evaluated")
                return "STOPPED"
            run.set(COND_SUCCEEDED if met else COND_FAILED,
                    "All rules succeeded" if met else f"A rule failed: the {result} result is engaged"
                    if kind != "onFailure" else "A rule failed: the failure result is not engaged")
            if kind == "onFailure":
                return result if met else None
            return None if met else result

    def _evaluate_rules(self, pipeline, execution, run: ConditionRun, declared: list[dict]) -> bool | None:
        """True if every rule succeeds, False at the first that fails, None if stopped or overridden."""
        for rule in declared:
            region = rule.get("region") or pipeline.region
            role_arn = rule.get("roleArn") or execution.declaration["roleArn"]
            with self.cond:
                if run.stop.is_set():
                    return None
                record = RuleExecution(execution.pipeline_execution_id, execution.pipeline_version, run.stage_name,
                                       rule["name"], rule, region, role_arn)
                run.rules.append(record)
                pipeline.rule_history.append(record)
                namespaces = {"codepipeline": {"PipelineExecutionId": execution.pipeline_execution_id},
                              "variables": dict(execution.variables), **execution.namespaces}
            try:
                record.resolved_configuration = rules.resolve(rule.get("configuration") or {}, namespaces)
            except UnresolvedVariable as err:
                outcome = rules.RuleResult(False, f"Unable to resolve the variable reference {err.reference} "
                                           "in the rule configuration", "ConfigurationError")
            else:
                check = rules.RuleCheck(self.cloud, Principal.assumed_role(role_arn, str(int(time.time() * 1000))),
                                        region, record.resolved_configuration, rule.get("timeoutInMinutes"), run.stop)
                try:
                    outcome = rules.evaluate(rule["ruleTypeId"]["provider"], check)
                except Exception as err:   # an evaluator bug fails the rule loudly, never the engine
                    log.exception("pipeline %s: rule %s crashed", pipeline.name, rule["name"])
                    outcome = rules.RuleResult(False, f"{type(err).__name__}: {err}", "RuleFailed")
            with self.cond:
                if run.stop.is_set():
                    record.status, record.summary = ACTION_ABANDONED, "The condition was overridden or stopped"
                    record.touch()
                    return None
                record.status = ACTION_SUCCEEDED if outcome.succeeded else ACTION_FAILED
                record.summary = outcome.summary
                if not outcome.succeeded:
                    record.error_details = ErrorDetails(outcome.error_code or "RuleFailed", outcome.summary)
                record.touch()
                log.info("pipeline %s: rule %s of %s/%s %s: %s", pipeline.name, rule["name"], run.stage_name,
                         run.kind, record.status, outcome.summary)
                if not outcome.succeeded:
                    return False
        return True

    @staticmethod
    def _condition_stopped(execution: PipelineExecution) -> str | None:
        if execution.status == EXEC_CANCELLED:
            return STAGE_CANCELLED
        if execution.status in (EXEC_STOPPING, EXEC_STOPPED):
            return STAGE_STOPPED
        return None

    def _auto_retry(self, pipeline: Pipeline, execution: PipelineExecution, stage: dict) -> bool:
        """onFailure RETRY: one automatic retry of the stage, in place (RetryStageMetadata)."""
        with self.cond:
            stage_execution = execution.stages[stage["name"]]
            if stage_execution.auto_retries >= AUTO_RETRY_ATTEMPTS or execution.status != EXEC_IN_PROGRESS:
                return False
            stage_execution.auto_retries += 1
            stage_execution.latest_retry_trigger = "AutomatedStageRetry"
            stage_execution.status = STAGE_IN_PROGRESS
            execution.touch()
            self._emit_stage(pipeline, execution, stage["name"], "RESUMED")
            log.info("pipeline %s: execution %s retries stage %s (onFailure RETRY)", pipeline.name,
                     execution.pipeline_execution_id, stage["name"])
            return True

    # -- rollback --------------------------------------------------------------------------------
    def rollback_target(self, pipeline: Pipeline, stage_name: str, failed: PipelineExecution) -> PipelineExecution | None:
        """The execution an automatic rollback returns to: the latest STANDARD execution of the
        current pipeline version whose run of the stage succeeded (stage-rollback.html)."""
        candidates = [e for e in pipeline.executions.values()
                      if e is not failed and e.execution_type == STANDARD and e.pipeline_version == pipeline.version
                      and getattr(e.stages.get(stage_name), "status", None) == STAGE_SUCCEEDED]
        return max(candidates, key=lambda e: e.ordinal, default=None)

    def _auto_rollback(self, pipeline: Pipeline, execution: PipelineExecution, stage_name: str) -> None:
        if execution.pipeline_version != pipeline.version or pipeline.deleted:
            return
        target = self.rollback_target(pipeline, stage_name, execution)
        if target is None:
            execution.status_summary = (f"Stage {stage_name} failed; no rollback: no earlier execution of this "
                                        "pipeline version succeeded in the stage")
            return
        self.start_rollback(pipeline, target, stage_name,
                            {"triggerType": "AutomatedRollback", "triggerDetail": execution.pipeline_execution_id})

    def start_rollback(self, pipeline: Pipeline, target: PipelineExecution, stage_name: str,
                       trigger: dict) -> PipelineExecution:
        """A new execution of type ROLLBACK that runs `stage_name` alone with the target's
        artifacts, variables and source revisions."""
        with self.cond:
            execution = PipelineExecution(
                pipeline_name=pipeline.name, pipeline_version=pipeline.version,
                declaration=pipeline.versions[pipeline.version], execution_mode=pipeline.execution_mode,
                trigger=trigger, ordinal=self.backend.next_ordinal(), variables=dict(target.variables),
                execution_type=ROLLBACK, rollback_target=target.pipeline_execution_id, only_stage=stage_name,
            )
            execution.artifacts = copy.deepcopy(target.artifacts)
            execution.namespaces = copy.deepcopy(target.namespaces)
            execution.source_revisions = copy.deepcopy(target.source_revisions)
            pipeline.executions[execution.pipeline_execution_id] = execution
            self._spawn(pipeline, execution, first_stage=execution.stage_names().index(stage_name))
            self._emit_execution(pipeline, execution, "STARTED")
            log.info("pipeline %s: rollback execution %s of stage %s to execution %s (%s)", pipeline.name,
                     execution.pipeline_execution_id, stage_name, target.pipeline_execution_id, trigger["triggerType"])
            return execution

    def _finish(self, pipeline: Pipeline, execution: PipelineExecution, status: str) -> None:
        if not execution.final:
            execution.status = status
        execution.touch()
        self.cond.notify_all()
        self._emit_execution(pipeline, execution, execution.status.upper())
        log.info("pipeline %s: execution %s %s", pipeline.name, execution.pipeline_execution_id, execution.status)

    # -- stage locking (called with the condition held) ----------------------------------------
    def _enter(self, pipeline: Pipeline, execution: PipelineExecution, stage_name: str) -> bool:
        gate = pipeline.gates[stage_name]
        me = execution.pipeline_execution_id
        execution.waiting = True
        gate.waiting.append(me)
        if execution.execution_mode == SUPERSEDED:
            self._supersede_waiting(pipeline, gate)
        self.cond.notify_all()
        while True:
            if execution.final or execution.status == EXEC_STOPPING or pipeline.deleted:
                if me in gate.waiting:
                    gate.waiting.remove(me)
                if not execution.final:
                    self._finish(pipeline, execution, EXEC_STOPPED)
                return False
            if self._may_enter(pipeline, execution, stage_name):
                gate.waiting.remove(me)
                gate.holders.append(me)
                execution.waiting = False
                stage_execution = StageExecution(stage_name, me, type=execution.execution_type)
                execution.stages[stage_name] = stage_execution
                gate.latest = stage_execution
                execution.touch()
                self._emit_stage(pipeline, execution, stage_name, "STARTED")
                log.info("pipeline %s: execution %s entered stage %s", pipeline.name, me, stage_name)
                return True
            self.cond.wait()

    def _may_enter(self, pipeline: Pipeline, execution: PipelineExecution, stage_name: str) -> bool:
        if not pipeline.transitions[stage_name].enabled:
            return False
        gate = pipeline.gates[stage_name]
        if execution.execution_mode == PARALLEL:
            return True
        if gate.holders:
            return False
        if execution.execution_mode == QUEUED:
            return gate.waiting[0] == execution.pipeline_execution_id
        return True

    def _supersede_waiting(self, pipeline: Pipeline, gate) -> None:
        """SUPERSEDED: of the executions waiting in front of a stage only the newest stays."""
        waiting = [pipeline.executions[i] for i in gate.waiting]
        if len(waiting) < 2:
            return
        newest = max(waiting, key=lambda e: e.ordinal)
        for old in waiting:
            if old is not newest:
                gate.waiting.remove(old.pipeline_execution_id)
                old.status_summary = f"Superseded by execution {newest.pipeline_execution_id}"
                self._finish(pipeline, old, EXEC_SUPERSEDED)

    def _leave(self, pipeline: Pipeline, execution: PipelineExecution, stage_name: str) -> None:
        gate = pipeline.gates.get(stage_name)
        if gate and execution.pipeline_execution_id in gate.holders:
            gate.holders.remove(execution.pipeline_execution_id)
        execution.waiting = True
        self.cond.notify_all()

    # -- running a stage -----------------------------------------------------------------------
    def _run_stage(self, pipeline: Pipeline, execution: PipelineExecution, stage: dict, retry_mode: str | None) -> str:
        name = stage["name"]
        stage_execution = execution.stages[name]
        orders = sorted({a.get("runOrder", 1) for a in stage["actions"]})
        failed = False
        for order in orders:
            group = [a for a in stage["actions"] if a.get("runOrder", 1) == order]
            started: list[ActionExecution] = []
            with self.cond:
                if execution.status != EXEC_IN_PROGRESS:
                    break
                for action in group:
                    previous = stage_execution.actions.get(action["name"])
                    if retry_mode == "FAILED_ACTIONS" and previous is not None and previous.status == ACTION_SUCCEEDED:
                        continue
                    started.append(self._start_action(pipeline, execution, stage_execution, action))
                self.cond.wait_for(lambda: all(a.done for a in started))
                failed = any(a.status in (ACTION_FAILED, ACTION_ABANDONED) for a in stage_execution.actions.values()
                             if a.declaration.get("runOrder", 1) <= order)
            if failed:
                break
        with self.cond:
            if execution.status == EXEC_CANCELLED:
                result = STAGE_CANCELLED
            elif execution.status == EXEC_STOPPING or execution.status == EXEC_STOPPED:
                result = STAGE_STOPPED
            elif failed:
                result = STAGE_FAILED
            else:
                result = STAGE_SUCCEEDED
            stage_execution.status = result
            execution.touch()
            self._emit_stage(pipeline, execution, name, result.upper())
            return result

    def _start_action(self, pipeline: Pipeline, execution: PipelineExecution, stage_execution: StageExecution,
                      action: dict) -> ActionExecution:
        region = action.get("region") or pipeline.region
        record = ActionExecution(
            pipeline_execution_id=execution.pipeline_execution_id, pipeline_version=execution.pipeline_version,
            stage_name=stage_execution.stage_name, action_name=action["name"], declaration=action, region=region,
        )
        stage_execution.actions[action["name"]] = record
        pipeline.action_history.append(record)
        pipeline.latest_actions[(stage_execution.stage_name, action["name"])] = record
        namespaces = {"codepipeline": {"PipelineExecutionId": execution.pipeline_execution_id},
                      "variables": dict(execution.variables), **execution.namespaces}
        try:
            record.resolved_configuration = resolve_configuration(action.get("configuration") or {}, namespaces)
        except UnresolvedVariable as err:
            self._complete(pipeline, execution, record, Outcome.failed(
                "ConfigurationError", f"Unable to resolve the variable reference {err.reference} in the action configuration"))
            return record
        inputs = []
        for artifact in action.get("inputArtifacts") or []:
            location = execution.artifacts.get(artifact["name"])
            if location is None:
                self._complete(pipeline, execution, record, Outcome.failed(
                    "ConfigurationError", f"Input artifact {artifact['name']} was not produced in this execution"))
                return record
            inputs.append({"name": artifact["name"], **location})
        record.input_artifacts = [ArtifactLocation(a["name"], a["bucket"], a["key"]) for a in inputs]
        try:
            store = artifact_store_for(execution.declaration, region)
        except KeyError as err:
            self._complete(pipeline, execution, record, Outcome.failed("ConfigurationError", str(err)))
            return record
        outputs = [{"name": a["name"], "bucket": store["location"], "key": artifact_key(pipeline.name, a["name"])}
                   for a in action.get("outputArtifacts") or []]
        runner = self.runner_lookup(action)
        if runner is None:
            t = action["actionTypeId"]
            self._complete(pipeline, execution, record, Outcome.failed(
                "JobFailed", f"localcloud does not run actions of type {t['category']}/{t['owner']}/{t['provider']}/"
                f"{t['version']}: it runs Source (CodeCommit, S3), Build and Test (CodeBuild), Approval (Manual) "
                "and Deploy (CodeDeploy)"))
            return record
        revision = execution.source_revisions.get(action["name"])
        if execution.execution_mode == PARALLEL and revision and not revision.get("override"):
            revision = None   # PARALLEL: the source action reads HEAD when it starts (execution-modes.html)
        run = ActionRun(
            cloud=self.cloud, pipeline_name=pipeline.name, pipeline_arn=pipeline.arn,
            pipeline_execution_id=execution.pipeline_execution_id, execution_mode=execution.execution_mode,
            stage_name=stage_execution.stage_name, action_name=action["name"], declaration=action,
            configuration=record.resolved_configuration, region=region, account_id=pipeline.account_id,
            input_artifacts=inputs, output_artifacts=outputs, captured_revision=revision,
            abandon_event=record.abandon, report=lambda **fields: self._report(record, fields),
            open_approval=lambda expires: self._open_approval(pipeline, record, expires),
            artifact_revisions={rev["artifact"]: rev.get("revisionId") for rev in execution.source_revisions.values()
                                if rev.get("artifact")},
            principal=action_principal(execution.declaration, action),
        )
        thread = threading.Thread(target=self._run_action, args=(pipeline, execution, record, runner, run),
                                  name=f"codepipeline-action-{action['name']}", daemon=True)
        thread.start()
        self._emit_action(pipeline, execution, record, "STARTED")
        return record

    def _run_action(self, pipeline, execution, record: ActionExecution, runner, run: ActionRun) -> None:
        try:
            outcome = runner.run(run)
        except AccessDeniedByPolicy as err:  # the role may not do what the action does: AWS's words, not a crash
            outcome = denied(err)
        except Exception as err:  # a runner bug or an unexpected AWS answer: the action fails, loudly
            log.exception("pipeline %s: action %s crashed", pipeline.name, record.action_name)
            outcome = Outcome.failed("JobFailed", f"{type(err).__name__}: {err}")
        with self.cond:
            if record.status == ACTION_IN_PROGRESS:
                if outcome.status == ACTION_SUCCEEDED:
                    for artifact in run.output_artifacts:
                        execution.artifacts[artifact["name"]] = {"bucket": artifact["bucket"], "key": artifact["key"]}
                    record.output_artifacts = [ArtifactLocation(a["name"], a["bucket"], a["key"])
                                               for a in run.output_artifacts]
                self._complete(pipeline, execution, record, outcome)

    def _complete(self, pipeline, execution: PipelineExecution, record: ActionExecution, outcome: Outcome) -> None:
        record.status = ACTION_SUCCEEDED if outcome.status == ACTION_SUCCEEDED else ACTION_FAILED
        record.token = None
        for attr in ("summary", "external_execution_id", "external_execution_url"):
            value = getattr(outcome, attr)
            if value is not None:
                setattr(record, attr, value)
        record.error_details = outcome.error_details
        record.output_variables = dict(outcome.output_variables or {})
        if outcome.status == ACTION_SUCCEEDED:
            namespace = record.declaration.get("namespace")
            if namespace:
                execution.namespaces[namespace] = {k: v for k, v in record.output_variables.items() if v is not None}
            if outcome.revision:
                rev = {k: v for k, v in outcome.revision.items() if k != "entityUrl"}
                current = execution.source_revisions.setdefault(record.action_name, {})
                current.update(rev)
                outputs = record.declaration.get("outputArtifacts") or []
                if outputs:
                    current["artifact"] = outputs[0]["name"]
                record.current_revision = ActionRevision(rev.get("revisionId"),
                                                         rev.get("revisionChangeIdentifier") or rev.get("revisionId"),
                                                         rev.get("created") or now())
                record.revision_url = rev.get("revisionUrl")
                record.entity_url = outcome.revision.get("entityUrl")
        record.touch()
        execution.touch()
        self.cond.notify_all()
        self._emit_action(pipeline, execution, record, record.status.upper())

    def _report(self, record: ActionExecution, fields: dict) -> None:
        with self.cond:
            if record.status != ACTION_IN_PROGRESS:
                return
            for key, value in fields.items():
                setattr(record, key, value)
            record.touch()

    # -- approvals -----------------------------------------------------------------------------
    def _open_approval(self, pipeline: Pipeline, record: ActionExecution, expires: datetime) -> Approval:
        with self.cond:
            approval = Approval(str(uuid.uuid4()), record.pipeline_execution_id, record.stage_name,
                                record.action_name, expires)
            pipeline.approvals[approval.token] = approval
            ISSUED.add("approval token", approval.token)
            record.token = approval.token
            # The approval's external id is its token: PARALLEL pipelines hide the token from
            # GetPipelineState and approvers read it from ListActionExecutions instead (PutApprovalResult's model doc).
            record.external_execution_id = approval.token
            record.approval = approval
            if record.status != ACTION_IN_PROGRESS:     # abandoned before it opened
                approval.state = WITHDRAWN
                approval.event.set()
            record.touch()
            # Never log the token: it is what authorises an approval.
            real = self.cloud.clock.scaled(max(0.0, (expires - now()).total_seconds()))
            log.info("pipeline %s: %s/%s waits for approval (expires %s AWS time, %.0f s real at this time scale)",
                     pipeline.name, record.stage_name, record.action_name, expires.isoformat(timespec="seconds"), real)
            return approval

    def decide_approval(self, pipeline: Pipeline, approval: Approval, status: str, summary: str, caller: str) -> datetime:
        with self.cond:
            approval.state, approval.status, approval.summary, approval.decided_by = DECIDED, status, summary, caller
            record = pipeline.latest_actions.get((approval.stage_name, approval.action_name))
            for candidate in reversed(pipeline.action_history):
                if getattr(candidate, "approval", None) is approval:
                    record = candidate
                    break
            if record is not None:
                record.updated_by = caller
            approval.event.set()
            return now()

    # -- stop, cancel, retry -------------------------------------------------------------------
    def abandon_actions(self, pipeline: Pipeline, execution: PipelineExecution) -> None:
        """Mark the execution's in-progress actions Abandoned; their runners see `abandon` and the
        downstream work (a build, a deployment) keeps going, as on AWS. A condition being
        evaluated stops too."""
        if execution.condition is not None:
            execution.condition.stop.set()
        for stage_execution in execution.stages.values():
            for record in stage_execution.actions.values():
                if record.status == ACTION_IN_PROGRESS:
                    record.status = ACTION_ABANDONED
                    record.token = None
                    record.touch()
                    record.abandon.set()
                    approval = record.approval
                    if approval is not None and approval.state == PENDING:
                        approval.state = WITHDRAWN
                        approval.event.set()
                    self._emit_action(pipeline, execution, record, "ABANDONED")
        self.cond.notify_all()

    def stop(self, pipeline: Pipeline, execution: PipelineExecution, abandon: bool, reason: str | None) -> None:
        with self.cond:
            if reason is not None:
                execution.stop_reason = reason
            execution.stop_abandon = execution.stop_abandon or abandon
            if execution.waiting:
                # Waiting in front of a stage: nothing runs, so it is Stopped at once.
                execution.status = EXEC_STOPPING
                self.cond.notify_all()
                return
            execution.status = EXEC_STOPPING
            if execution.condition is not None:     # a rule check is no work to wait for
                execution.condition.stop.set()
            current = execution.stages.get(execution.stage_names()[execution.stage_index])
            if current is not None and current.status == STAGE_IN_PROGRESS:
                current.status = STAGE_STOPPING
            if abandon:
                self.abandon_actions(pipeline, execution)
            execution.touch()
            self._emit_execution(pipeline, execution, "STOPPING")
            self.cond.notify_all()

    def cancel(self, pipeline: Pipeline, execution: PipelineExecution, summary: str, status: str = EXEC_CANCELLED) -> None:
        """UpdatePipeline: the execution does not continue; it ends `status` (Cancelled, or Failed as
        the older docs say: api.UPDATE_ENDS_EXECUTIONS_WITH)."""
        with self.cond:
            if execution.final:
                return
            execution.status_summary = summary
            execution.status = status
            for stage_execution in execution.stages.values():
                if stage_execution.status in (STAGE_IN_PROGRESS, STAGE_STOPPING):
                    stage_execution.status = STAGE_CANCELLED if status == EXEC_CANCELLED else STAGE_FAILED
            self.abandon_actions(pipeline, execution)
            for gate in pipeline.gates.values():
                if execution.pipeline_execution_id in gate.waiting:
                    gate.waiting.remove(execution.pipeline_execution_id)
            execution.touch()
            self._emit_execution(pipeline, execution, "CANCELED" if status == EXEC_CANCELLED else "FAILED")
            self.cond.notify_all()

    def retry(self, pipeline: Pipeline, execution: PipelineExecution, stage_name: str, mode: str) -> None:
        """Checks done by the API; the same execution continues from `stage_name`."""
        with self.cond:
            gate = pipeline.gates[stage_name]
            stage_execution = execution.stages[stage_name]
            stage_execution.status = STAGE_IN_PROGRESS
            stage_execution.manual_retries += 1
            stage_execution.latest_retry_trigger = "ManualStageRetry"
            gate.holders.append(execution.pipeline_execution_id)
            execution.status = EXEC_IN_PROGRESS
            execution.status_summary = None
            execution.stop_reason = None
            execution.stop_abandon = False
            execution.waiting = False
            execution.touch()
            self._spawn(pipeline, execution, execution.stage_names().index(stage_name), retry_mode=mode)
            self._emit_stage(pipeline, execution, stage_name, "RESUMED")

    # -- state-change events -------------------------------------------------------------------
    def _emit_execution(self, pipeline, execution, state: str) -> None:
        self._emit("CodePipeline Pipeline Execution State Change", pipeline, execution, {"state": state})

    def _emit_stage(self, pipeline, execution, stage: str, state: str) -> None:
        self._emit("CodePipeline Stage Execution State Change", pipeline, execution, {"stage": stage, "state": state})

    def _emit_action(self, pipeline, execution, record: ActionExecution, state: str) -> None:
        t = record.declaration["actionTypeId"]
        self._emit("CodePipeline Action Execution State Change", pipeline, execution, {
            "stage": record.stage_name, "action": record.action_name, "state": state, "region": record.region,
            "type": {"owner": t["owner"], "category": t["category"], "provider": t["provider"], "version": t["version"]},
        })

    def _emit(self, detail_type: str, pipeline, execution, extra: dict) -> None:
        if not self.listeners:
            return
        detail = {"pipeline": pipeline.name, "execution-id": execution.pipeline_execution_id,
                  "version": float(execution.pipeline_version), **extra}
        for listener in self.listeners:
            try:
                listener(detail_type, {"pipeline": pipeline, "detail": detail})
            except Exception:
                log.exception("state-change listener failed")
