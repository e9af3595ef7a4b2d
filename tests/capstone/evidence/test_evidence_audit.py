"""The audit report rendered from a recorded run: content, integrity, and no planted secret anywhere."""
from __future__ import annotations

import json

import pytest
from evidence_recorded_run import ACCOUNT, PLANTED, SECRET, SECRET_JSONISH

from capstone.evidence import audit, finish, metadata
from capstone.evidence.scrub import Scrubber


@pytest.fixture
def rendered(recorded_run):
    run_dir, evidence = recorded_run
    scrubber = Scrubber()
    scrubber.register(SECRET)
    scrubber.register(SECRET_JSONISH)
    report = finish.finish(run_dir, evidence, scrubber)
    return run_dir, report


def test_no_planted_secret_in_any_file_of_the_run(rendered):
    run_dir, _ = rendered
    files = [p for p in run_dir.rglob("*") if p.is_file() and not p.name.startswith("ledger")]
    assert len(files) >= 10
    for path in files:
        text = path.read_text()
        for planted in PLANTED:
            assert planted not in text, f"{planted!r} leaked into {path.relative_to(run_dir)}"
    assert f"********{ACCOUNT[-4:]}" in (run_dir / "audit.json").read_text()


def test_ledgers_are_left_as_the_environment_wrote_them(rendered):
    # `capstone down --run-id` deletes by the ARNs in the ledger: masking them there would break it
    run_dir, report = rendered
    assert ACCOUNT in (run_dir / "ledger-gw0.json").read_text()
    assert ACCOUNT not in json.dumps(report["ledger"])


def test_run_metadata(rendered):
    _, report = rendered
    run = report["run"]
    assert run["run_id"] == "20260101-000000-beef"
    assert run["target"] == "aws" and run["region"] == "us-east-1"
    assert run["account"] == "********4321"
    assert run["user"] and run["host"] and run["started"].startswith("2026-")
    assert run["suite_version"] and "boto3" in run["dependencies"]
    assert report["summary"]["result"] == "FAIL"
    assert report["summary"]["verdicts"] == {"passed": 1, "failed": 1, "timeout": 1}


def test_each_scenario_carries_requirement_verdict_and_evidence(rendered):
    _, report = rendered
    by_id = {s["nodeid"].split("::")[-1]: s for s in report["scenarios"]}
    release = by_id["test_release"]
    assert "MUST" in release["requirement"] and release["verdict"] == "passed"
    assert release["facts"]["execution_id"] == "e-1111"
    assert release["facts"]["tests"] == {"total": 4, "passed": 4, "failed": 0}
    assert release["facts"]["approval"]["by"] == "capstone"
    assert release["facts"]["approval"]["approval_token"] == "***"
    assert release["facts"]["probe"]["failed"] == 0
    assert release["facts"]["note"] == "db password=***"
    assert [a["verified"] for a in release["attachments"]] == [True, True]
    assert all(a["file"].startswith("allure-results/") for a in release["attachments"])
    rollback = by_id["test_alarm_rolls_back"]
    assert rollback["category"] == {"name": "Product: rollback did not happen", "kind": "product"}
    assert SECRET not in rollback["message"]
    assert by_id["test_failing_test_blocks"]["category"]["kind"] == "infrastructure"


def test_ledger_leak_check_and_cost(rendered):
    _, report = rendered
    resources = report["ledger"]["resources"]
    assert len(resources) == 12 and {r["ledger"] for r in resources} == {"ledger-gw0.json", "ledger-gw1.json"}
    assert all(r["created_at"] for r in resources)
    assert sum(1 for r in resources if not r["deleted_at"]) == 1
    assert report["leak_check"]["status"] == "leaks"
    assert [leak["arn"] for leak in report["leak_check"]["leaks"]] == [
        "arn:aws:cloudwatch:us-east-1:********4321:alarm:cc-beef-gw1-5xx"]
    assert [c["worker"] for c in report["leak_check"]["checks"]] == ["gw0", "gw1"]
    cost = report["cost"]
    assert cost["applies"] is True
    items = {line["item"]: line for line in cost["lines"]}
    # two ASGs of 2 x t3.micro for 660 s each, plus a green fleet of 2 for each deployment
    green = (299 - 176) + (300 - 194) + (329 - 301)
    assert items["EC2 t3.micro"]["quantity"] == 2 * 2 * 660 + 2 * green
    assert items["ALB hours"]["quantity"] == 1  # per ALB line; both ALBs lived < 1 h
    assert items["CodeBuild minutes"]["quantity"] == 2 * 2  # 66 s builds round up to 2 minutes each
    assert cost["total_usd"] > 0


def test_least_privilege_of_a_live_run_shows_the_grants_and_says_use_was_not_recorded(rendered):
    run_dir, report = rendered
    section = report["least_privilege"]
    assert section["status"] == "not recorded live" and [e["worker"] for e in section["environments"]] == ["gw0", "gw1"]
    assert section["totals"] == {"roles": 2, "granted": 4, "used": None, "never_used": None, "denied": None}
    role = section["environments"][0]["roles"][0]
    assert role["arn"] == "arn:aws:iam::********4321:role/cc-beef-gw0-pipeline" and role["used"] is None
    html = (run_dir / "audit.html").read_text()
    assert html.count('<table class="role"') == 2 and "not recorded live: use IAM last-accessed information" in html


def test_html_is_self_contained_and_shows_the_run(rendered):
    run_dir, report = rendered
    html = (run_dir / "audit.html").read_text()
    assert "<svg" in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in html and "<link" not in html
    for text in ("A pushed commit MUST be built", "d-CCCC3333: Succeeded, rolls back d-BBBB2222", "DeployBlueGreen",
                 "gw0 · traffic", "gw1 · deployments", "Product: rollback did not happen",
                 "Estimated cost of this run on AWS", "cc-beef-gw1-5xx", "SHA256SUMS"):
        assert text in html, text


def test_digests_detect_a_later_edit(rendered):
    run_dir, report = rendered
    assert audit.verify(run_dir) == []
    assert {f["path"] for f in report["files"]} >= {"junit.xml", "evidence.json", "ledger-gw0.json"}
    junit = run_dir / "junit.xml"
    junit.write_text(junit.read_text().replace("e-1111", "e-9999"))
    assert audit.verify(run_dir) == ["junit.xml: changed since the report was written"]


def test_allure_side_files(rendered, monkeypatch):
    run_dir, _ = rendered
    results = run_dir / "allure-results"
    props = (results / "environment.properties").read_text()
    assert "Target=aws" in props and "Account=********4321" in props and "dep.boto3=" in props
    names = [c["name"] for c in json.loads((results / "categories.json").read_text())]
    assert "Infrastructure: timeout" in names and "Product: the gate did not block" in names
    # executor.json exists exactly when CI variables name an executor (CI itself sets CI=true)
    assert (results / "executor.json").exists() == (metadata.executor() is not None)


def test_the_ledgers_fill_in_run_facts_nobody_recorded(recorded_run):
    run_dir, evidence = recorded_run
    for key in ("account_id", "prefix", "target"):
        evidence["run"]["facts"].pop(key)
    report = finish.finish(run_dir, evidence, Scrubber())
    assert report["run"]["account"] == "********4321"
    assert report["run"]["prefix"] == "cc-beef-gw0, cc-beef-gw1" and report["run"]["target"] == "aws"


def test_allure_gets_the_ledger_and_leak_check_as_a_result(rendered):
    run_dir, _ = rendered
    results = run_dir / "allure-results"
    env = next(json.loads(p.read_text()) for p in results.glob("*-result.json")
               if "ledger and leak check" in p.read_text())
    assert env["status"] == "failed" and "leak check: leaks" in env["statusDetails"]["message"]
    names = {a["name"]: a["source"] for a in env["attachments"]}
    ledger = json.loads((results / names["ledger"]).read_text())
    assert len(ledger["resources"]) == 12 and ACCOUNT not in json.dumps(ledger)


def test_executor_from_ci_variables():
    from capstone.evidence import metadata

    gh = metadata.executor({"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "o/r", "GITHUB_RUN_ID": "42",
                            "GITHUB_RUN_NUMBER": "7", "GITHUB_WORKFLOW": "capstone"})
    assert gh["type"] == "github" and gh["buildUrl"] == "https://github.com/o/r/actions/runs/42" and gh["buildOrder"] == 7
    assert metadata.executor({"CI": "1", "BUILD_URL": "https://ci/1"})["buildUrl"] == "https://ci/1"
    assert metadata.executor({}) is None


def test_the_audit_lists_the_notifications_received_without_tokens():
    from capstone.evidence import audit as audit_mod

    evidence = {"timeline": [
        {"t": 2.0, "kind": "notification", "notice": "execution", "pipeline": "p", "execution_id": "e-1", "state": "FAILED"},
        {"t": 1.0, "kind": "notification", "notice": "approval", "pipeline": "p", "stageName": "Approval",
         "actionName": "ManualApproval", "approvalReviewLink": "https://x/#/view/p/Approval/ManualApproval/approve/<token>",
         "token_present": True},
        {"t": 1.5, "kind": "pipeline", "name": "Source"}]}
    listed = audit_mod.notifications(evidence)
    assert [n["notice"] for n in listed] == ["approval", "execution"]
    assert listed[0]["approvalReviewLink"].endswith("/approve/<token>") and listed[1]["state"] == "FAILED"


def test_internal_packages_published_and_consumed_are_listed_once_in_order():
    from capstone.evidence.audit import internal_packages

    run = {"session_facts": {"internal_packages_published": ["demo-greeting==1.0.0"]}}
    scenarios = [{"facts": {"internal_packages_published": ["demo-greeting==1.1.0"],
                            "internal_packages_consumed": ["demo-greeting==1.0.0", "demo-greeting==1.1.0"]}},
                 {"facts": {"internal_packages_consumed": ["demo-greeting==1.1.0"]}}]
    assert internal_packages(run, scenarios) == {
        "published": ["demo-greeting==1.0.0", "demo-greeting==1.1.0"],
        "consumed": ["demo-greeting==1.0.0", "demo-greeting==1.1.0"]}
