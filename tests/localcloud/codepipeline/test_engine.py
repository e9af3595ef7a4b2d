"""The engine's rules with fake actions: stage locking, SUPERSEDED / QUEUED / PARALLEL, failure,
stop (abandon or not), disabled transitions, cancel, retry. No HTTP, no other provider."""
from __future__ import annotations

import threading
import time

import pytest

from localcloud.clock import Clock
from localcloud.codepipeline.actions import Outcome
from localcloud.codepipeline.engine import ExecutionEngine
from localcloud.codepipeline.models import CodePipelineBackend, ErrorDetails, Pipeline


class FakeCloud:
    clock = Clock(0.02)
    region = "us-east-1"


class Held:
    """An action that runs until the test releases it (with a result) or it is abandoned."""

    def __init__(self):
        self.lock = threading.Lock()
        self.release: dict[tuple[str, str], str] = {}
        self.started: list[tuple[str, str]] = []
        self.concurrent = 0
        self.max_concurrent = 0

    def run(self, run):
        key = (run.pipeline_execution_id, run.action_name)
        with self.lock:
            self.started.append(key)
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            while not run.abandoned:
                with self.lock:
                    result = self.release.pop(key, None)
                if result:
                    if result == "Succeeded":
                        return Outcome("Succeeded", summary="done", output_variables={"Out": run.pipeline_execution_id})
                    return Outcome.failed("JobFailed", "told to fail")
                run.abandon_event.wait(0.005)
            return Outcome.failed("JobFailed", "abandoned")
        finally:
            with self.lock:
                self.concurrent -= 1

    def finish(self, execution, action: str, result: str = "Succeeded"):
        with self.lock:
            self.release[(execution.pipeline_execution_id, action)] = result


class Instant:
    def run(self, run):
        return Outcome("Succeeded", output_variables={"CommitId": "abc123"})


def wait_until(predicate, what: str, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


def _action(name, provider, run_order=1, inputs=(), outputs=(), configuration=None, namespace=None):
    action = {"name": name, "actionTypeId": {"category": "Build", "owner": "AWS", "provider": provider, "version": "1"},
              "runOrder": run_order, "configuration": configuration or {},
              "inputArtifacts": [{"name": n} for n in inputs], "outputArtifacts": [{"name": n} for n in outputs]}
    if namespace:
        action["namespace"] = namespace
    return action


@pytest.fixture
def rig():
    store = CodePipelineBackend()
    held = Held()
    runners = {"Instant": Instant(), "Held": held}
    engine = ExecutionEngine(FakeCloud(), store, runner_lookup=lambda a: runners.get(a["actionTypeId"]["provider"]))

    def pipeline(mode="SUPERSEDED", stages=None):
        declaration = {
            "name": "p", "roleArn": "arn:aws:iam::123456789012:role/r", "version": 1, "executionMode": mode,
            "artifactStore": {"type": "S3", "location": "bucket"},
            "stages": stages or [
                {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"], namespace="SourceVariables")]},
                {"name": "Build", "actions": [_action("Build", "Held", inputs=["Src"])]},
                {"name": "Deploy", "actions": [_action("Deploy", "Instant", inputs=["Src"])]},
            ],
        }
        p = Pipeline(name="p", region="us-east-1", account_id="123456789012", declaration=declaration)
        p.set_declaration(declaration)
        store.put(p)
        return p

    def start(p):
        return engine.start(p, {"triggerType": "StartPipelineExecution", "triggerDetail": "test"})

    class Rig:
        pass

    r = Rig()
    r.store, r.engine, r.held, r.pipeline, r.start = store, engine, held, pipeline, start
    yield r
    with store.cond:
        for p in store.all():
            p.deleted = True
            for e in p.executions.values():
                if not e.final:
                    engine.stop(p, e, abandon=True, reason="test over")


def in_build(rig, execution):
    return (execution.pipeline_execution_id, "Build") in rig.held.started


def test_superseded_newer_execution_overtakes_the_one_waiting(rig):
    p = rig.pipeline("SUPERSEDED")
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    e2 = rig.start(p)
    wait_until(lambda: e2.pipeline_execution_id in p.gates["Build"].waiting, "e2 waiting at Build")
    e3 = rig.start(p)
    wait_until(lambda: e2.status == "Superseded", "e2 superseded")
    assert e2.stages.keys() == {"Source"}, "a superseded execution never entered the locked stage"
    assert e1.status == "InProgress" and e3.status == "InProgress"
    assert not in_build(rig, e3), "the stage holds one execution at a time"
    rig.held.finish(e1, "Build")
    wait_until(lambda: e1.status == "Succeeded", "e1 succeeded")
    wait_until(lambda: in_build(rig, e3), "e3 entered Build after e1 left")
    rig.held.finish(e3, "Build")
    wait_until(lambda: e3.status == "Succeeded", "e3 succeeded")
    assert rig.held.max_concurrent == 1


def test_queued_executions_enter_in_arrival_order_and_none_is_superseded(rig):
    p = rig.pipeline("QUEUED")
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    e2 = rig.start(p)
    wait_until(lambda: e2.pipeline_execution_id in p.gates["Build"].waiting, "e2 waiting")
    e3 = rig.start(p)
    wait_until(lambda: p.gates["Build"].waiting == [e2.pipeline_execution_id, e3.pipeline_execution_id], "both queued")
    for execution in (e1, e2, e3):
        wait_until(lambda: in_build(rig, execution), "next in Build")
        rig.held.finish(execution, "Build")
        wait_until(lambda: execution.status == "Succeeded", "succeeded")
    assert [k[0] for k in rig.held.started] == [e.pipeline_execution_id for e in (e1, e2, e3)]
    assert rig.held.max_concurrent == 1


def test_parallel_executions_run_a_stage_at_the_same_time(rig):
    p = rig.pipeline("PARALLEL")
    e1, e2 = rig.start(p), rig.start(p)
    wait_until(lambda: in_build(rig, e1) and in_build(rig, e2), "both in Build")
    assert rig.held.max_concurrent == 2
    rig.held.finish(e2, "Build")
    rig.held.finish(e1, "Build")
    wait_until(lambda: e1.status == e2.status == "Succeeded", "both succeeded")


def test_failure_fails_stage_and_execution_and_releases_the_lock(rig):
    p = rig.pipeline()
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    e2 = rig.start(p)
    wait_until(lambda: e2.pipeline_execution_id in p.gates["Build"].waiting, "e2 waiting")
    rig.held.finish(e1, "Build", "Failed")
    wait_until(lambda: e1.status == "Failed", "e1 failed")
    assert e1.stages["Build"].status == "Failed"
    assert e1.stages["Build"].actions["Build"].error_details == ErrorDetails("JobFailed", "told to fail")
    assert "Deploy" not in e1.stages, "no stage runs after a failed one"
    wait_until(lambda: in_build(rig, e2), "e2 entered the released stage")
    assert p.gates["Build"].latest.pipeline_execution_id == e2.pipeline_execution_id


def test_stop_and_abandon_abandons_in_progress_actions_at_once(rig):
    p = rig.pipeline()
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    rig.engine.stop(p, e1, abandon=True, reason="enough")
    wait_until(lambda: e1.status == "Stopped", "stopped")
    assert e1.stages["Build"].actions["Build"].status == "Abandoned"
    assert e1.stages["Build"].status == "Stopped"
    assert e1.stop_reason == "enough"
    assert not p.gates["Build"].holders


def test_stop_and_wait_lets_the_action_finish_then_stops(rig):
    p = rig.pipeline()
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    rig.engine.stop(p, e1, abandon=False, reason=None)
    assert e1.status == "Stopping" and e1.stages["Build"].status == "Stopping"
    time.sleep(0.05)
    assert e1.stages["Build"].actions["Build"].status == "InProgress", "stop-and-wait does not abandon"
    rig.held.finish(e1, "Build")
    wait_until(lambda: e1.status == "Stopped", "stopped")
    assert e1.stages["Build"].actions["Build"].status == "Succeeded"
    assert "Deploy" not in e1.stages


def test_disabled_transition_holds_the_inbound_execution_until_enabled(rig):
    p = rig.pipeline()
    p.transitions["Build"].enabled = False
    e1 = rig.start(p)
    wait_until(lambda: e1.pipeline_execution_id in p.gates["Build"].waiting, "e1 inbound at Build")
    time.sleep(0.05)
    assert not in_build(rig, e1)
    with rig.store.cond:
        p.transitions["Build"].enabled = True
        rig.store.cond.notify_all()
    wait_until(lambda: in_build(rig, e1), "e1 entered after enabling")


def test_cancel_abandons_actions_and_ends_cancelled(rig):
    p = rig.pipeline()
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    rig.engine.cancel(p, e1, "definition updated")
    wait_until(lambda: not p.gates["Build"].holders, "stage released")
    assert e1.status == "Cancelled"
    assert e1.stages["Build"].status == "Cancelled"
    assert e1.stages["Build"].actions["Build"].status == "Abandoned"


def test_retry_failed_actions_reruns_only_the_failed_one_and_continues(rig):
    stages = [
        {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"])]},
        {"name": "Build", "actions": [_action("Build", "Held", inputs=["Src"]), _action("Lint", "Instant", inputs=["Src"])]},
        {"name": "Deploy", "actions": [_action("Deploy", "Instant", inputs=["Src"])]},
    ]
    p = rig.pipeline(stages=stages)
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    rig.held.finish(e1, "Build", "Failed")
    wait_until(lambda: e1.status == "Failed", "failed")
    lint_run = e1.stages["Build"].actions["Lint"]
    failed_run = e1.stages["Build"].actions["Build"]
    rig.engine.retry(p, e1, "Build", "FAILED_ACTIONS")
    wait_until(lambda: rig.held.started.count((e1.pipeline_execution_id, "Build")) == 2, "Build re-run")
    rig.held.finish(e1, "Build")
    wait_until(lambda: e1.status == "Succeeded", "same execution succeeded")
    assert e1.stages["Build"].actions["Lint"] is lint_run, "a succeeded action is not re-run"
    assert e1.stages["Build"].actions["Build"] is not failed_run
    assert e1.stages["Build"].actions["Build"].action_execution_id != failed_run.action_execution_id


def test_unknown_action_type_fails_the_action_with_a_clear_error(rig):
    stages = [
        {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"])]},
        {"name": "Invoke", "actions": [_action("Lambda", "NotRunHere", inputs=["Src"])]},
    ]
    p = rig.pipeline(stages=stages)
    e1 = rig.start(p)
    wait_until(lambda: e1.final, "finished")
    record = e1.stages["Invoke"].actions["Lambda"]
    assert e1.status == "Failed" and record.status == "Failed"
    assert "does not run actions of type Build/AWS/NotRunHere/1" in record.error_details.message


def test_variables_resolve_from_earlier_namespaces_and_unknown_ones_fail(rig):
    stages = [
        {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"], namespace="SourceVariables")]},
        {"name": "Use", "actions": [
            _action("Good", "Instant", inputs=["Src"], configuration={"C": "#{SourceVariables.CommitId}@#{codepipeline.PipelineExecutionId}"}),
            _action("Bad", "Instant", run_order=2, inputs=["Src"], configuration={"C": "#{Nope.Thing}"})]},
    ]
    p = rig.pipeline(stages=stages)
    e1 = rig.start(p)
    wait_until(lambda: e1.final, "finished")
    assert e1.stages["Use"].actions["Good"].resolved_configuration == {"C": f"abc123@{e1.pipeline_execution_id}"}
    bad = e1.stages["Use"].actions["Bad"]
    assert bad.status == "Failed" and "#{Nope.Thing}" in bad.error_details.message
    assert e1.status == "Failed"


def test_run_order_groups_run_in_sequence(rig):
    stages = [
        {"name": "Source", "actions": [_action("Src", "Instant", outputs=["Src"])]},
        {"name": "Build", "actions": [_action("Build", "Held", inputs=["Src"]), _action("After", "Instant", run_order=2, inputs=["Src"])]},
    ]
    p = rig.pipeline(stages=stages)
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "in Build")
    time.sleep(0.03)
    assert "After" not in e1.stages["Build"].actions
    rig.held.finish(e1, "Build")
    wait_until(lambda: e1.status == "Succeeded", "succeeded")
    assert e1.stages["Build"].actions["After"].start_time >= e1.stages["Build"].actions["Build"].last_update_time


def test_cancel_can_end_failed_as_the_older_docs_say(rig):
    p = rig.pipeline()
    e1 = rig.start(p)
    wait_until(lambda: in_build(rig, e1), "e1 in Build")
    rig.engine.cancel(p, e1, "definition updated", status="Failed")
    wait_until(lambda: not p.gates["Build"].holders, "stage released")
    assert e1.status == "Failed" and e1.stages["Build"].status == "Failed"
    assert e1.stages["Build"].actions["Build"].status == "Abandoned"
