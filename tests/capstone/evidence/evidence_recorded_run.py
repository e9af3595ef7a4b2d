"""A recorded run, as the plugin leaves it on disk before the audit is rendered: two workers'
merged evidence, a ledger per worker, Allure results with attachments and captured output — and
planted secrets in every place a careless caller or a chatty process could put one."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

T0 = 1_790_000_000.0  # a fixed epoch so the picture and the cost are the same on every run
SECRET = "Pl4nted-S3cret-Value"              # registered like the environment's SSM/Secrets Manager values
SECRET_JSONISH = 'we"ird\\secret'            # only matches once JSON-escaped
TOKEN = "5b0d8a8e-4b6a-4c1e-9f3e-2d7c9a1b0e42"  # an approval token
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "210987654321"
PLANTED = (SECRET, SECRET_JSONISH, TOKEN, ACCESS_KEY, SECRET_KEY, ACCOUNT)


def iso(offset: float) -> str:
    return datetime.fromtimestamp(T0 + offset, timezone.utc).isoformat(timespec="milliseconds")


def stage_events(worker, execution, offsets, final):
    """Source/BuildAndTest/Approval/DeployBlueGreen as the drivers' watcher reports them."""
    events, names = [], ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")
    for name, (start, stop) in zip(names, offsets):
        events.append({"t": T0 + start, "kind": "pipeline", "level": "stage", "name": name, "old": None,
                       "new": "InProgress", "execution_id": execution, "worker": worker})
        if stop is not None:
            status = final.get(name, "Succeeded")
            events.append({"t": T0 + stop, "kind": "pipeline", "level": "stage", "name": name, "old": "InProgress",
                           "new": status, "execution_id": execution, "worker": worker})
    return events


def attachment(results: Path, name: str, body: str, ext: str) -> dict:
    path = results / f"{hashlib.md5(name.encode()).hexdigest()[:8]}-0000-4000-8000-000000000000-attachment.{ext}"
    path.write_text(body)
    return {"name": name, "kind": "json" if ext == "json" else "text",
            "sha256": hashlib.sha256(body.encode()).hexdigest(), "bytes": len(body.encode()), "t": T0}


def make_recorded_run(tmp_path):
    run_dir = tmp_path / "reports" / "20260101-000000-beef"
    results = run_dir / "allure-results"
    results.mkdir(parents=True)
    # attachments arrive already scrubbed (evidence.attach scrubs before Allure writes the file)
    state = json.dumps({"stageStates": [{"stageName": "Approval", "latestExecution": {"token": "***"}}],
                        "pipelineArn": "arn:aws:codepipeline:us-east-1:********4321:awscicd-pipe"}, indent=2)
    att_state = attachment(results, "pipeline state at Approval", state, "json")
    att_log = attachment(results, "build log excerpt", "collected 4 items\n4 passed in 0.3s\n", "txt")
    # captured output the scrubber has to catch in the files themselves
    (results / "c0ffee00-0000-4000-8000-000000000000-attachment.txt").write_text(
        f"export AWS_ACCESS_KEY_ID={ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\nDB={SECRET}\n")
    (results / "c0ffee00-0000-4000-8000-000000000000-result.json").write_text(json.dumps(
        {"name": "test_release", "status": "passed", "statusDetails": {"message": f"token {TOKEN}"}}))
    (run_dir / "junit.xml").write_text(
        f'<testsuites><testsuite name="pytest"><testcase name="test_release"><properties>'
        f'<property name="execution_id" value="e-1111"/></properties>'
        f"<system-out>secret is {SECRET} and {SECRET_JSONISH}</system-out></testcase></testsuite></testsuites>")
    for worker, offset in (("gw0", 0), ("gw1", 5)):
        (run_dir / f"ledger-{worker}.json").write_text(json.dumps({
            "run_id": run_dir.name, "prefix": f"cc-beef-{worker}", "worker": worker, "target": "aws",
            "region": "us-east-1", "resources": [
                {"seq": 1, "type": "iam_role", "name": f"cc-beef-{worker}-pipeline", "id": None,
                 "arn": f"arn:aws:iam::{ACCOUNT}:role/cc-beef-{worker}-pipeline", "created_at": iso(offset),
                 "deleted_at": iso(offset + 700), "attrs": {}},
                {"seq": 2, "type": "launch_template", "name": f"cc-beef-{worker}-lt", "id": "lt-0abc",
                 "created_at": iso(offset + 10), "deleted_at": iso(offset + 690), "attrs": {"instance_type": "t3.micro"}},
                {"seq": 3, "type": "autoscaling_group", "name": f"cc-beef-{worker}-asg", "id": None,
                 "created_at": iso(offset + 20), "deleted_at": iso(offset + 680), "attrs": {"desired_capacity": 2}},
                {"seq": 4, "type": "load_balancer", "name": f"cc-beef-{worker}-alb", "id": None,
                 "created_at": iso(offset + 15), "deleted_at": iso(offset + 685), "attrs": {}},
                {"seq": 5, "type": "secret", "name": f"cc-beef-{worker}-db", "id": None,
                 "created_at": iso(offset + 5), "deleted_at": iso(offset + 695), "attrs": {}},
                {"seq": 6, "type": "alarm", "name": f"cc-beef-{worker}-5xx", "id": None,
                 "created_at": iso(offset + 30), "deleted_at": None if worker == "gw1" else iso(offset + 675),
                 "attrs": {}},
            ]}))
    timeline = []
    timeline += stage_events("gw0", "e-1111", [(100, 104), (104, 170), (170, 175), (175, 300)], {})
    timeline += [{"t": T0 + 176, "kind": "deployment", "deployment_id": "d-AAAA1111", "status": "InProgress", "worker": "gw0"},
                 {"t": T0 + 240, "kind": "deployment", "deployment_id": "d-AAAA1111", "status": "Ready", "worker": "gw0"},
                 {"t": T0 + 299, "kind": "deployment", "deployment_id": "d-AAAA1111", "status": "Succeeded", "worker": "gw0"},
                 {"t": T0 + 171, "kind": "approval", "status": "Approved", "by": "capstone", "summary": "release v3",
                  "worker": "gw0"}]
    timeline += stage_events("gw1", "e-2222", [(120, 124), (124, 190), (190, 193), (193, 330)], {"DeployBlueGreen": "Failed"})
    timeline += [{"t": T0 + 194, "kind": "deployment", "deployment_id": "d-BBBB2222", "status": "InProgress", "worker": "gw1"},
                 {"t": T0 + 300, "kind": "deployment", "deployment_id": "d-BBBB2222", "status": "Stopped", "worker": "gw1"},
                 {"t": T0 + 301, "kind": "deployment", "deployment_id": "d-CCCC3333", "status": "InProgress",
                  "rollback_of": "d-BBBB2222", "worker": "gw1"},
                 {"t": T0 + 329, "kind": "deployment", "deployment_id": "d-CCCC3333", "status": "Succeeded", "worker": "gw1"}]
    scenarios = {
        "scenarios/test_release.py::test_release": {
            "nodeid": "scenarios/test_release.py::test_release", "worker": "gw0", "start": T0 + 95, "stop": T0 + 305,
            "labels": {"epic": "AWS CI/CD pipeline conformance", "feature": "release", "story": "a push is released",
                       "severity": "critical"},
            "requirement": "A pushed commit MUST be built, approved and deployed blue/green with no failed request",
            "verdict": "passed", "message": None,
            "facts": {"execution_id": "e-1111", "commit_id": "4f1c2a9", "build_id": "cc-beef-gw0-build:7b1e",
                      "tests": {"total": 4, "passed": 4, "failed": 0},
                      "approval": {"by": "capstone", "at": iso(171), "summary": "release v3", "approval_token": TOKEN},
                      "deployment_ids": ["d-AAAA1111"],
                      "lifecycle_events": ["BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
                                           "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"],
                      "probe": {"total": 3121, "failed": 0, "versions": [
                          {"version": "v2", "first": T0 + 100, "last": T0 + 262, "answers": 2400},
                          {"version": "v3", "first": T0 + 255, "last": T0 + 305, "answers": 721}]},
                      "note": f"db password={SECRET}"},
            "steps": [{"title": "push v3", "start": T0 + 95, "stop": T0 + 99, "status": "passed", "depth": 0},
                      {"title": "approve", "start": T0 + 170, "stop": T0 + 171, "status": "passed", "depth": 0}],
            "attachments": [att_state, att_log]},
        "scenarios/test_alarm_rollback.py::test_alarm_rolls_back": {
            "nodeid": "scenarios/test_alarm_rollback.py::test_alarm_rolls_back", "worker": "gw1",
            "start": T0 + 115, "stop": T0 + 335,
            "labels": {"epic": "AWS CI/CD pipeline conformance", "feature": "rollback", "story": "alarm rolls back",
                       "severity": "critical"},
            "requirement": "An alarm during the termination wait MUST roll the deployment back to blue",
            "verdict": "failed",
            "message": f"AssertionError: rollback did not happen: d-BBBB2222 Stopped, secret {SECRET}",
            "facts": {"execution_id": "e-2222", "deployment_ids": ["d-BBBB2222", "d-CCCC3333"],
                      "rollback_deployment_id": "d-CCCC3333"},
            "steps": [], "attachments": []},
        "scenarios/test_gate.py::test_failing_test_blocks": {
            "nodeid": "scenarios/test_gate.py::test_failing_test_blocks", "worker": "gw1",
            "start": T0 + 340, "stop": T0 + 640, "labels": {"story": "a failing test blocks"},
            "requirement": "A failing unit test MUST stop the pipeline before Approval",
            "verdict": "timeout",
            "message": "capstone.retry.WaitTimeout: Timed out waiting for BuildAndTest Failed",
            "facts": {}, "steps": [], "attachments": []},
    }
    evidence = {
        "run_id": run_dir.name,
        "scenarios": scenarios,
        "timeline": timeline,
        "run": {"started": T0, "finished": T0 + 720,
                "facts": {"target": "aws", "region": "us-east-1", "account_id": ACCOUNT, "prefix": "cc-beef",
},
                # as capstone.leaks.LeakReport.as_dict() gives them, one per environment
                "leak_checks": [
                    {"worker": "gw0", "prefix": "cc-beef-gw0", "run_id": run_dir.name, "ok": True, "types_checked": 27,
                     "leaks": [], "unconfirmed": [], "unchecked": {}},
                    {"worker": "gw1", "prefix": "cc-beef-gw1", "run_id": run_dir.name, "ok": False, "types_checked": 27,
                     "leaks": [{"type": "cloudwatch:alarm", "name": "cc-beef-gw1-5xx", "id": None,
                                "arn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:cc-beef-gw1-5xx",
                                "region": "us-east-1", "created_at": iso(30)}],
                     "unconfirmed": [], "unchecked": {}}],
                # as capstone.least_privilege.collect() gives them on a live run: grants, no use
                "least_privilege": [
                    {"worker": worker, "prefix": f"cc-beef-{worker}", "recorded": False, "source": None,
                     "note": "not recorded live: use IAM last-accessed information", "since": None, "errors": [],
                     "roles": [{"role": f"cc-beef-{worker}-pipeline",
                                "arn": f"arn:aws:iam::{ACCOUNT}:role/cc-beef-{worker}-pipeline",
                                "trusted_by": ["codepipeline.amazonaws.com"],
                                "policies": [{"policy": f"cc-beef-{worker}-pipeline-policy", "kind": "inline",
                                              "granted": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"]}],
                                "granted": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"], "not_actions": [],
                                "used": None, "denied": None, "never_used": None, "used_not_granted": None,
                                "decisions": None, "note": "not recorded live: use IAM last-accessed information"}]}
                    for worker in ("gw0", "gw1")],
                "session_facts": {"baseline_version": "v2", "aws_session_token": "FQoGZXIvYXdzEXAMPLE"},
                "attachments": []},
    }
    return run_dir, evidence
