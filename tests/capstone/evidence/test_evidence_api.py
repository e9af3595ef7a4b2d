"""The evidence API as drivers use it: steps, attachments, facts, events, run facts, merging."""
from __future__ import annotations

import hashlib
import json

import pytest

from capstone import evidence
from capstone.run import worker_id


@pytest.fixture
def fresh(request):
    """An empty evidence store; the session's own evidence (this test run's) is put back after."""
    saved = evidence.snapshot(), evidence.scrubber()
    evidence.reset()
    yield evidence
    evidence.reset()
    evidence.merge(saved[0])
    for value in saved[1].secrets:
        evidence.register_secret(value)
    evidence.begin_scenario(request.node.nodeid)


def test_a_scenario_collects_steps_facts_attachments_and_events(fresh):
    fresh.register_secret("s3cr3t-value")
    fresh.begin_scenario("scenarios/test_x.py::test_x", requirement="X MUST happen", feature="f")
    with fresh.step("push v3"):
        with fresh.step("inner"):
            fresh.event("stage", stage="Source", status="InProgress", execution_id="e-1")
    fresh.record("execution_id", "e-1")
    fresh.append("deployment_ids", "d-1")
    fresh.append("deployment_ids", "d-2")
    fresh.append("deployment_ids", "d-1")
    digest = fresh.attach("state", {"token": "abc", "note": "uses s3cr3t-value"})
    fresh.end_scenario("passed")
    sc = fresh.snapshot()["scenarios"]["scenarios/test_x.py::test_x"]
    assert sc["requirement"] == "X MUST happen" and sc["labels"]["feature"] == "f" and sc["verdict"] == "passed"
    assert [(s["title"], s["depth"], s["status"]) for s in sc["steps"]] == [("push v3", 0, "passed"), ("inner", 1, "passed")]
    assert sc["facts"] == {"execution_id": "e-1", "deployment_ids": ["d-1", "d-2"]}
    body = json.dumps({"token": "***", "note": "uses ***"}, indent=2)
    assert digest == hashlib.sha256(body.encode()).hexdigest() == sc["attachments"][0]["sha256"]
    kinds = [(e["kind"], e.get("phase") or e.get("status")) for e in fresh.snapshot()["timeline"]]
    assert kinds[0] == ("scenario", "start") and ("stage", "InProgress") in kinds and kinds[-1] == ("scenario", "end")


def test_a_failing_step_is_recorded_as_failed(fresh):
    fresh.begin_scenario("t::f")
    with pytest.raises(RuntimeError):
        with fresh.step("deploy"):
            raise RuntimeError("boom")
    assert fresh.snapshot()["scenarios"]["t::f"]["steps"][0]["status"] == "failed"


def test_outside_a_scenario_facts_go_to_the_session(fresh):
    fresh.record("baseline_version", "v2")
    fresh.run_fact("account_id", "123456789012")
    fresh.record_leak_check({"ok": True, "leaks": [], "types_checked": 27})
    fresh.requirement("ignored MUST")  # no scenario: nothing to attach it to
    run = fresh.snapshot()["run"]
    assert run["session_facts"] == {"baseline_version": "v2"} and run["facts"]["account_id"] == "********9012"
    assert run["leak_checks"] == [{"worker": worker_id(), "ok": True, "leaks": [], "types_checked": 27}]


def test_merge_folds_a_workers_snapshot_in_time_order(fresh):
    fresh.event("stage", stage="A", status="InProgress")
    other = {"scenarios": {"w::t": {"nodeid": "w::t", "facts": {}}},
             "timeline": [{"t": 0.0, "kind": "stage", "stage": "B"}],
             "run": {"facts": {"account_id": "1"}, "session_facts": {}, "attachments": [], "steps": [],
                     "leak_checks": [{"worker": "gw1", "ok": True, "leaks": []}]}}
    fresh.merge(other)
    snap = fresh.snapshot()
    assert "w::t" in snap["scenarios"] and snap["timeline"][0]["stage"] == "B"
    assert snap["run"]["facts"]["account_id"] == "1"
    assert [c["worker"] for c in snap["run"]["leak_checks"]] == ["gw1"]
