"""Approve or reject the manual approval of one watched execution, as a reviewer does.

The token is on the ACTION state — stageStates[].actionStates[].latestExecution.token — and only
while the approval is InProgress for our execution (the watcher filters by execution id). Tokens
are never logged or recorded: the evidence gets who, when, the decision and the summary.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Callable

from capstone import evidence
from capstone.retry import Deadline, WaitTimeout
from capstone.drivers.watch import ExecutionEnded, PipelineWatcher, Snapshot, ended


class ApprovalUnavailable(AssertionError):
    """The approval of the watched execution never became available; the stage state is attached."""


class Approver:
    def __init__(self, client, pipeline: str, stage: str = "Approval", action: str = "ManualApproval", *,
                 log: Callable[[str], None] | None = None):
        self.client = client
        self.pipeline = pipeline
        self.stage = stage
        self.action = action
        self._log = log or (lambda line: print(line, flush=True))

    def approve(self, watcher: PipelineWatcher, summary: str, deadline: float | Deadline) -> dict:
        return self._decide(watcher, "Approved", summary, deadline)

    def reject(self, watcher: PipelineWatcher, summary: str, deadline: float | Deadline) -> dict:
        return self._decide(watcher, "Rejected", summary, deadline)

    def wait_until_available(self, watcher: PipelineWatcher, deadline: float | Deadline) -> Snapshot:
        """Wait until our execution's approval waits for a reviewer, or fail with the stage state."""
        what = f"approval {self.stage}/{self.action} of execution {watcher.execution_id} to wait for a reviewer"

        def impossible(snap: Snapshot) -> str | None:
            status = snap.stage(self.stage).status
            if status in ("Failed", "Succeeded", "Stopped", "Cancelled"):
                return f"stage {self.stage} is already {status} for this execution"
            return ended(snap)

        try:
            return watcher.wait_for(lambda snap: snap.stage(self.stage).token is not None, deadline, what, fail_if=impossible)
        except (WaitTimeout, ExecutionEnded) as exc:
            last = watcher.last
            stage_state = last.stage(self.stage).state if last else {}
            evidence.attach(f"{self.stage} stage state (approval unavailable)", stage_state)
            raise ApprovalUnavailable(
                f"approval unavailable: {exc}; {self.stage} stage state: {json.dumps(stage_state, default=str)}") from exc

    def _decide(self, watcher: PipelineWatcher, status: str, summary: str, deadline: float | Deadline) -> dict:
        if status not in ("Approved", "Rejected"):
            raise ValueError(f"an approval result is Approved or Rejected (capitalised), got {status!r}")
        if len(summary) > 512:
            raise ValueError(f"an approval summary is at most 512 characters, got {len(summary)}")
        snap = self.wait_until_available(watcher, deadline)
        token = snap.stage(self.stage).token
        response = self.client.put_approval_result(
            pipelineName=self.pipeline, stageName=self.stage, actionName=self.action,
            result={"summary": summary, "status": status}, token=token)
        approved_at = response.get("approvedAt")
        after = watcher.poll()
        action_state = next((a.get("latestExecution") or {} for a in after.stage(self.stage).state.get("actionStates", [])
                             if a.get("actionName") == self.action), {})
        record = {
            "execution_id": watcher.execution_id,
            "decision": status,
            "summary": summary,
            "at": approved_at.isoformat() if isinstance(approved_at, datetime) else approved_at,
            "by": action_state.get("lastUpdatedBy"),
        }
        self._log(f"[approve {self.pipeline} {watcher.execution_id[:8]}] {status} by {record['by'] or '?'}: {summary}")
        evidence.event("approval", pipeline=self.pipeline, **record)
        return record
