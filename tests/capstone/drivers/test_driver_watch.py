"""The watcher's filtering and waiting rules, against a small in-memory CodePipeline whose state
the test moves forward (the boto3 path is covered in test_driver_pipeline.py)."""
from __future__ import annotations

import pytest

from capstone.drivers.approve import ApprovalUnavailable, Approver
from capstone.retry import Backoff, WaitTimeout
from capstone.drivers.watch import ExecutionEnded, PipelineWatcher, stage_is

OURS, OTHER = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222"
TOKEN = "33333333-3333-3333-3333-333333333333"


class FakePipeline:
    """Just enough of GetPipelineState/GetPipelineExecution/ListActionExecutions/ListPipelineExecutions."""

    def __init__(self):
        self.executions = {OURS: {"status": "InProgress", "revision": "c0ffee"}}
        self.stages = {name: {"stageName": name, "actionStates": [{"actionName": action}]}
                       for name, action in (("Source", "Source"), ("BuildAndTest", "Build"), ("Approval", "ManualApproval"))}
        self.actions: list[dict] = []
        self.approvals: list[dict] = []
        self.listed_revisions = True
        self.on_poll = None

    def set_stage(self, stage, execution, status, token=None):
        self.stages[stage]["latestExecution"] = {"pipelineExecutionId": execution, "status": status}
        action = self.stages[stage]["actionStates"][0]
        action["latestExecution"] = {"status": status, **({"token": token} if token else {})}

    def get_pipeline_execution(self, pipelineName, pipelineExecutionId):
        if self.on_poll:
            self.on_poll()
        e = self.executions[pipelineExecutionId]
        return {"pipelineExecution": {"pipelineExecutionId": pipelineExecutionId, "status": e["status"],
                                      "artifactRevisions": [{"name": "SourceArtifact", "revisionId": e["revision"]}]}}

    def get_pipeline(self, name):
        return {"pipeline": {"name": name, "stages": [
            {"name": stage, "actions": [{"name": s["actionStates"][0]["actionName"], "actionTypeId": {
                "category": "Approval" if stage == "Approval" else "Build", "owner": "AWS", "provider": "x",
                "version": "1"}}]} for stage, s in self.stages.items()]}}

    def get_pipeline_state(self, name):
        return {"pipelineName": name, "stageStates": [dict(s) for s in self.stages.values()]}

    def list_action_executions(self, pipelineName, filter):
        return {"actionExecutionDetails": [a for a in self.actions if a["pipelineExecutionId"] == filter["pipelineExecutionId"]]}

    def list_pipeline_executions(self, pipelineName, maxResults):
        return {"pipelineExecutionSummaries": [
            {"pipelineExecutionId": i, "status": e["status"],
             **({"sourceRevisions": [{"actionName": "Source", "revisionId": e["revision"]}]} if self.listed_revisions else {})}
            for i, e in reversed(self.executions.items())]}

    def put_approval_result(self, **kwargs):
        self.approvals.append(kwargs)
        return {"approvedAt": None}


def watcher(fake):
    return PipelineWatcher(fake, "p", OURS, backoff=Backoff(0.001, 1.5, 0.005), log=lambda line: None)


def test_stage_states_of_another_execution_are_not_ours():
    fake = FakePipeline()
    fake.set_stage("Source", OURS, "Succeeded")
    fake.set_stage("BuildAndTest", OTHER, "Failed")
    fake.set_stage("Approval", OTHER, "InProgress", token=TOKEN)
    snap = watcher(fake).poll()
    assert snap.stage("Source").status == "Succeeded"
    assert snap.stage("BuildAndTest").status is None
    assert snap.stage("Approval").token is None  # another run's token is never used for ours


def test_our_status_in_a_stage_is_kept_when_a_newer_run_enters_it():
    fake = FakePipeline()
    w = watcher(fake)
    fake.set_stage("BuildAndTest", OURS, "Succeeded")
    w.poll()
    fake.set_stage("BuildAndTest", OTHER, "InProgress")
    assert w.poll().stage("BuildAndTest").status == "Succeeded"
    assert w.ever("stage", "BuildAndTest", "Succeeded") and not w.ever("stage", "BuildAndTest", "InProgress")


def test_our_stage_result_comes_from_our_actions_when_a_newer_run_took_the_stage_unseen():
    fake = FakePipeline()
    w = watcher(fake)
    fake.set_stage("BuildAndTest", OURS, "InProgress")
    w.poll()
    # ours finished and the newer run entered the stage between two polls
    fake.set_stage("BuildAndTest", OTHER, "InProgress")
    fake.actions.append({"pipelineExecutionId": OURS, "stageName": "BuildAndTest", "actionName": "Build",
                         "status": "Succeeded", "startTime": 1.0})
    assert w.poll().stage("BuildAndTest").status == "Succeeded"
    assert w.ever("stage", "BuildAndTest", "Succeeded")


def test_a_stage_our_run_has_left_is_not_reported_in_progress_from_a_lagging_read():
    fake = FakePipeline()
    fake.set_stage("Source", OURS, "InProgress")          # lagging: our run is already at Approval
    fake.set_stage("Approval", OURS, "InProgress", token=TOKEN)
    fake.actions.append({"pipelineExecutionId": OURS, "stageName": "Source", "actionName": "Source",
                         "status": "Succeeded", "startTime": 1.0})
    snap = watcher(fake).poll()
    assert snap.stage("Source").status == "Succeeded"
    assert snap.stage("Approval").status == "InProgress"


def test_transitions_are_recorded_once_each_with_action_details():
    fake = FakePipeline()
    w = watcher(fake)
    fake.set_stage("Source", OURS, "InProgress")
    w.poll()
    w.poll()
    fake.set_stage("Source", OURS, "Succeeded")
    fake.actions.append({"pipelineExecutionId": OURS, "stageName": "Source", "actionName": "Source", "status": "Succeeded",
                         "startTime": 1.0, "output": {"executionResult": {"externalExecutionId": "c0ffee"}}})
    w.poll()
    seen = [(t.level, t.name, t.old, t.new) for t in w.transitions]
    assert seen == [("execution", "", None, "InProgress"), ("stage", "Source", None, "InProgress"),
                    ("stage", "Source", "InProgress", "Succeeded"), ("action", "Source/Source", None, "Succeeded")]
    assert w.external_id("Source", "Source") == "c0ffee"


def test_wait_for_fails_fast_when_the_execution_ends():
    fake = FakePipeline()
    fake.set_stage("BuildAndTest", OURS, "Failed")
    fake.executions[OURS]["status"] = "Failed"
    with pytest.raises(ExecutionEnded, match=r"ended Failed while waiting for stage Approval InProgress; "
                                             r"last state: execution Failed; stages: .*BuildAndTest Failed"):
        watcher(fake).wait_for_stage("Approval", "InProgress", 30)


def test_an_ended_execution_names_why_its_actions_failed():
    fake = FakePipeline()
    fake.set_stage("BuildAndTest", OURS, "Failed")
    fake.executions[OURS]["status"] = "Failed"
    denial = ("Error calling startBuild: User: arn:aws:sts::123456789012:assumed-role/pipe/1 is not authorized to "
              "perform: codebuild:StartBuild on resource: arn:aws:codebuild:us-east-1:123456789012:project/b because "
              "no identity-based policy allows the codebuild:StartBuild action")
    fake.actions.append({"pipelineExecutionId": OURS, "stageName": "BuildAndTest", "actionName": "Build", "status": "Failed",
                         "startTime": 1.0, "output": {"executionResult": {
                             "errorDetails": {"code": "JobFailed", "message": denial}}}})
    lines = []
    w = PipelineWatcher(fake, "p", OURS, backoff=Backoff(0.001, 1.5, 0.005), log=lines.append)
    with pytest.raises(ExecutionEnded) as err:
        w.wait_for_stage("Approval", "InProgress", 30)
    assert str(err.value).endswith(f"; failed: BuildAndTest/Build: JobFailed: {denial}")
    assert any("BuildAndTest/Build: - -> Failed" in line and "codebuild:StartBuild" in line for line in lines)


def test_wait_for_times_out_naming_what_and_the_last_state():
    fake = FakePipeline()
    fake.set_stage("Source", OURS, "InProgress")
    with pytest.raises(WaitTimeout, match=r"timed out after 0s waiting for stage Source Succeeded .* last state: "
                                          r"execution InProgress; stages: Source InProgress"):
        watcher(fake).wait_for(stage_is("Source", "Succeeded"), 0.05, what="stage Source Succeeded")


def test_for_commit_finds_the_execution_of_that_commit_not_the_latest():
    fake = FakePipeline()
    fake.executions[OTHER] = {"status": "InProgress", "revision": "beef"}  # newer, another commit
    assert PipelineWatcher.for_commit(fake, "p", "c0ffee", 1, log=lambda line: None).execution_id == OURS
    fake.listed_revisions = False  # not listed yet: GetPipelineExecution artifactRevisions answer
    assert PipelineWatcher.for_commit(fake, "p", "beef", 1, log=lambda line: None).execution_id == OTHER
    with pytest.raises(WaitTimeout, match="with source revision 0000000"):
        PipelineWatcher.for_commit(fake, "p", "0000000", 0.05, log=lambda line: None)


def test_approver_uses_the_token_of_our_execution_only():
    fake = FakePipeline()
    fake.set_stage("Approval", OTHER, "InProgress", token="44444444-4444-4444-4444-444444444444")
    polls = []

    def our_turn():
        polls.append(1)
        if len(polls) == 3:
            fake.set_stage("Approval", OURS, "InProgress", token=TOKEN)
    fake.on_poll = our_turn
    record = Approver(fake, "p", log=lambda line: None).approve(watcher(fake), "looks good", 5)
    assert fake.approvals == [{"pipelineName": "p", "stageName": "Approval", "actionName": "ManualApproval",
                               "result": {"summary": "looks good", "status": "Approved"}, "token": TOKEN}]
    assert record["decision"] == "Approved" and TOKEN not in str(record)


def test_approval_that_never_comes_fails_with_the_stage_state_attached():
    fake = FakePipeline()
    fake.set_stage("Approval", OTHER, "InProgress", token=TOKEN)
    with pytest.raises(ApprovalUnavailable, match=r"approval unavailable: timed out .* Approval stage state: .*"
                                                  rf"{OTHER}") as failure:
        Approver(fake, "p", log=lambda line: None).reject(watcher(fake), "no", 0.05)
    assert TOKEN not in str(failure.value)  # the state is attached without tokens
    assert fake.approvals == []


def test_approver_refuses_bad_results_before_calling_aws():
    fake = FakePipeline()
    with pytest.raises(ValueError, match="capitalised"):
        Approver(fake, "p")._decide(watcher(fake), "approved", "x", 1)
    with pytest.raises(ValueError, match="512"):
        Approver(fake, "p").approve(watcher(fake), "x" * 513, 1)


def test_an_approvals_external_id_is_its_token_and_never_reaches_the_evidence():
    """AWS shows a manual approval's token as its externalExecutionId (PutApprovalResult's
    model tells PARALLEL-mode approvers to read it there): the watcher drops it by structure."""
    fake = FakePipeline()
    fake.set_stage("Approval", OURS, "InProgress", token=TOKEN)
    fake.stages["Approval"]["actionStates"][0]["latestExecution"]["externalExecutionId"] = TOKEN
    fake.actions.append({"pipelineExecutionId": OURS, "stageName": "Approval", "actionName": "ManualApproval",
                         "status": "InProgress", "startTime": 1,
                         "input": {"actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual"}},
                         "output": {"executionResult": {"externalExecutionId": TOKEN}}})
    w = watcher(fake)
    snap = w.poll()
    assert snap.stage("Approval").token == TOKEN          # the approver still gets it
    assert TOKEN not in str(snap.to_dict())
    assert TOKEN not in str([t.__dict__ for t in w.transitions])
    # an earlier execution's decided approval, before ours reaches the stage: still hidden
    fresh = FakePipeline()
    fresh.set_stage("Approval", OTHER, "Succeeded")
    fresh.stages["Approval"]["actionStates"][0]["latestExecution"]["externalExecutionId"] = TOKEN
    assert TOKEN not in str(watcher(fresh).poll().to_dict())
    # decided: the token is gone from the state, the external id stays hidden
    fake.set_stage("Approval", OURS, "Succeeded")
    fake.stages["Approval"]["actionStates"][0]["latestExecution"]["externalExecutionId"] = TOKEN
    assert TOKEN not in str(w.poll().to_dict())
