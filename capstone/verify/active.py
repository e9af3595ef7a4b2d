"""The opt-in active checks of `capstone verify --allow-changes`: real releases through the
team's pipeline, each followed by a restore.

The plan, printed before anything changes (docs/verify.md):

    harmless release   push a marker file under .capstone-verify/ (nothing the app reads);
                       approve its execution; probe the app until it ends
    failing test       (profile `patches.failing_test`) push that patch; it must stop at
                       Build/Test: no approval, no deployment
    unhealthy green    (profile `patches.unhealthy_green`) push that patch and approve it; the
                       deployment must fail and roll back, with no failed request
    restore, each      whatever happened, push the revert of the commit and ship it (approved),
                       so the branch and production hold what they held before

verify's only API write is codepipeline:PutApprovalResult on the executions it started.
"""
from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Callable

from capstone.aws_status import DEPLOYMENT_DONE
from capstone.drivers.approve import Approver
from capstone.drivers.probe import Probe
from capstone.drivers.push import WorkingCopy
from capstone.drivers.watch import PipelineWatcher
from capstone.retry import Backoff, Deadline
from capstone.verify.checks import FAIL, NOT_APPLICABLE, PASS, Verdict
from capstone.verify.topology import Topology

MARKER_DIR = ".capstone-verify"
SUMMARY = "capstone verify --allow-changes: approved by the conformance run"
ACTIVE = {
    "ACT-01": "A push to the source branch MUST start an execution of the pipeline.",
    "ACT-02": "An approved release MUST succeed in every stage.",
    "ACT-03": "Users MUST see no failed request while a release ships.",
    "ACT-04": "Every restore MUST ship, leaving the branch and production as they were.",
    "ACT-05": "A release whose tests fail MUST stop at Build/Test: no approval, no deployment.",
    "ACT-06": "A release whose green fleet is unhealthy MUST fail its deployment and roll back, "
              "with no failed request.",
}


class ActivePlanError(ValueError):
    """The pipeline cannot be exercised as planned (said before anything changes)."""


def plan(topology: Topology, target, branch: str | None) -> dict:
    """What the active checks will do, or ActivePlanError if they cannot."""
    sources = [a for a in topology.actions if a.category == "Source" and a.provider == "CodeCommit"]
    if len(sources) != 1:
        raise ActivePlanError(f"--allow-changes needs exactly one CodeCommit source action; the pipeline has "
                              f"{len(sources)}")
    configured = sources[0].configuration.get("BranchName")
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
    if "unhealthy_green" in profile.patches and len(topology.deployment_groups) != 1:
        raise ActivePlanError("patches.unhealthy_green needs exactly one CodeDeploy deployment group in the pipeline")
    approvals = [(a.stage, a.name) for a in topology.actions if a.category == "Approval" and a.provider == "Manual"]
    builds = sorted({a.stage for a in topology.actions if a.category in ("Build", "Test")})
    deploys = sorted({a.stage for a in topology.actions if a.category == "Deploy"})
    steps = [f"push a marker file under {MARKER_DIR}/ to {configured}; approve "
             + (", ".join(f"{s}/{a}" for s, a in approvals) or "nothing") + f"; probe {url}; revert and ship the revert"]
    if "failing_test" in profile.patches:
        steps.append(f"push {profile.patches['failing_test']}: {', '.join(builds)} must fail before any approval; "
                     "revert and ship the revert")
    if "unhealthy_green" in profile.patches:
        steps.append(f"push {profile.patches['unhealthy_green']} and approve: the deployment must roll back with "
                     "no failed request; revert and ship the revert")
    return {"repository": sources[0].configuration.get("RepositoryName"), "branch": configured, "url": url,
            "headers": headers, "approvals": approvals, "build_stages": builds, "deploy_stages": deploys,
            "deployment_group": next(iter(topology.deployment_groups), None), "patches": dict(profile.patches),
            "steps": steps}


class Exercise:
    """The releases of one verify run, on one working copy of the source branch."""

    def __init__(self, target, clients: Callable[[str], object], topology: Topology, steps: dict, workdir: Path,
                 seconds: float, run_id: str, say: Callable[[str], None]):
        self.cp, self.cd = clients("codepipeline"), clients("codedeploy")
        self.pipeline = topology.profile.pipeline
        self.steps, self.seconds, self.run_id, self.say = steps, seconds, run_id, say
        clone = clients("codecommit").get_repository(repositoryName=steps["repository"])["repositoryMetadata"]
        self.repo = WorkingCopy(clone["cloneUrlHttp"], target.git_env(), workdir, branch=steps["branch"], log=say)
        self.verdicts: dict[str, Verdict] = {}
        self.record: dict = {"plan": {k: v for k, v in steps.items() if k != "headers"}, "commits": []}
        self.restores: list[str] = []

    def verdict(self, id: str, outcome: str, message: str, evidence: dict | None = None) -> None:
        self.verdicts[id] = Verdict(id, ACTIVE[id], outcome, message, evidence or {})

    def probe(self) -> Probe:
        return Probe(self.steps["url"], self.steps["headers"], log=self.say, max_seconds=self.seconds,
                     name="verify-probe")

    def watch(self, commit: str, deadline: Deadline) -> PipelineWatcher:
        return PipelineWatcher.for_commit(self.cp, self.pipeline, commit, deadline, log=self.say)

    def ship(self, watcher: PipelineWatcher, deadline: Deadline):
        """Approve every manual approval of the watched execution, then wait for its end."""
        for stage, action in self.steps["approvals"]:
            Approver(self.cp, self.pipeline, stage, action, log=self.say).approve(watcher, SUMMARY, deadline)
        return watcher.wait_until_done(deadline)

    def push(self, change, what: str) -> str:
        commit = self.repo.push(change, f"capstone verify {self.run_id}: {what} (verify reverts it)")
        self.record["commits"].append({"commit": commit, "what": what})
        return commit

    def restore(self, commit: str) -> None:
        """Revert `commit` and ship the revert; a failure is kept for ACT-04, never raised."""
        started = time.monotonic()
        try:
            revert = self.repo.revert(commit, f"capstone verify {self.run_id}: restore (revert {commit[:12]})")
            deadline = Deadline.of(self.seconds)
            snap = self.ship(self.watch(revert, deadline), deadline)
            self.restores.append(f"{revert[:12]} (revert of {commit[:12]}) {snap.status} "
                                 f"in {time.monotonic() - started:.0f} s")
            if snap.status != "Succeeded":
                self.restores[-1] = "FAILED: " + self.restores[-1]
        except Exception as exc:  # noqa: BLE001
            self.restores.append(f"FAILED: the revert of {commit[:12]} did not ship ({type(exc).__name__}: {exc}); "
                                 f"revert it on {self.steps['branch']} by hand")

    # -- the exercises -------------------------------------------------------------------------
    def harmless_release(self) -> None:
        marker = {f"{MARKER_DIR}/{self.run_id}.txt": f"capstone verify run {self.run_id}: a harmless marker\n"}
        commit = self.push(marker, "harmless marker commit")
        try:
            deadline = Deadline.of(self.seconds)
            with self.probe() as probe:
                try:
                    watcher = self.watch(commit, deadline)
                    self.verdict("ACT-01", PASS, f"commit {commit[:12]} started execution {watcher.execution_id}")
                    snap = self.ship(watcher, deadline)
                    self.verdict("ACT-02", PASS if snap.status == "Succeeded" else FAIL,
                                 f"the execution ended {snap.status}"
                                 + ("" if snap.status == "Succeeded" else f": {snap.describe()}"),
                                 {"stages": {name: view.status for name, view in snap.stages.items()}})
                except Exception as exc:  # noqa: BLE001 - the verdicts say what went wrong
                    self.verdict("ACT-02" if "ACT-01" in self.verdicts else "ACT-01", FAIL,
                                 f"{type(exc).__name__}: {exc}")
            self.verdict("ACT-03", *_no_failures(probe.summary(), self.steps["url"]))
        finally:
            self.restore(commit)

    def failing_test(self, patch: str) -> None:
        pushed_at = time.time()
        commit = self.push(_applies(patch), "a change whose tests fail (profile patches.failing_test)")
        try:
            deadline = Deadline.of(self.seconds)
            watcher = self.watch(commit, deadline)
            snap = watcher.wait_until_done(deadline)
            problems = []
            failed_builds = [s for s in self.steps["build_stages"] if snap.stage(s).status == "Failed"]
            if not failed_builds:
                problems.append(f"no Build/Test stage failed ({snap.describe()})")
            reached = [f"{s}/{a}" for s, a in self.steps["approvals"] if watcher.ever("stage", s, "InProgress")]
            if reached:
                problems.append(f"the approval {', '.join(reached)} was reached")
            created = self._deployments_since(pushed_at)
            if created:
                problems.append(f"deployment(s) {', '.join(created)} were created")
            self.verdict("ACT-05", FAIL if problems else PASS,
                         "; ".join(problems) if problems else f"{', '.join(failed_builds)} failed; no approval, "
                                                              "no deployment", {"timeline": watcher.timeline()})
        except Exception as exc:  # noqa: BLE001
            self.verdict("ACT-05", FAIL, f"{type(exc).__name__}: {exc}")
        finally:
            self.restore(commit)

    def unhealthy_green(self, patch: str) -> None:
        pushed_at = time.time()
        commit = self.push(_applies(patch), "a change whose green fleet is unhealthy (profile patches.unhealthy_green)")
        try:
            deadline = Deadline.of(self.seconds)
            with self.probe() as probe:
                snap = self.ship(self.watch(commit, deadline), deadline)
                rollbacks = self._rollbacks(pushed_at, deadline)
            problems = []
            if snap.status == "Succeeded":
                problems.append("the unhealthy release succeeded")
            if not rollbacks:
                problems.append("no deployment rolled back")
            elif any(status != "Succeeded" for status in rollbacks.values()):
                problems.append(f"rollback(s) did not succeed: {rollbacks}")
            failed, message, evidence = _no_failures(probe.summary(), self.steps["url"])
            if failed == FAIL:
                problems.append(message)
            self.verdict("ACT-06", FAIL if problems else PASS,
                         "; ".join(problems) if problems else f"the execution ended {snap.status}; rolled back by "
                                                              f"{', '.join(rollbacks)}; {message}",
                         {"rollbacks": rollbacks, "probe": evidence})
        except Exception as exc:  # noqa: BLE001
            self.verdict("ACT-06", FAIL, f"{type(exc).__name__}: {exc}")
        finally:
            self.restore(commit)

    # -- CodeDeploy reads ----------------------------------------------------------------------
    def _deployments_since(self, t: float) -> list[str]:
        key = self.steps["deployment_group"]
        if not key:
            return []
        app, group = key.split("/", 1)
        return self.cd.list_deployments(applicationName=app, deploymentGroupName=group,
                                        createTimeRange={"start": t})["deployments"]

    def _rollbacks(self, since: float, deadline: Deadline) -> dict[str, str]:
        """rollback deployment id -> its final status, for the deployments created since `since`."""
        out, backoff = {}, Backoff()
        for deployment in self._deployments_since(since):
            rollback = (self.cd.get_deployment(deploymentId=deployment)["deploymentInfo"].get("rollbackInfo") or {}).get(
                "rollbackDeploymentId")
            if not rollback:
                continue
            while True:
                status = self.cd.get_deployment(deploymentId=rollback)["deploymentInfo"]["status"]
                if status in DEPLOYMENT_DONE or deadline.expired():
                    out[rollback] = status
                    break
                deadline.sleep(backoff.next())
        return out

    def finish(self) -> tuple[list[Verdict], dict]:
        failed = [r for r in self.restores if r.startswith("FAILED")]
        self.verdict("ACT-04", FAIL if failed or not self.restores else PASS,
                     "; ".join(failed) if failed else f"{len(self.restores)} restore(s) shipped",
                     {"restores": self.restores})
        for id in ACTIVE:
            if id not in self.verdicts:
                patch = {"ACT-05": "failing_test", "ACT-06": "unhealthy_green"}.get(id)
                self.verdicts[id] = Verdict(id, ACTIVE[id], NOT_APPLICABLE,
                                            f"the profile supplies no patches.{patch}" if patch else "not reached")
        return [self.verdicts[id] for id in ACTIVE], self.record


def _applies(patch: str):
    def change(tree: Path) -> None:
        done = subprocess.run(["git", "apply", "--whitespace=nowarn", patch], cwd=tree, capture_output=True, text=True)
        if done.returncode != 0:
            raise ValueError(f"`git apply {patch}` failed on the branch: {done.stderr.strip()}")
    return change


def _no_failures(summary, url: str) -> tuple[str, str, dict]:
    outcome = PASS if summary.total and not summary.failures else FAIL
    message = f"{summary.failed_requests} of {summary.total} requests to {url} failed"
    if summary.failures:
        message += f": {summary.describe_failures()}"
    return outcome, message, summary.to_dict()


def run(target, clients, topology: Topology, steps: dict, workdir: Path, *, seconds: float, run_id: str,
        say: Callable[[str], None]) -> tuple[list[Verdict], dict]:
    exercise = Exercise(target, clients, topology, steps, workdir, seconds, run_id, say)
    exercise.harmless_release()
    if "failing_test" in steps["patches"]:
        exercise.failing_test(steps["patches"]["failing_test"])
    if "unhealthy_green" in steps["patches"]:
        exercise.unhealthy_green(steps["patches"]["unhealthy_green"])
    return exercise.finish()
