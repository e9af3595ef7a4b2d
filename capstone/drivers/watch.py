"""Follow one pipeline execution — the one whose source revision is a given commit — stage by
stage, recording and logging every transition, and wait on it with deadlines.

GetPipelineState shows, for each stage, that stage's OWN latest execution, which may belong to
another run; everything here is filtered by our pipelineExecutionId. Action states come from
ListActionExecutions filtered by the execution, which is per-run by construction.

    watcher = PipelineWatcher.for_commit(codepipeline, "my-pipeline", commit, deadline=60)
    watcher.wait_for(stage_is("Approval", "InProgress"), 120, what="Approval waiting")
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from capstone import evidence
from capstone.aws_status import EXECUTION_ENDED
from capstone.retry import Backoff, Deadline, WaitTimeout


class ExecutionEnded(AssertionError):
    """The watched execution reached a state from which what we wait for cannot happen."""


@dataclass(frozen=True)
class StageChange:
    """One status change of the execution, one of its stages or one action, as the watcher saw it."""
    t: float                  # wall-clock time we saw it
    level: str                # "execution" | "stage" | "action"
    name: str                 # "" | stage | "stage/action"
    old: str | None
    new: str | None
    detail: dict = field(default_factory=dict)   # summary, external id, error details (never a token)


@dataclass
class StageView:
    name: str
    status: str | None             # our execution's status in this stage; None: not reached
    inbound: bool = False          # our execution waits in front of this stage
    token: str | None = None       # approval token for OUR execution, while an approval waits
    state: dict = field(default_factory=dict, repr=False)   # the stage state, token removed


@dataclass
class Snapshot:
    t: float
    execution: dict
    stages: dict[str, StageView]
    actions: dict[str, dict]       # "stage/action" -> latest ActionExecutionDetail of our execution

    @property
    def status(self) -> str | None:
        return self.execution.get("status")

    def stage(self, name: str) -> StageView:
        return self.stages.get(name) or StageView(name, None)

    def action(self, stage: str, action: str) -> dict | None:
        return self.actions.get(f"{stage}/{action}")

    def failures(self) -> list[str]:
        """Why each failed action of our execution failed, as CodePipeline says it
        ("Build/Build: JobFailed: Error calling startBuild: User: ... is not authorized ...")."""
        reasons = []
        for key, detail in self.actions.items():
            if detail.get("status") != "Failed":
                continue
            error = ((detail.get("output") or {}).get("executionResult") or {}).get("errorDetails") or {}
            reasons.append(f"{key}: {error.get('code', '?')}: {error.get('message', 'no error details')}")
        return reasons

    def describe(self) -> str:
        stages = ", ".join(
            f"{view.name} {view.status or ('inbound' if view.inbound else '-')}" for view in self.stages.values())
        summary = self.execution.get("statusSummary")
        failures = self.failures()
        why = f"; failed: {'; '.join(failures)}" if failures else ""
        return f"execution {self.status}{f' ({summary})' if summary else ''}; stages: {stages}{why}"

    def to_dict(self) -> dict:
        return {"execution": {k: v for k, v in self.execution.items() if k != "variables"},
                "stages": {n: {"status": v.status, "inbound": v.inbound, "state": v.state} for n, v in self.stages.items()},
                "actions": self.actions}


# -- predicates ---------------------------------------------------------------------------------
def execution_is(*statuses: str) -> Callable[[Snapshot], bool]:
    return lambda snap: snap.status in statuses


def stage_is(stage: str, *statuses: str) -> Callable[[Snapshot], bool]:
    return lambda snap: snap.stage(stage).status in statuses


def ended(snap: Snapshot) -> str | None:
    """The default give-up rule: the execution is over."""
    return f"the execution ended {snap.status}" if snap.status in EXECUTION_ENDED else None


class PipelineWatcher:
    def __init__(self, client, pipeline: str, execution_id: str, *, backoff: Backoff | None = None,
                 log: Callable[[str], None] | None = None, commit: str | None = None):
        self.client = client
        self.pipeline = pipeline
        self.execution_id = execution_id
        self.commit = commit
        self.backoff = backoff or Backoff()
        self._log = log or (lambda line: print(line, flush=True))
        self.transitions: list[StageChange] = []
        self.last: Snapshot | None = None
        self._started = time.time()
        self._seen: dict[tuple[str, str], str | None] = {}
        self._stage_status: dict[str, str | None] = {}
        #: called with every new snapshot (e.g. to follow the build or deployment an action started)
        self.observers: list[Callable[[Snapshot], None]] = []
        #: "stage/action" of every manual approval seen: their external id IS the approval token
        self._approval_actions: set[str] = set()
        self._declared = False

    # -- finding the execution of a commit ----------------------------------------------------
    @classmethod
    def for_commit(cls, client, pipeline: str, commit: str, deadline: float | Deadline, **kwargs) -> "PipelineWatcher":
        """Wait until an execution whose source revision is `commit` exists, and watch it."""
        deadline = Deadline.of(deadline)
        backoff = kwargs.get("backoff") or Backoff()
        seen: list[dict] = []
        while True:
            seen = client.list_pipeline_executions(pipelineName=pipeline, maxResults=20)["pipelineExecutionSummaries"]
            found = find_execution_of(client, pipeline, commit, seen)
            if found:
                watcher = cls(client, pipeline, found, commit=commit, **kwargs)
                watcher._say(f"execution {found} runs commit {commit[:12]}")
                evidence.event("execution", pipeline=pipeline, execution_id=found, commit=commit)
                return watcher
            if deadline.expired():
                recent = [(s["pipelineExecutionId"][:8], s["status"],
                           [r.get("revisionId", "")[:12] for r in s.get("sourceRevisions", [])]) for s in seen[:5]]
                raise WaitTimeout(
                    f"timed out after {deadline.seconds:.0f}s waiting for an execution of pipeline {pipeline} "
                    f"with source revision {commit[:12]}; last executions seen (id, status, revisions): {recent}")
            deadline.sleep(backoff.next())

    # -- observing ----------------------------------------------------------------------------
    def _learn_approval_actions(self) -> None:
        """Every manual approval the pipeline declares, once: their external ids are tokens even
        in an earlier execution's state, before our run reaches them."""
        if self._declared:
            return
        pipeline = self.client.get_pipeline(name=self.pipeline)["pipeline"]
        for stage in pipeline.get("stages", []):
            for action in stage.get("actions", []):
                if (action.get("actionTypeId") or {}).get("category") == "Approval":
                    self._approval_actions.add(f"{stage['name']}/{action['name']}")
        self._declared = True

    def poll(self) -> Snapshot:
        self._learn_approval_actions()
        execution = self.client.get_pipeline_execution(
            pipelineName=self.pipeline, pipelineExecutionId=self.execution_id)["pipelineExecution"]
        state = self.client.get_pipeline_state(name=self.pipeline)
        actions = self._actions()
        stages = {s["stageName"]: self._stage_view(s, actions) for s in state.get("stageStates", [])}
        self._settle_passed_stages(stages, actions)
        snap = Snapshot(time.time(), execution, stages, actions)
        self._record(snap)
        self.last = snap
        for observe in self.observers:
            observe(snap)
        return snap

    def _actions(self) -> dict[str, dict]:
        latest: dict[str, dict] = {}
        kwargs: dict[str, Any] = {"pipelineName": self.pipeline, "filter": {"pipelineExecutionId": self.execution_id}}
        while True:
            page = self.client.list_action_executions(**kwargs)
            for detail in page.get("actionExecutionDetails", []):
                key = f"{detail['stageName']}/{detail['actionName']}"
                if ((detail.get("input") or {}).get("actionTypeId") or {}).get("category") == "Approval":
                    self._approval_actions.add(key)
                    detail = _without_approval_id(detail)
                if key not in latest or _start(detail) >= _start(latest[key]):
                    latest[key] = detail
            if not page.get("nextToken"):
                return latest
            kwargs["nextToken"] = page["nextToken"]

    def _stage_view(self, stage: dict, actions: dict[str, dict]) -> StageView:
        name = stage["stageName"]
        latest = stage.get("latestExecution") or {}
        inbound_ids = {e.get("pipelineExecutionId") for e in stage.get("inboundExecutions") or []}
        if stage.get("inboundExecution"):
            inbound_ids.add(stage["inboundExecution"].get("pipelineExecutionId"))
        token = None
        if latest.get("pipelineExecutionId") == self.execution_id:
            # the stage's latest run is ours: its status (and any approval token) are ours
            self._stage_status[name] = latest.get("status")
            token = next((a["latestExecution"]["token"] for a in stage.get("actionStates", [])
                          if (a.get("latestExecution") or {}).get("token")
                          and a["latestExecution"].get("status") == "InProgress"), None)
        else:
            # A newer run is in the stage now (it may have entered the moment ours left, before
            # we looked): our run's own action executions say how the stage went for it.
            derived = _stage_from_actions([a for key, a in actions.items() if key.split("/", 1)[0] == name])
            if derived and self._stage_status.get(name) in (None, "InProgress"):
                self._stage_status[name] = derived
        return StageView(name, self._stage_status.get(name), self.execution_id in inbound_ids, token,
                         _without_tokens(stage, self._approval_actions))

    def _settle_passed_stages(self, stages: dict[str, StageView], actions: dict[str, dict]) -> None:
        """A stage our run has already left cannot still be InProgress for it: if a later stage
        shows our run while GetPipelineState still reports an earlier one InProgress (a read that
        lags), our own action executions say how that stage ended."""
        names = list(stages)
        for i, name in enumerate(names):
            view = stages[name]
            if view.status != "InProgress" or not any(stages[later].status for later in names[i + 1:]):
                continue
            derived = _stage_from_actions([a for key, a in actions.items() if key.split("/", 1)[0] == name])
            if derived in ("Succeeded", "Failed"):
                view.status = self._stage_status[name] = derived

    def _record(self, snap: Snapshot) -> None:
        changes = [("execution", "", snap.status, {"summary": snap.execution.get("statusSummary")})]
        changes += [("stage", name, view.status, {}) for name, view in snap.stages.items()]
        changes += [("stage-inbound", name, "waiting" if view.inbound else None, {})
                    for name, view in snap.stages.items()]
        for key, detail in snap.actions.items():
            result = (detail.get("output") or {}).get("executionResult") or {}
            changes.append(("action", key, detail.get("status"), {
                "externalExecutionId": result.get("externalExecutionId"),
                "summary": result.get("externalExecutionSummary"),
                "errorDetails": result.get("errorDetails")}))
        moved = False
        for level, name, new, detail in changes:
            key = (level, name)
            known, old = key in self._seen, self._seen.get(key)
            self._seen[key] = new
            if (known and old == new) or (not known and new is None):
                continue
            moved = True
            detail = {k: v for k, v in detail.items() if v}
            self.transitions.append(StageChange(snap.t, level, name, old, new, detail))
            label = {"execution": "execution", "stage-inbound": f"{name} (inbound)"}.get(level, name)
            extra = f" {detail}" if detail else ""
            self._say(f"{label}: {old or '-'} -> {new or '-'}{extra}")
            evidence.event("pipeline", pipeline=self.pipeline, execution_id=self.execution_id,
                           level=level, name=name, old=old, new=new, **detail)
            if level == "stage" and new:
                with evidence.step(f"stage {name}: {old or '-'} -> {new}"):
                    evidence.attach(f"pipeline state at {name} {new}", snap.to_dict())
        if moved:
            self.backoff.reset()

    def _say(self, message: str) -> None:
        self._log(f"[watch {self.pipeline} {self.execution_id[:8]}] +{time.time() - self._started:6.2f}s {message}")

    # -- waiting ------------------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[Snapshot], bool], deadline: float | Deadline, what: str, *,
                 fail_if: Callable[[Snapshot], str | None] | None = ended) -> Snapshot:
        """Poll until predicate(snapshot); raise ExecutionEnded as soon as fail_if gives a reason,
        WaitTimeout at the deadline — both naming `what` and the last state seen."""
        deadline = Deadline.of(deadline)
        while True:
            snap = self.poll()
            if predicate(snap):
                return snap
            reason = fail_if(snap) if fail_if else None
            if reason:
                evidence.attach(f"pipeline state when {what} became impossible", snap.to_dict())
                raise ExecutionEnded(
                    f"pipeline {self.pipeline} execution {self.execution_id}: {reason} while waiting for {what}; "
                    f"last state: {snap.describe()}")
            if deadline.expired():
                evidence.attach(f"pipeline state at timeout waiting for {what}", snap.to_dict())
                raise WaitTimeout(
                    f"timed out after {deadline.seconds:.0f}s waiting for {what} on pipeline {self.pipeline} "
                    f"execution {self.execution_id}; last state: {snap.describe()}")
            deadline.sleep(self.backoff.next())

    def wait_for_stage(self, stage: str, statuses: str | Iterable[str], deadline: float | Deadline, **kw) -> Snapshot:
        wanted = (statuses,) if isinstance(statuses, str) else tuple(statuses)
        return self.wait_for(stage_is(stage, *wanted), deadline, what=f"stage {stage} {'|'.join(wanted)}", **kw)

    def wait_until_done(self, deadline: float | Deadline) -> Snapshot:
        return self.wait_for(lambda s: s.status in EXECUTION_ENDED, deadline, what="the execution to end", fail_if=None)

    # -- what was seen ------------------------------------------------------------------------
    def ever(self, level: str, name: str, status: str) -> bool:
        """Did we ever see `name` (a stage, or "stage/action") at `status` in this execution?"""
        return any(t.level == level and t.name == name and t.new == status for t in self.transitions)

    def timeline(self) -> list[dict]:
        return [{"t": t.t, "level": t.level, "name": t.name, "old": t.old, "new": t.new, **t.detail}
                for t in self.transitions]

    def external_id(self, stage: str, action: str) -> str | None:
        """The action's externalExecutionId in our execution (commit, build id, deployment id)."""
        snap = self.last or self.poll()
        detail = snap.action(stage, action) or {}
        return ((detail.get("output") or {}).get("executionResult") or {}).get("externalExecutionId")


def find_execution_of(client, pipeline: str, commit: str, summaries: list[dict]) -> str | None:
    """The newest execution whose source revision is `commit`: ListPipelineExecutions'
    sourceRevisions first; executions that do not list them yet are asked with
    GetPipelineExecution (artifactRevisions)."""
    for summary in summaries:  # newest first
        revisions = summary.get("sourceRevisions") or []
        if any(r.get("revisionId") == commit for r in revisions):
            return summary["pipelineExecutionId"]
        if not revisions and summary.get("status") == "InProgress":
            execution = client.get_pipeline_execution(
                pipelineName=pipeline, pipelineExecutionId=summary["pipelineExecutionId"])["pipelineExecution"]
            if any(r.get("revisionId") == commit for r in execution.get("artifactRevisions") or []):
                return summary["pipelineExecutionId"]
    return None


def _stage_from_actions(actions: list[dict]) -> str | None:
    """A stage's status for one execution from that execution's actions in it, or None."""
    statuses = {a.get("status") for a in actions}
    if not statuses:
        return None
    if "Failed" in statuses or "Abandoned" in statuses:
        return "Failed"
    if statuses == {"Succeeded"}:
        return "Succeeded"
    return "InProgress"


def _start(detail: dict) -> float:
    value = detail.get("startTime")
    return value.timestamp() if hasattr(value, "timestamp") else float(value or 0)


def _without_tokens(stage: dict, approval_actions: set[str] = frozenset()) -> dict:
    """The stage state for evidence: approval tokens are credentials of a kind — never recorded.
    A manual approval's `externalExecutionId` is its token too (AWS tells PARALLEL-mode approvers
    to read the token there), so it goes with the token, whether or not a token is shown."""
    clean = dict(stage)
    actions = []
    for a in stage.get("actionStates", []):
        latest = a.get("latestExecution") or {}
        approval = "token" in latest or f"{stage.get('stageName')}/{a.get('actionName')}" in approval_actions
        hidden = {"token", "externalExecutionId"} if approval else {"token"}
        actions.append({**a, "latestExecution": {k: v for k, v in latest.items() if k not in hidden}})
    clean["actionStates"] = actions
    return clean


def _without_approval_id(detail: dict) -> dict:
    """An approval's ListActionExecutions detail without its externalExecutionId (the token)."""
    output = dict(detail.get("output") or {})
    result = {k: v for k, v in (output.get("executionResult") or {}).items() if k != "externalExecutionId"}
    if "executionResult" in output:
        output["executionResult"] = result
    return {**detail, "output": output} if "output" in detail else detail
