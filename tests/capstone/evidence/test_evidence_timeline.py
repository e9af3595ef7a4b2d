"""The timeline reads the drivers' event dialects and draws one lane per thing that happened."""
from __future__ import annotations

from capstone import evidence
from capstone.evidence import timeline

T = 1_790_000_000.0


def test_driver_dialects_are_normalized():
    events = timeline.normalize([
        {"t": T + 1, "kind": "pipeline", "level": "stage", "name": "Source", "new": "Succeeded", "execution_id": "e"},
        {"t": T + 2, "kind": "deployment", "deployment_id": "d-2", "old": None, "new": "Created", "creator": "codeDeployRollback"},
        {"t": T + 3, "kind": "approval", "decision": "Rejected", "by": "me", "summary": "no"},
        {"t": T + 4, "kind": "probe", "versions": [{"version": "v2", "first": T + 4, "last": T + 9}]},
    ])
    assert [(e["kind"], e.get("status")) for e in events] == [
        ("stage", "Succeeded"), ("deployment", "Created"), ("approval", "Rejected"), ("traffic", None)]
    assert events[1]["rollback_of"] == "auto" and events[3]["until"] == T + 9


def test_lanes_and_svg():
    events = timeline.normalize([
        {"t": T, "kind": "stage", "stage": "Source", "status": "InProgress", "execution_id": "e-1", "worker": "gw0"},
        {"t": T + 5, "kind": "stage", "stage": "Source", "status": "Succeeded", "execution_id": "e-1", "worker": "gw0"},
        {"t": T + 6, "kind": "deployment", "deployment_id": "d-1", "new": "InProgress", "worker": "gw0"},
        {"t": T + 9, "kind": "deployment", "deployment_id": "d-1", "new": "Failed", "worker": "gw0"},
        {"t": T + 7, "kind": "traffic", "version": "v3", "until": T + 8, "worker": "gw0"},
        {"t": T + 1, "kind": "push", "commit": "abc", "message": "v3 <b>", "worker": "gw1"},
        {"t": T + 8, "kind": "alarm", "alarm": "a", "old": "OK", "new": "ALARM", "worker": "gw1"},
    ])
    scenarios = [{"nodeid": "s::t", "start": T, "stop": T + 10, "verdict": "passed", "worker": "gw0"}]
    lanes = timeline.lanes(events, scenarios, T + 10)
    assert [lane["label"] for lane in lanes] == [
        "gw0 · scenarios", "gw0 · Source", "gw0 · deployments", "gw0 · traffic", "gw1 · scenarios",
        "gw1 · push · approval · alarm"]
    deploy = lanes[2]["bars"][0]
    assert (deploy["start"], deploy["stop"], deploy["color"]) == (T + 6, T + 9, timeline.COLORS["Failed"])
    assert lanes[3]["bars"][0]["stop"] == T + 8
    picture = timeline.svg(lanes, T, T + 10)
    assert picture.startswith("<svg") and picture.count("<rect") == 4 and "v3 &lt;b&gt;" in picture


def test_attaching_a_probe_summary_puts_traffic_on_the_timeline():
    before = len(evidence.snapshot()["timeline"])
    evidence.attach("probe summary", {"total": 3, "versions": [{"version": "v2", "first": T, "last": T + 1}]})
    new = evidence.snapshot()["timeline"][before:]
    assert [e["kind"] for e in new] == ["probe"] and new[0]["versions"][0]["version"] == "v2"
