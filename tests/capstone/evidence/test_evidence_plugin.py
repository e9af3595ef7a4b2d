"""The pytest plugin end to end: a small suite run in a fresh pytest process (with and without
xdist) leaves Allure results, JUnit with properties and a merged audit report — and no secret."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SECRET = "Reg1stered-In-Worker-Secret"
TOKEN = "7c9e6679-7425-40de-944b-e07fc1f90ae7"

SUITE = f'''
import pytest
from capstone import evidence

@pytest.fixture(scope="session", autouse=True)
def environment():
    evidence.register_secret("{SECRET}")        # as the environment does for its SSM/Secrets Manager values
    evidence.run_fact("account_id", "123456789012")
    evidence.record("baseline_version", "v2")
    yield

@pytest.mark.capstone(requirement="A push MUST be deployed", feature="release", story="push is released",
                      severity="critical")
def test_release():
    with evidence.step("push v3"):
        evidence.event("stage", stage="Source", status="InProgress", execution_id="e-1")
        evidence.event("stage", stage="Source", status="Succeeded", execution_id="e-1")
    evidence.record("execution_id", "e-1")
    evidence.append("deployment_ids", "d-ONE")
    evidence.append("deployment_ids", "d-TWO")
    evidence.attach("pipeline state", {{"stage": "Source", "token": "{TOKEN}"}})
    print("the build saw {SECRET} and approval token {TOKEN}")

@pytest.mark.capstone(requirement="A failing test MUST block the pipeline", feature="gate", story="blocks")
def test_gate():
    evidence.record("execution_id", "e-2")
    assert False, "the gate did not block: e-2 reached Approval ({SECRET})"

@pytest.mark.capstone(requirement="A wait MUST end", feature="gate", story="times out")
def test_times_out():
    raise TimeoutError("Timed out waiting for BuildAndTest")
'''


def run_suite(tmp_path: Path, *args: str, suite: str = SUITE) -> tuple[subprocess.CompletedProcess, Path]:
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["fixtures.options", "fixtures.evidence"]\n')
    (tmp_path / "test_suite.py").write_text(suite)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAPSTONE_", "PYTEST_", "GITHUB_"))}
    env.update(PYTHONPATH=str(ROOT), CAPSTONE_REPORTS_DIR=str(tmp_path / "reports"))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    runs = list((tmp_path / "reports").glob("*"))
    assert len(runs) == 1, (runs, done.stdout[-3000:], done.stderr[-3000:])
    return done, runs[0]


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_a_run_leaves_allure_junit_and_a_merged_audit(tmp_path, workers):
    done, run_dir = run_suite(tmp_path, *workers)
    assert done.returncode == 1, done.stdout[-3000:]
    assert f"audit report: {run_dir / 'audit.html'} (FAIL, 3 scenario(s))" in done.stdout

    # JUnit at the default place, each scenario's facts as properties
    cases = {c.get("name"): c for c in ET.parse(run_dir / "junit.xml").getroot().iter("testcase")}
    props = {name: {p.get("name"): p.get("value") for p in case.iter("property")} for name, case in cases.items()}
    assert props["test_release"] == {"execution_id": "e-1", "deployment_ids": "d-ONE,d-TWO"}
    assert props["test_gate"] == {"execution_id": "e-2"}

    # Allure: labels from the marker, the step, the attachment, our side files
    results = run_dir / "allure-results"
    tests = [json.loads(p.read_text()) for p in results.glob("*-result.json")]
    release = next(t for t in tests if t["name"] == "test_release")
    labels = {(lb["name"], lb["value"]) for lb in release["labels"]}
    assert {("feature", "release"), ("story", "push is released"), ("severity", "critical"),
            ("epic", "AWS CI/CD pipeline conformance"), ("target", "local")} <= labels
    assert release["description"] == "A push MUST be deployed"
    assert [s["name"] for s in release["steps"]] == ["push v3"]
    assert {a["name"] for a in release["attachments"]} >= {"pipeline state", "stdout"}
    assert {"environment.properties", "categories.json"} <= {p.name for p in results.iterdir()}

    # the audit merged every worker's evidence
    report = json.loads((run_dir / "audit.json").read_text())
    verdicts = {s["nodeid"].split("::")[-1]: s["verdict"] for s in report["scenarios"]}
    assert verdicts == {"test_release": "passed", "test_gate": "failed", "test_times_out": "timeout"}
    gate = next(s for s in report["scenarios"] if s["nodeid"].endswith("test_gate"))
    assert gate["category"] == {"name": "Product: the gate did not block", "kind": "product"}
    assert gate["requirement"] == "A failing test MUST block the pipeline"
    release = next(s for s in report["scenarios"] if s["nodeid"].endswith("test_release"))
    assert release["attachments"][0]["verified"] is True
    assert report["run"]["account"] == "********9012"
    assert report["session"]["facts"] == {"baseline_version": "v2"}  # session fixtures record into the session
    if workers:
        assert {s["worker"] for s in report["scenarios"]} <= {"gw0", "gw1"}

    # nothing secret in any file of the run, though the worker registered the value
    for path in run_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert SECRET not in text and TOKEN not in text and "123456789012" not in text, path


def test_a_scenario_marker_without_a_must_sentence_is_refused_by_name(tmp_path):
    suite = ('import pytest\n@pytest.mark.capstone(requirement="deploys", feature="x")\n'
             'def test_vague():\n    pass\n')
    done, _ = run_suite(tmp_path, suite=suite)
    assert done.returncode == 4
    assert "test_suite.py::test_vague: @pytest.mark.capstone needs requirement= a sentence with MUST" in done.stderr


def test_explicit_alluredir_and_junitxml_are_respected(tmp_path):
    done, run_dir = run_suite(tmp_path, f"--alluredir={tmp_path / 'mine'}", f"--junitxml={tmp_path / 'j.xml'}")
    assert (tmp_path / "mine" / "categories.json").exists() and (tmp_path / "j.xml").exists()
    assert not (run_dir / "junit.xml").exists() and (run_dir / "audit.json").exists()
    assert SECRET not in (tmp_path / "j.xml").read_text()
