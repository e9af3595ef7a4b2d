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


def _capstone_commands(job):
    """Every `.venv/bin/capstone ...` line of a job's run steps, shell-split, variables filled."""
    import shlex

    for _, step in steps(job):
        for line in step.get("run", "").splitlines():
            line = line.split("||", 1)[0].strip()
            if line.startswith(".venv/bin/capstone "):
                line = line.replace('"$AWS_REGION"', "us-east-1").replace('"$CAPSTONE_RUN_ID"', "20260101-000000-beef")
                yield shlex.split(line)[1:]


def test_every_capstone_command_in_the_workflow_parses_and_the_live_ones_target_aws():
    from capstone.cli import build_parser

    _, jobs = load()
    for name, job in jobs.items():
        for argv in _capstone_commands(job):
            args = build_parser().parse_args(argv)  # a wrong flag exits here (SystemExit)
            if name == "live" and args.command in ("sweep", "down"):
                assert args.target == "aws", f"live job: `capstone {' '.join(argv)}` would not reach AWS"
