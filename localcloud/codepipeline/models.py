"""CodePipeline state: pipelines (with every version), executions, stage and action executions.

Only state and its rules live here; what moves an execution forward is engine.py, and shapes.py
renders the state in AWS's shapes for api.py.
Every mutation happens under `CodePipelineBackend.cond` (one condition for the whole provider: contention is
negligible at localcloud's scale and one lock makes the stage-locking rules easy to reason about).
Status values are exactly botocore's enums (the codepipeline model): there is no action-level
Stopped, Cancelled or Superseded.
"""
from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localcloud.clock import Clock

# PipelineExecutionStatus
EXEC_IN_PROGRESS, EXEC_STOPPING, EXEC_STOPPED = "InProgress", "Stopping", "Stopped"
EXEC_SUCCEEDED, EXEC_FAILED = "Succeeded", "Failed"
EXEC_SUPERSEDED, EXEC_CANCELLED = "Superseded", "Cancelled"
EXEC_FINAL = {EXEC_STOPPED, EXEC_SUCCEEDED, EXEC_FAILED, EXEC_SUPERSEDED, EXEC_CANCELLED}
# StageExecutionStatus
STAGE_IN_PROGRESS, STAGE_STOPPING, STAGE_STOPPED = "InProgress", "Stopping", "Stopped"
STAGE_SUCCEEDED, STAGE_FAILED, STAGE_CANCELLED = "Succeeded", "Failed", "Cancelled"
STAGE_SKIPPED = "Skipped"
# ConditionExecutionStatus (RuleExecutionStatus is the action statuses)
COND_IN_PROGRESS, COND_SUCCEEDED, COND_FAILED, COND_ERRORED = "InProgress", "Succeeded", "Failed", "Errored"
COND_CANCELLED, COND_ABANDONED, COND_OVERRIDDEN = "Cancelled", "Abandoned", "Overridden"
# ExecutionType
STANDARD, ROLLBACK = "STANDARD", "ROLLBACK"
# ActionExecutionStatus
ACTION_IN_PROGRESS, ACTION_SUCCEEDED, ACTION_FAILED, ACTION_ABANDONED = "InProgress", "Succeeded", "Failed", "Abandoned"

SUPERSEDED, QUEUED, PARALLEL = "SUPERSEDED", "QUEUED", "PARALLEL"


def now() -> datetime:
    return Clock.now()


@dataclass
class Transition:
    """The inbound transition of a stage (DisableStageTransition/EnableStageTransition)."""
    enabled: bool = True
    last_changed_by: str | None = None
    last_changed_at: datetime | None = None
    disabled_reason: str | None = None



@dataclass(frozen=True)
class ArtifactLocation:
    """An input or output artifact of one action execution: where its zip is in the artifact store."""
    name: str
    bucket: str
    key: str


@dataclass(frozen=True)
class ErrorDetails:
    """Why an action failed (shown as errorDetails)."""
    code: str
    message: str


@dataclass(frozen=True)
class ActionRevision:
    """The revision a source action produced (shown as the action's currentRevision)."""
    revision_id: str | None
    revision_change_id: str | None
    created: datetime


@dataclass
class ActionExecution:
    """One run of one action (a retry is a new ActionExecution with a new id)."""
    pipeline_execution_id: str
    pipeline_version: int
    stage_name: str
    action_name: str
    declaration: dict
    region: str
    action_execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = ACTION_IN_PROGRESS
    start_time: datetime = field(default_factory=now)
    last_update_time: datetime = field(default_factory=now)
    updated_by: str | None = None
    resolved_configuration: dict | None = None
    input_artifacts: list[ArtifactLocation] = field(default_factory=list)
    output_artifacts: list[ArtifactLocation] = field(default_factory=list)
    output_variables: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    external_execution_id: str | None = None
    external_execution_url: str | None = None
    error_details: ErrorDetails | None = None
    token: str | None = None                  # approval token while waiting
    current_revision: ActionRevision | None = None   # source actions: the revision they produced
    revision_url: str | None = None
    entity_url: str | None = None
    abandon: threading.Event = field(default_factory=threading.Event)  # tells the runner to give up
    approval: Any = None                      # approval actions: the Approval it opened

    @property
    def done(self) -> bool:
        return self.status != ACTION_IN_PROGRESS

    def touch(self) -> None:
        self.last_update_time = now()



@dataclass
class RuleExecution:
    """One check of one rule of a stage condition (ListRuleExecutions, the condition states)."""
    pipeline_execution_id: str
    pipeline_version: int
    stage_name: str
    rule_name: str
    declaration: dict
    region: str
    role_arn: str
    rule_execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = ACTION_IN_PROGRESS
    start_time: datetime = field(default_factory=now)
    last_update_time: datetime = field(default_factory=now)
    resolved_configuration: dict | None = None
    summary: str | None = None
    error_details: ErrorDetails | None = None

    def touch(self) -> None:
        self.last_update_time = now()


@dataclass
class ConditionRun:
    """One evaluation of a stage's beforeEntry, onSuccess or onFailure condition."""
    kind: str                                  # beforeEntry | onSuccess | onFailure
    stage_name: str
    pipeline_execution_id: str
    status: str = COND_IN_PROGRESS
    summary: str | None = None
    last_status_change: datetime = field(default_factory=now)
    rules: list[RuleExecution] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)   # override or abandon

    def set(self, status: str, summary: str | None) -> None:
        self.status, self.summary, self.last_status_change = status, summary, now()


@dataclass
class StageExecution:
    """One execution's pass through one stage."""
    stage_name: str
    pipeline_execution_id: str
    status: str = STAGE_IN_PROGRESS
    actions: dict[str, ActionExecution] = field(default_factory=dict)  # latest run of each action
    type: str = STANDARD                       # ROLLBACK in a rollback execution
    auto_retries: int = 0                      # onFailure RETRY attempts
    manual_retries: int = 0                    # RetryStageExecution calls
    latest_retry_trigger: str | None = None    # AutomatedStageRetry | ManualStageRetry



@dataclass
class PipelineExecution:
    pipeline_name: str
    pipeline_version: int
    declaration: dict          # the pipeline version this execution runs (a snapshot)
    execution_mode: str
    trigger: dict              # {triggerType, triggerDetail}
    ordinal: int               # creation order: "newer" in the supersede rules
    variables: dict[str, str]  # resolved pipeline-level variables
    pipeline_execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = EXEC_IN_PROGRESS
    status_summary: str | None = None
    start_time: datetime = field(default_factory=now)
    last_update_time: datetime = field(default_factory=now)
    stop_reason: str | None = None
    stop_abandon: bool = False
    #: action name -> {revisionId, revisionSummary?, revisionUrl?, created?, artifact?}; known at
    #: trigger time for a push (the pushed commit), else when the source action resolves it.
    source_revisions: dict[str, dict] = field(default_factory=dict)
    #: explicit StartPipelineExecution sourceRevisions: action name -> {revisionType, revisionValue}
    artifacts: dict[str, dict] = field(default_factory=dict)         # artifact name -> {bucket, key}
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    stages: dict[str, StageExecution] = field(default_factory=dict)
    stage_index: int = 0       # the stage it is in, or waits in front of
    execution_type: str = STANDARD
    rollback_target: str | None = None    # ROLLBACK: the execution whose artifacts it redeploys
    only_stage: str | None = None         # ROLLBACK: the one stage it runs
    condition: "ConditionRun | None" = None   # the condition being evaluated now
    waiting: bool = True       # True while in front of a stage (not holding it)

    @property
    def final(self) -> bool:
        return self.status in EXEC_FINAL

    def touch(self) -> None:
        self.last_update_time = now()

    def stage_names(self) -> list[str]:
        return [s["name"] for s in self.declaration["stages"]]



@dataclass
class StageGate:
    """Who holds a stage and who waits in front of it (see engine.py for the rules)."""
    holders: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)   # arrival order
    latest: StageExecution | None = None               # the stage's own latest execution


@dataclass
class Pipeline:
    name: str
    region: str
    account_id: str
    declaration: dict
    created: datetime = field(default_factory=now)
    updated: datetime = field(default_factory=now)
    tags: dict[str, str] = field(default_factory=dict)
    versions: dict[int, dict] = field(default_factory=dict)
    transitions: dict[str, Transition] = field(default_factory=dict)
    gates: dict[str, StageGate] = field(default_factory=dict)
    executions: dict[str, PipelineExecution] = field(default_factory=dict)   # insertion = start order
    client_tokens: dict[str, str] = field(default_factory=dict)
    action_history: list[ActionExecution] = field(default_factory=list)
    latest_actions: dict[tuple[str, str], ActionExecution] = field(default_factory=dict)
    polled_heads: dict[str, str | None] = field(default_factory=dict)      # source action -> last seen head
    approvals: dict[str, Any] = field(default_factory=dict)                 # token -> Approval (every one issued)
    rule_history: list[RuleExecution] = field(default_factory=list)
    latest_conditions: dict[tuple[str, str], ConditionRun] = field(default_factory=dict)  # (stage, kind)
    deleted: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account_id}:{self.name}"

    @property
    def version(self) -> int:
        return self.declaration["version"]

    @property
    def execution_mode(self) -> str:
        return self.declaration.get("executionMode", SUPERSEDED)

    def stage(self, name: str) -> dict | None:
        return next((s for s in self.declaration["stages"] if s["name"] == name), None)

    def set_declaration(self, declaration: dict) -> None:
        self.declaration = declaration
        self.versions[declaration["version"]] = copy.deepcopy(declaration)
        names = [s["name"] for s in declaration["stages"]]
        self.transitions = {n: self.transitions.get(n, Transition()) for n in names}
        self.gates = {n: self.gates.get(n, StageGate()) for n in names}



class CodePipelineBackend:
    """All pipelines of one localcloud, per (account, region)."""

    def __init__(self):
        self.cond = threading.Condition(threading.RLock())
        self.pipelines: dict[tuple[str, str, str], Pipeline] = {}
        self._ordinal = 0

    def next_ordinal(self) -> int:
        self._ordinal += 1
        return self._ordinal

    def get(self, account_id: str, region: str, name: str) -> Pipeline | None:
        return self.pipelines.get((account_id, region, name))

    def put(self, pipeline: Pipeline) -> None:
        self.pipelines[(pipeline.account_id, pipeline.region, pipeline.name)] = pipeline

    def remove(self, pipeline: Pipeline) -> None:
        self.pipelines.pop((pipeline.account_id, pipeline.region, pipeline.name), None)

    def in_region(self, account_id: str, region: str) -> list[Pipeline]:
        return [p for (a, r, _), p in self.pipelines.items() if a == account_id and r == region]

    def all(self) -> list[Pipeline]:
        return list(self.pipelines.values())

    def clear(self) -> None:
        self.pipelines.clear()
