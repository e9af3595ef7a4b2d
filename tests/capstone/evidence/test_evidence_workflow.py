"""The CI workflow says what docs/evidence.md promises (GitHub cannot be run here: check its shape)."""
from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[3] / ".github" / "workflows" / "capstone.yml"


def load():
    data = yaml.safe_load(WORKFLOW.read_text())
    return data[True] if True in data else data["on"], data["jobs"]  # YAML 1.1 reads `on` as true


def steps(job):
    return [(s.get("name") or s.get("uses") or "", s) for s in job["steps"]]


def test_triggers_nightly_manual_and_every_push():
    on, jobs = load()
    assert on["schedule"][0]["cron"] and "workflow_dispatch" in on and "push" in on
    assert "schedule" not in jobs["offline"]["if"] or "!= 'schedule'" in jobs["offline"]["if"]
    assert "schedule" in jobs["live"]["if"]


def test_live_job_uses_oidc_sweeps_around_the_suite_and_keeps_evidence():
    _, jobs = load()
    live = jobs["live"]
    assert live["permissions"]["id-token"] == "write"
    names = [name for name, _ in steps(live)]
    runs = [s.get("run", "") for _, s in steps(live)]
    creds = next(s for _, s in steps(live) if s.get("uses", "").startswith("aws-actions/configure-aws-credentials"))
    assert "role-to-assume" in creds["with"] and "aws-access-key-id" not in creds["with"]
    sweep_before = next(i for i, r in enumerate(runs) if "capstone sweep" in r)
    suite = next(i for i, r in enumerate(runs) if "-m e2e --target aws" in r and "-n 2" in r)
    sweep_after = max(i for i, r in enumerate(runs) if "capstone sweep" in r)
    assert sweep_before < suite < sweep_after
    assert live["steps"][sweep_after].get("if") == "always()"
    history = next(i for i, r in enumerate(runs) if "allure-history" in r and "gh run download" in r)
    render = next(i for i, r in enumerate(runs) if "capstone report" in r and "--history-from" in r)
    assert history < render, names
    uploads = [s for _, s in steps(live) if s.get("uses", "").startswith("actions/upload-artifact")]
    assert {u["with"]["name"] for u in uploads} >= {"allure-history"}
    assert all(u.get("if") == "always()" for u in uploads)


def test_offline_job_runs_the_suite_with_two_workers_and_uploads_reports():
    _, jobs = load()
    runs = " ".join(s.get("run", "") for _, s in steps(jobs["offline"]))
    assert 'make e2e PYTEST_ARGS="-n 2"' in runs and "capstone report" in runs
    assert any(s.get("uses", "").startswith("actions/upload-artifact") for _, s in steps(jobs["offline"]))
