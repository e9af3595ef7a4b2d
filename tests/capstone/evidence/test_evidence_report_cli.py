"""`capstone report`: the audit page always, Allure HTML where the CLI exists, --verify."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from evidence_recorded_run import SECRET, make_recorded_run

from capstone.cli import main
from capstone.evidence import allure_cli, finish
from capstone.evidence.scrub import Scrubber


@pytest.fixture
def finished_run(tmp_path):
    run_dir, evidence = make_recorded_run(tmp_path)
    scrubber = Scrubber()
    scrubber.register(SECRET)
    finish.finish(run_dir, evidence, scrubber)
    return run_dir


def test_without_allure_renders_the_audit_and_says_how_to_get_allure(finished_run, monkeypatch, capsys):
    monkeypatch.setenv("ALLURE_BIN", str(finished_run / "no-such-allure"))
    (finished_run / "audit.html").unlink()
    assert main(["report", "--reports-dir", str(finished_run.parent)]) == 0
    out = capsys.readouterr().out
    assert f"audit report: {finished_run / 'audit.html'}" in out and "npm install -g allure-commandline" in out
    assert (finished_run / "audit.html").exists()


def test_verify_passes_then_catches_an_edit(finished_run, capsys):
    args = ["report", "--reports-dir", str(finished_run.parent), "--run-id", finished_run.name, "--verify"]
    assert main(args) == 0
    evidence_file = finished_run / "evidence.json"
    evidence_file.write_text(evidence_file.read_text().replace('"passed"', '"failed"', 1))
    assert main(args) == 1
    assert "CHANGED evidence.json: changed since the report was written" in capsys.readouterr().out


def test_rebuild_from_evidence_after_a_crash(tmp_path, capsys, monkeypatch):
    # the controller died before rendering: only evidence.json (written by a previous finish) is there
    run_dir, evidence = make_recorded_run(tmp_path)
    scrubber = Scrubber()
    scrubber.register(SECRET)
    finish.finish(run_dir, evidence, scrubber)
    for name in ("audit.json", "audit.html", "SHA256SUMS"):
        (run_dir / name).unlink()
    monkeypatch.setenv("ALLURE_BIN", "/nonexistent/allure")
    assert main(["report", "--reports-dir", str(run_dir.parent), "--run-id", run_dir.name]) == 0
    assert json.loads((run_dir / "audit.json").read_text())["summary"]["result"] == "FAIL"
    assert main(["report", "--reports-dir", str(run_dir.parent), "--run-id", run_dir.name, "--verify"]) == 0


def test_unknown_run_is_named(tmp_path):
    with pytest.raises(SystemExit, match="no run 'nope' under"):
        main(["report", "--reports-dir", str(tmp_path), "--run-id", "nope"])


@pytest.mark.integration
def test_allure_html_has_the_steps_and_attachments(finished_run, tmp_path):
    """Needs the Allure CLI (ALLURE_BIN or `allure` on PATH, Java); skipped otherwise, except in
    CI (`CI` set), where `.ci/run` installs it and a skip would hide an unrendered report."""
    if allure_cli.find() is None:
        reason = "no Allure command line (set ALLURE_BIN or put allure on PATH; npm install allure-commandline)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; .ci/run installs it, so CI must not skip rendering the Allure HTML")
        pytest.skip(reason)
    results = finished_run / "allure-results"
    # a real allure-pytest result referencing the recorded attachments, as the listener writes it
    att = next(p.name for p in results.glob("*-attachment.json") if "stageStates" in p.read_text())
    (results / "11111111-2222-4333-8444-555555555555-result.json").write_text(json.dumps({
        "uuid": "11111111-2222-4333-8444-555555555555", "name": "test_release", "fullName": "scenarios.test_release#test_release",
        "historyId": "h1", "status": "passed", "start": 1, "stop": 2,
        "labels": [{"name": "feature", "value": "release"}, {"name": "severity", "value": "critical"}],
        "steps": [{"name": "push v3", "status": "passed", "start": 1, "stop": 2, "steps": [],
                   "attachments": [{"name": "pipeline state at Approval", "source": att, "type": "application/json"}]}]}))
    previous = tmp_path / "prev-history"
    previous.mkdir()
    (previous / "history-trend.json").write_text(json.dumps([{"data": {"passed": 3, "total": 3}}]))
    env = {**os.environ, "PYTHONPATH": str(finish.Path(__file__).resolve().parents[3])}
    done = subprocess.run([sys.executable, "-m", "capstone.cli", "report", "--reports-dir", str(finished_run.parent),
                           "--run-id", finished_run.name, "--history-from", str(previous)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    report = finished_run / "allure-report"
    cases = [json.loads(p.read_text()) for p in (report / "data" / "test-cases").glob("*.json")]
    case = next(c for c in cases if c.get("testStage", {}).get("steps"))
    step = case["testStage"]["steps"][0]
    assert step["name"] == "push v3" and step["attachments"][0]["name"] == "pipeline state at Approval"
    assert (report / "data" / "attachments" / step["attachments"][0]["source"]).exists()
    env = next(c for c in cases if c["name"] == "environment: ledger and leak check")
    assert env["status"] == "failed" and {a["name"] for a in env["testStage"]["attachments"]} == {"ledger", "leak check"}
    trend = json.loads((report / "widgets" / "history-trend.json").read_text())
    assert len(trend) == 2  # this run and the carried one: history survived
    shutil.rmtree(report)
