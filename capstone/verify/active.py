"""The opt-in active checks of `capstone verify --allow-changes`: a real release through the
team's pipeline, then a restore.

The plan, printed before anything changes:

    1. push one harmless commit to the source branch: a marker file under .capstone-verify/
       (nothing the app reads), with a message that says it is verify's and will be reverted;
    2. watch the execution that commit starts; approve every manual approval it reaches (the
       only API write verify makes: codepipeline:PutApprovalResult, on its own execution);
    3. probe the app (profile `app_url`, else the discovered load balancer) from the push until
       the execution ends: every request must succeed;
    4. restore, whatever happened: push the revert of the marker commit and take it through the
       pipeline the same way, so the branch and production hold what they held before.

Verdicts: ACT-01 (the push starts an execution), ACT-02 (approved, it succeeds in every stage),
ACT-03 (no failed request while it ships), ACT-04 (the restore ships).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from capstone.drivers.approve import Approver
from capstone.drivers.probe import Probe
from capstone.drivers.push import WorkingCopy
from capstone.drivers.watch import PipelineWatcher
from capstone.retry import Deadline
from capstone.verify.checks import FAIL, NOT_APPLICABLE, PASS, Verdict
from capstone.verify.topology import Topology

MARKER_DIR = ".capstone-verify"
SUMMARY = "capstone verify --allow-changes: approved by the conformance run"
ACTIVE = {
    "ACT-01": "A push to the source branch MUST start an execution of the pipeline.",
    "ACT-02": "An approved release MUST succeed in every stage.",
    "ACT-03": "Users MUST see no failed request while a release ships.",
    "ACT-04": "The restore MUST ship, leaving the branch and production as they were.",
}


class ActivePlanError(ValueError):
    """The pipeline cannot be exercised as planned (said before anything changes)."""


def plan(topology: Topology, target, branch: str | None) -> dict:
    """What the active checks will do, or ActivePlanError if they cannot."""
    sources = [a for a in topology.actions if a.category == "Source" and a.provider == "CodeCommit"]
    if len(sources) != 1:
        raise ActivePlanError(f"--allow-changes needs exactly one CodeCommit source action; the pipeline has "
                              f"{len(sources)}")
    source = sources[0]
    configured = source.configuration.get("BranchName")
    if branch and branch != configured:
        raise ActivePlanError(f"--branch {branch} is not the branch the pipeline builds ({configured}); "
                              "verify pushes only to that branch")
    profile = topology.profile
    if profile.app_url:
        url, headers = profile.app_url.rstrip("/") + (profile.version_marker or "/"), {}
    else:
        lbs = [lb for lb in topology.load_balancers.values()
               if not profile.alb or profile.alb in (lb["LoadBalancerName"], lb["LoadBalancerArn"])]
        if len(lbs) != 1:
            raise ActivePlanError("--allow-changes needs the app's URL: set `app_url` (or `alb`) in the profile; "
                                  f"discovery found {len(lbs)} load balancer(s)")
        url, headers = target.alb_url(lbs[0]["DNSName"], profile.version_marker or "/")
    approvals = [(a.stage, a.name) for a in topology.actions if a.category == "Approval" and a.provider == "Manual"]
    return {"repository": source.configuration.get("RepositoryName"), "branch": configured, "url": url,
            "headers": headers, "approvals": approvals,
            "steps": [f"push a marker file under {MARKER_DIR}/ to {configured}",
                      "watch its execution; approve " + (", ".join(f"{s}/{a}" for s, a in approvals) or "nothing"),
                      f"probe {url} until the execution ends", "push the revert of the marker and ship it the same way"]}


def _ship(cp, pipeline: str, watcher: PipelineWatcher, steps: dict, deadline: Deadline, say):
    """Approve every manual approval of the watched execution, then wait for its end."""
    for stage, action in steps["approvals"]:
        Approver(cp, pipeline, stage, action, log=say).approve(watcher, SUMMARY, deadline)
    return watcher.wait_until_done(deadline)


def run(target, clients: Callable[[str], object], topology: Topology, steps: dict, workdir: Path, *,
        seconds: float, run_id: str, say: Callable[[str], None]) -> tuple[list[Verdict], dict]:
    cp = clients("codepipeline")
    pipeline = topology.profile.pipeline
    clone = clients("codecommit").get_repository(repositoryName=steps["repository"])["repositoryMetadata"]
    wc = WorkingCopy(clone["cloneUrlHttp"], target.git_env(), workdir, branch=steps["branch"], log=say)
    verdicts: dict[str, Verdict] = {}
    record: dict = {"plan": {k: v for k, v in steps.items() if k != "headers"}}

    def verdict(id: str, outcome: str, message: str, evidence: dict | None = None) -> None:
        verdicts[id] = Verdict(id, ACTIVE[id], outcome, message, evidence or {})

    marker = {f"{MARKER_DIR}/{run_id}.txt": f"capstone verify run {run_id}: a harmless marker, reverted by verify\n"}
    commit = wc.push(marker, f"capstone verify {run_id}: harmless marker commit (verify reverts it)")
    record["marker_commit"] = commit
    try:
        deadline = Deadline.of(seconds)
        with Probe(steps["url"], steps["headers"], log=say, max_seconds=seconds, name="verify-probe") as probe:
            try:
                watcher = PipelineWatcher.for_commit(cp, pipeline, commit, deadline, log=say)
                verdict("ACT-01", PASS, f"commit {commit[:12]} started execution {watcher.execution_id}")
                snap = _ship(cp, pipeline, watcher, steps, deadline, say)
                verdict("ACT-02", PASS if snap.status == "Succeeded" else FAIL,
                        f"the execution ended {snap.status}" + ("" if snap.status == "Succeeded"
                                                                else f": {snap.describe()}"),
                        {"stages": {name: view.status for name, view in snap.stages.items()}})
            except Exception as exc:  # noqa: BLE001 - the verdicts say what went wrong
                verdict("ACT-02" if "ACT-01" in verdicts else "ACT-01", FAIL, f"{type(exc).__name__}: {exc}")
        summary = probe.summary()
        verdict("ACT-03", PASS if summary.total and not summary.failures else FAIL,
                f"{summary.failed_requests} of {summary.total} requests to {steps['url']} failed"
                + (f": {summary.describe_failures()}" if summary.failures else ""), summary.to_dict())
    finally:
        started = time.monotonic()
        try:
            revert = wc.revert(commit, f"capstone verify {run_id}: restore (revert the marker commit)")
            record["restore_commit"] = revert
            deadline = Deadline.of(seconds)
            snap = _ship(cp, pipeline, PipelineWatcher.for_commit(cp, pipeline, revert, deadline, log=say), steps,
                         deadline, say)
            verdict("ACT-04", PASS if snap.status == "Succeeded" else FAIL,
                    f"the restore {revert[:12]} ended {snap.status} in {time.monotonic() - started:.0f} s")
        except Exception as exc:  # noqa: BLE001
            verdict("ACT-04", FAIL, f"the restore did not ship: {type(exc).__name__}: {exc}; revert "
                                    f"{commit[:12]} on {steps['branch']} by hand")
    for id in ACTIVE:
        verdicts.setdefault(id, Verdict(id, ACTIVE[id], NOT_APPLICABLE, "not reached"))
    return [verdicts[id] for id in ACTIVE], record
