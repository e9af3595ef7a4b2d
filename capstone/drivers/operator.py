"""The drivers composed for one environment: what a developer and an operator do, step by step.

A scenario asks the Operator to push, approve, reject, probe and read deployments; the Operator
keeps the one thing that outlives a scenario — which version is known good and served — and
checks before each scenario that the environment is at that baseline (failing fast with why).

Nothing here knows local from live: the only difference is the time scale (capstone/profile.py),
from which `Pace`, the waiting budget, is derived (the configured AWS waits are the same on both;
offline they run scaled).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from capstone import evidence
from capstone.drivers import app, http
from capstone.drivers.approve import Approver
from capstone.drivers.builds import BuildReader
from capstone.drivers.deployments import DeploymentReader
from capstone.drivers.fleet import Fleet
from capstone.drivers.notifications import APPROVAL, EXECUTION, Notice, NotificationInbox
from capstone.drivers.probe import Probe
from capstone.drivers.push import Change, WorkingCopy
from capstone.drivers.watch import PipelineWatcher, Snapshot
from capstone.profile import REAL_TIME, TIME_SCALE, check_time_scale
from capstone.retry import Backoff, Deadline, WaitTimeout, wait_until

DEFAULT_STAGES = ("Source", "BuildAndTest", "Approval", "DeployBlueGreen")


class NotAtBaseline(Exception):
    """A scenario's precondition does not hold; raised before it changes anything."""


@dataclass(frozen=True)
class Pace:
    """How long to wait for what, and how often to look (real seconds), at one time scale.

    `Pace.for_time_scale(scale)` derives every field from the scale (capstone/profile.py): at the
    offline scale (profile.TIME_SCALE) each field has its offline value, at 1 (real AWS) its AWS
    value, and in between it moves geometrically from one to the other — the same fraction of
    the way on a log scale as the scale itself, so 0.1 (5× the offline scale, 10× short of real
    AWS) is about 41% of the way. Below the offline scale the polling intervals keep shrinking
    with the scale (to a 5 ms floor) and the budgets stay at their offline values: what the
    suite waits for there is dominated by real work (git, builds, HTTP) that no scale shortens.
    """
    time_scale: float         # the scale the fields below are derived for
    poll_cap: float           # longest pause between two polls of a pipeline or deployment
    fast_poll: float          # polling inside short windows (the termination wait)
    probe_rate: float         # probe requests per second
    probe_max: float          # probe duration bound
    find_execution: float     # push -> its execution exists
    to_approval: float        # push -> its approval waits (Source + BuildAndTest)
    deployment: float         # approval -> execution over (blue/green incl. termination wait)
    settle: float             # rollbacks, group deletions, alarms returning to OK
    alarm_interval: float     # between two breaching data points
    baseline: float           # the pipeline's first run: created -> approved -> deployed
    serve: float              # deployed -> the ALB serves that version
    iam_propagation: float    # a service accepts a role or instance profile the builders just made
    timeout_factor: float     # a scenario's pytest timeout = its mark's value (offline) x this

    @classmethod
    def for_time_scale(cls, scale: float) -> "Pace":
        scale = check_time_scale(scale)
        # 0 at the offline scale, 1 at real AWS; negative below the offline scale
        way = math.log(scale / TIME_SCALE) / math.log(REAL_TIME / TIME_SCALE)
        values = {}
        for name, (offline, aws) in _OFFLINE_AND_AWS.items():
            if way >= 0:
                values[name] = offline ** (1 - way) * aws ** way  # exact at both ends
            elif name in _INTERVALS:
                values[name] = max(_INTERVAL_FLOOR, offline * scale / TIME_SCALE)
            else:
                values[name] = offline
        return cls(time_scale=scale, **values)


#: every Pace field's value offline (at profile.TIME_SCALE) and on real AWS (time scale 1).
#: A live blue/green takes minutes where offline takes seconds (health checks, the 2 min
#: termination wait), hence a scenario timeout 30 times its offline mark on real AWS.
_OFFLINE_AND_AWS = {
    "poll_cap": (0.2, 10), "fast_poll": (0.02, 2), "probe_rate": (25, 20), "probe_max": (300, 3600),
    "find_execution": (30, 300), "to_approval": (90, 1800), "deployment": (120, 3600), "settle": (60, 1800),
    "alarm_interval": (0.05, 5), "baseline": (240, 3600), "serve": (60, 900), "timeout_factor": (1, 30),
    # AWS: Terraform's 2 min (capstone/retry.py IAM_PROPAGATION_TIMEOUT); offline, 50 times the
    # profile's 0.2 s delay, so a role that can never be assumed fails in seconds
    "iam_propagation": (10, 120),
}
_INTERVALS = frozenset({"poll_cap", "fast_poll", "alarm_interval"})
_INTERVAL_FLOOR = 0.005


@dataclass
class Release:
    """One push to main and the pipeline execution it started (a release, in CodePipeline's words:
    the execution takes that commit through every stage)."""
    commit: str
    version: str | None
    message: str
    watcher: PipelineWatcher
    deployments_before: set[str] = field(default_factory=set)
    notices_before: int = 0      # how many notifications the suite had read when it was pushed

    @property
    def execution_id(self) -> str:
        return self.watcher.execution_id


@dataclass
class Operator:
    env: object
    workdir: object
    pace: Pace | None = None  # default: the environment's (Environment.pace)
    log: Callable[[str], None] = field(default=lambda line: print(line, flush=True))

    def __post_init__(self):
        env, target = self.env, self.env.target
        if self.pace is None:
            self.pace = env.pace
        self.names = env.names
        self.stages = tuple(getattr(self.names, "stages", DEFAULT_STAGES))
        self.approval_stage = getattr(self.names, "approval_stage", "Approval")
        self.approval_action = getattr(self.names, "approval_action", "ManualApproval")
        self.build_stage, self.deploy_stage = self.stages[1], self.stages[-1]
        self.codepipeline = target.client("codepipeline")
        self.codebuild = target.client("codebuild")
        self.cloudwatch = target.client("cloudwatch")
        self.repo = WorkingCopy(env.repository_clone_url, target.git_env(), self.workdir, log=self.log)
        self.approver = Approver(self.codepipeline, self.names.pipeline, self.approval_stage, self.approval_action,
                                 log=self.log)
        self.deployments = DeploymentReader(target.client("codedeploy"), self.names.application,
                                            self.names.deployment_group, backoff=self.backoff(), log=self.log)
        self.fleet = Fleet(target.client("autoscaling"), target.client("ec2"), target.client("elbv2"))
        self.builds = BuildReader(self.codebuild, target.client("logs"))
        self.notifications = NotificationInbox(target.client("sqs"), env.notification_queue_url, log=self.log)
        self.good_version: str = env.baseline_version
        self.highest_pushed = 0
        self.runs: list[Release] = []
        self._first_run = 0
        self._teardown: list[tuple[str, Callable[[], None]]] = []

    def backoff(self, cap: float | None = None) -> Backoff:
        return Backoff(initial=min(0.05, self.pace.poll_cap), factor=1.6, cap=cap or self.pace.poll_cap)

    # -- the baseline ---------------------------------------------------------------------------
    def check_baseline(self) -> None:
        """Raise NotAtBaseline naming every way the environment is not where a scenario starts."""
        problems: list[str] = []
        answer = self.get("/")
        if not answer.ok:
            problems.append(f"the ALB answers {answer.status if answer.status is not None else answer.error}")
        elif answer.version != self.good_version:
            problems.append(f"the ALB serves {answer.version}, not the known-good {self.good_version}")
        busy = [f"{s['pipelineExecutionId']} {s['status']}" for s in self.codepipeline.list_pipeline_executions(
            pipelineName=self.names.pipeline, maxResults=20)["pipelineExecutionSummaries"]
            if s["status"] in ("InProgress", "Stopping")]
        if busy:
            problems.append(f"pipeline executions still running: {busy}")
        active = self.deployments.active()
        if active:
            problems.append(f"deployments still active in {self.names.deployment_group}: {active}")
        alarm = self.alarm_state()
        if alarm == "ALARM":
            problems.append(f"alarm {self.names.alarm} is in ALARM")
        self.repo.sync()
        problems += [f"main branch: {p}" for p in app.health_of_tree(self.repo.workdir)]
        if problems:
            raise NotAtBaseline(f"environment {self.names.pipeline} not at baseline: " + "; ".join(problems))
        self.log(f"[baseline] {self.names.pipeline} at baseline: serving {self.good_version}")

    def alarm_state(self) -> str | None:
        found = self.cloudwatch.describe_alarms(AlarmNames=[self.names.alarm])["MetricAlarms"]
        return found[0].get("StateValue") if found else None

    # -- HTTP -----------------------------------------------------------------------------------
    def alb(self, path: str = "/") -> tuple[str, dict]:
        return self.env.target.alb_url(self.env.alb_dns, path)

    def get(self, path: str = "/") -> http.Answer:
        url, headers = self.alb(path)
        return http.get(url, headers)

    def probe(self, name: str = "probe") -> Probe:
        url, headers = self.alb("/")
        return Probe(url, headers, rate=self.pace.probe_rate, max_seconds=self.pace.probe_max, name=name, log=self.log)

    # -- developer ------------------------------------------------------------------------------
    def next_version(self) -> str:
        """A version number never used before in this environment."""
        self.repo.sync()
        head = app.page_version(self.repo.read(app.INDEX))
        numbers = [self.highest_pushed, http.version_number(self.good_version) or 0, http.version_number(head) or 0]
        return f"v{max(numbers) + 1}"

    def push(self, change: Change | dict, message: str, version: str | None = None) -> Release:
        with evidence.step(f"push: {message}"):
            # what arrived before this push belongs to earlier runs: read it now, so every notice
            # received from here on can only be this run's or a later one's
            self.notifications.drain()
            before = set(self.deployments.list_since(None))
            commit = self.repo.push(change, message)
            if version:
                self.highest_pushed = max(self.highest_pushed, http.version_number(version) or 0)
            return self._follow(commit, version, message, before)

    def release(self, version: str, *extra: app.Change, message: str | None = None) -> Release:
        """Push the index page showing `version` (plus any extra changes)."""
        return self.push(app.combine(app.release(version), *extra), message or f"Release {version}", version)

    def _follow(self, commit: str, version: str | None, message: str, deployments_before: set[str]) -> Release:
        notices_before = len(self.notifications.notices)
        watcher = PipelineWatcher.for_commit(self.codepipeline, self.names.pipeline, commit, self.pace.find_execution,
                                             backoff=self.backoff(), log=self.log)
        run = Release(commit, version, message, watcher, deployments_before, notices_before)
        watcher.observers.append(self._follow_actions())
        evidence.record("runs", [{"commit": r.commit, "execution_id": r.execution_id, "message": r.message}
                                 for r in self.runs[self._first_run:] + [run]])
        self.runs.append(run)
        return run

    def _follow_actions(self) -> Callable[[Snapshot], None]:
        """While a run is watched: once its build ends, attach the build's log excerpt and test
        reports; while its deployment runs, report each lifecycle event as it happens."""
        reported_builds: set[str] = set()

        def observe(snap: Snapshot) -> None:
            build = self.action_of(snap, self.build_stage) or {}
            build_id = self.external_id(snap, self.build_stage)
            if build_id and build.get("status") in ("Succeeded", "Failed") and build_id not in reported_builds:
                reported_builds.add(build_id)
                evidence.record("build_id", build_id)
                self.builds.attach_evidence(build_id)
            deployment_id = self.external_id(snap, self.deploy_stage)
            if deployment_id:
                self.deployments.report_lifecycle(deployment_id)
        return observe

    def revert(self, run: Release, message: str | None = None) -> Release:
        with evidence.step(f"revert {run.commit[:12]}"):
            before = set(self.deployments.list_since(None))
            commit = self.repo.revert(run.commit, message)
            return self._follow(commit, None, f"revert of {run.commit[:12]}", before)

    # -- reviewer -------------------------------------------------------------------------------
    def wait_for_approval(self, run: Release) -> Snapshot:
        return self.approver.wait_until_available(run.watcher, self.pace.to_approval)

    def approve(self, run: Release, summary: str) -> dict:
        with evidence.step(f"approve {run.execution_id[:8]}"):
            return self.approver.approve(run.watcher, summary, self.pace.to_approval)

    def reject(self, run: Release, summary: str) -> dict:
        with evidence.step(f"reject {run.execution_id[:8]}"):
            return self.approver.reject(run.watcher, summary, self.pace.to_approval)

    # -- notifications ----------------------------------------------------------------------------
    def approval_notice(self, run: Release) -> Notice:
        """The approval notice of `run`'s approval, as the topic's subscriber received it. The
        notice names no execution: it is the first for this pipeline's approval since the push."""
        return self.notifications.wait_for(
            lambda n: n.kind == APPROVAL and n.pipeline == self.names.pipeline,
            self.pace.to_approval, f"the approval notice of execution {run.execution_id}", since=run.notices_before)

    def execution_notice(self, run: Release, state: str) -> Notice:
        """The `state` notification (SUCCEEDED, FAILED, ...) of `run`'s execution."""
        return self.notifications.wait_for(
            lambda n: n.kind == EXECUTION and n.execution_id == run.execution_id and n.state == state,
            self.pace.settle, f"the {state} notification of execution {run.execution_id}", since=run.notices_before)

    # -- pipeline facts -------------------------------------------------------------------------
    def action_of(self, snap: Snapshot, stage: str) -> dict | None:
        """The (single) action of `stage` in the watched execution."""
        return next((detail for key, detail in snap.actions.items() if key.split("/", 1)[0] == stage), None)

    def external_id(self, snap: Snapshot, stage: str) -> str | None:
        detail = self.action_of(snap, stage) or {}
        return ((detail.get("output") or {}).get("executionResult") or {}).get("externalExecutionId")

    def deployment_id(self, run: Release) -> str:
        """The CodeDeploy deployment of the run's DeployBlueGreen action, once it exists."""
        snap = run.watcher.wait_for(lambda s: self.external_id(s, self.deploy_stage) is not None, self.pace.deployment,
                                    what=f"the {self.deploy_stage} action to create its deployment")
        deployment_id = self.external_id(snap, self.deploy_stage)
        evidence.record("deployment_id", deployment_id)
        return deployment_id

    def deployments_since(self, run: Release) -> list[str]:
        """Deployments of the group that did not exist when `run` was pushed (by id, not by
        time: no clock is shared with AWS)."""
        return [d for d in self.deployments.list_since(None) if d not in run.deployments_before]

    def finish(self, run: Release) -> Snapshot:
        """Wait until the run's execution is over (whatever the outcome)."""
        return run.watcher.wait_until_done(self.pace.deployment)

    # -- serving --------------------------------------------------------------------------------
    def wait_served(self, version: str, deadline: float | None = None) -> None:
        """Wait until every answer of the ALB shows `version` (a few in a row)."""
        deadline_ = Deadline.of(deadline or self.pace.settle)
        streak, last = 0, None
        while streak < 5:
            last = self.get("/")
            streak = streak + 1 if (last.ok and last.version == version) else 0
            if deadline_.expired():
                raise WaitTimeout(f"timed out after {deadline_.seconds:.0f}s waiting for the ALB to serve {version}; "
                                  f"last answer: {last.status if last.status is not None else last.error} {last.version}")
            if streak < 5:
                deadline_.sleep(self.pace.fast_poll)

    def mark_good(self, version: str) -> None:
        self.good_version = version
        self.log(f"[baseline] known-good version is now {version}")
        evidence.record("good_version", version)

    def wait_group_gone(self, name: str) -> None:
        def gone():
            group = self.fleet.group(name)
            state = None if group is None else (
                f"{group.get('Status') or 'present'} with {len(group.get('Instances', []))} instances")
            return group is None, state
        wait_until(gone, what=f"Auto Scaling group {name} to be deleted", timeout=self.pace.settle,
                   first=0.05, cap=self.pace.poll_cap)

    def wait_alarm_not(self, state: str) -> None:
        wait_until(lambda: ((current := self.alarm_state()) != state, current),
                   what=f"alarm {self.names.alarm} to leave {state}", timeout=self.pace.settle,
                   first=0.05, cap=self.pace.poll_cap)

    # -- leaving the environment as found -------------------------------------------------------
    def begin_scenario(self) -> int:
        """Mark where this scenario's runs start; returns the mark for teardown()."""
        self._first_run = len(self.runs)
        return self._first_run

    def on_teardown(self, what: str, action: Callable[[], None]) -> None:
        self._teardown.append((what, action))

    def restore(self, run: Release, deploy: bool = True) -> None:
        """Revert `run`'s commit so the branch holds known-good content again.

        deploy=True: the revert goes through the whole pipeline (approved and deployed), so the
        branch and production hold the same version — the one on the branch before `run`, which
        may be newer than what was served when an earlier scenario left an undeployed version.
        deploy=False: for a change production never kept (rolled back): the revert's run is built
        and then rejected at Approval — production already serves known-good content.
        """
        if not deploy and self.get("/").version != self.good_version:
            deploy = True  # production did not keep the known-good version: ship the revert
        with evidence.step(f"restore: revert {run.commit[:12]}" + (" and deploy it" if deploy else "")):
            revert = self.revert(run, f"Revert {run.message!r}")
            version = app.page_version(self.repo.read(app.INDEX))
            if not deploy:
                self.reject(revert, f"Revert of {run.commit[:12]}: production already serves {self.good_version}")
                self.finish(revert)
                return
            self.approve(revert, f"Revert of {run.commit[:12]}: back to {version}")
            snap = self.finish(revert)
            if snap.status != "Succeeded":
                raise AssertionError(f"the revert of {run.commit[:12]} ended {snap.status}: {snap.describe()}")
            self.wait_served(version)
            self.mark_good(version)

    def settle(self, runs: list[Release]) -> None:
        """Stop what a failed scenario left running, so the next one is not blocked behind it."""
        for run in runs:
            status = self.codepipeline.get_pipeline_execution(
                pipelineName=self.names.pipeline, pipelineExecutionId=run.execution_id)["pipelineExecution"]["status"]
            if status == "InProgress":
                self.log(f"[teardown] stopping execution {run.execution_id} left {status}")
                try:
                    self.codepipeline.stop_pipeline_execution(
                        pipelineName=self.names.pipeline, pipelineExecutionId=run.execution_id, abandon=True,
                        reason="capstone scenario teardown")
                except self.codepipeline.exceptions.ClientError as exc:  # already stopping/ended
                    self.log(f"[teardown] could not stop {run.execution_id}: {exc}")
        deadline, backoff = Deadline(self.pace.settle), self.backoff()
        while self.deployments.active() and not deadline.expired():
            deadline.sleep(backoff.next())

    def teardown(self, runs_before: int) -> list[str]:
        """Run what the scenario registered (newest first); returns the errors, if any."""
        errors: list[str] = []
        mine = self.runs[runs_before:]
        try:
            self.settle([r for r in mine if r.watcher.last is None or r.watcher.last.status == "InProgress"])
        except Exception as exc:  # keep tearing down
            errors.append(f"settling: {exc}")
        while self._teardown:
            what, action = self._teardown.pop()
            try:
                with evidence.step(f"teardown: {what}"):
                    action()
            except Exception as exc:
                errors.append(f"{what}: {type(exc).__name__}: {exc}")
        return errors
