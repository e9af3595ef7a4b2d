"""The capstone environment: composes the builders in order, brings the pipeline to its baseline,
and — whatever happens — tears everything down in reverse and proves it with the leak check.

    env = Environment.up(target, prefix="awscicd")   # built + baselined, or torn down and raised
    env.served_version()                              # "v2"
    report = env.down()                               # teardown + leak check (LeakReport)

Set-up is guarded: any exception — including KeyboardInterrupt from Ctrl-C or from SIGTERM (see
fixtures/lifecycle.py and the CLI) — tears down what the ledger says was created, then re-raises.
During teardown further SIGINT/SIGTERM are held off (a second Ctrl-C must not abandon resources,
hashicorp/terraform#33477); `kill -9` is the only way out, and `capstone down --run-id` then
finishes from the ledger.

CAPSTONE_FAIL_AT=<builder name> (iam, artifacts, ..., pipeline, or "baseline") injects a failure
just before that step, to prove that a failed set-up leaves nothing behind.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

from capstone import evidence
from capstone import leaks as leak_check
from capstone import least_privilege
from capstone import run as run_identity
from capstone.builders import ORDER, builder_for
from capstone.builders.context import BuildContext
from capstone.builders.names import Names, default_prefix, validate_prefix
from capstone.drivers import baseline, http
from capstone.drivers.operator import Pace
from capstone.ledger import Ledger
from capstone.profile import suite_time_scale
from capstone.sweep import delete_found
from capstone.target import Target

FAIL_AT_VAR = "CAPSTONE_FAIL_AT"
BASELINE_VERSION = "v2"
STEPS = tuple(m.NAME for m in ORDER) + ("baseline",)
#: the ledger field holding the authorization log's sequence number when the environment began
AUTHORIZATIONS_SINCE = "authorizations_since"


class SetupError(RuntimeError):
    """The environment could not be built or refused to be (already present, bad input)."""


class InjectedFailure(RuntimeError):
    """Raised by CAPSTONE_FAIL_AT to test that a failed set-up leaves nothing behind."""


class AlreadyPresent(SetupError):
    pass


@dataclass
class TeardownResult:
    deleted: int = 0
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Environment:
    def __init__(self, target: Target, names: Names, ledger: Ledger, run_id: str, *,
                 outputs: dict | None = None, progress: Callable[[str], None] = print,
                 time_scale: float | None = None):
        self.target = target
        #: how fast the target's AWS waits run (capstone/profile.py), and the waits derived from it
        self.time_scale = suite_time_scale(time_scale, target=target.name, endpoint_url=target.endpoint_url)
        self.pace = Pace.for_time_scale(self.time_scale)
        self.names = names
        self.ledger = ledger
        self.run_id = run_id
        self.prefix = names.prefix
        self.region = target.region
        self.progress = progress
        self.ctx = BuildContext(target, names, ledger, run_id, outputs=outputs or {}, progress=self._say,
                                iam_propagation_timeout=self.pace.iam_propagation)
        self.baseline_version = BASELINE_VERSION
        self.timings: dict[str, float] = {}
        self.last_leak_report: leak_check.LeakReport | None = None

    # -- the contract with the scenarios -------------------------------------------------------
    @property
    def repository_clone_url(self) -> str:
        url = self.ctx.outputs.get("repository_clone_url")
        if not url:
            url = self.target.client("codecommit").get_repository(
                repositoryName=self.names.repository)["repositoryMetadata"]["cloneUrlHttp"]
            self.ctx.outputs["repository_clone_url"] = url
        return url

    @property
    def alb_dns(self) -> str:
        dns = self.ctx.outputs.get("alb_dns")
        if not dns:
            dns = self.target.client("elbv2").describe_load_balancers(
                Names=[self.names.alb])["LoadBalancers"][0]["DNSName"]
            self.ctx.outputs["alb_dns"] = dns
        return dns

    @property
    def target_group_arn(self) -> str:
        arn = self.ctx.outputs.get("target_group_arn")
        if not arn:
            arn = self.target.client("elbv2").describe_target_groups(
                Names=[self.names.target_group])["TargetGroups"][0]["TargetGroupArn"]
            self.ctx.outputs["target_group_arn"] = arn
        return arn

    @property
    def notification_queue_url(self) -> str:
        url = self.ctx.outputs.get("notification_queue_url")
        if not url:
            url = self.target.client("sqs").get_queue_url(QueueName=self.names.notification_queue)["QueueUrl"]
            self.ctx.outputs["notification_queue_url"] = url
        return url

    def current_asg_name(self) -> str:
        info = self.target.client("codedeploy").get_deployment_group(
            applicationName=self.names.application, deploymentGroupName=self.names.deployment_group)
        return info["deploymentGroupInfo"]["autoScalingGroups"][0]["name"]

    def served_version(self) -> str | None:
        """GET / through the ALB: "v<N>" from "awscicd demo app — v<N>", or None if it does not
        answer 200 with a version."""
        url, headers = self.target.alb_url(self.alb_dns, "/")
        answer = http.get(url, headers, timeout=5)
        return answer.version if answer.ok else None

    def describe(self) -> dict:
        url, headers = self.target.alb_url(self.alb_dns, "/") if self.ctx.outputs.get("alb_dns") else (None, {})
        return {"run_id": self.run_id, "prefix": self.prefix, "target": self.target.name, "region": self.region,
                "endpoint_url": self.target.endpoint_url, "ledger": str(self.ledger.path),
                "alb_url": url, "alb_headers": headers, "names": self.names.as_dict(),
                "repository_clone_url": self.ctx.outputs.get("repository_clone_url")}

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def up(cls, target: Target, *, prefix: str | None = None, run_id: str | None = None, baseline: bool = True,
           keep: bool = False, embedded: bool = False, ledger_extra: dict | None = None,
           progress: Callable[[str], None] = print, time_scale: float | None = None) -> "Environment":
        """Validate, build every resource, reach the baseline. On any failure (Ctrl-C included)
        tear down what was created — unless `keep` — and re-raise. `time_scale` is the target's
        (capstone/profile.py suite_time_scale: by default offline's, or 1 for --target aws)."""
        time_scale = suite_time_scale(time_scale, target=target.name, endpoint_url=target.endpoint_url)
        run_id = run_id or run_identity.run_id()
        prefix = validate_prefix(prefix or default_prefix(run_id, run_identity.worker_id()))
        fail_at = os.environ.get(FAIL_AT_VAR) or None
        if fail_at and fail_at not in STEPS:
            raise SetupError(f"{FAIL_AT_VAR}={fail_at!r} names no step; steps: {', '.join(STEPS)}")
        target.check()
        names = Names.derive(prefix, target.account_id(), target.region)
        present = leak_check.find(target, prefix)
        if present.leaks:
            listed = ", ".join(f.describe() for f in present.leaks[:8])
            raise AlreadyPresent(
                f"resources with prefix {prefix!r} already exist ({len(present.leaks)}: {listed}). Refusing to "
                f"build over them. Delete them with `capstone sweep --prefix {prefix} --older-than 0s --yes"
                f"{' --endpoint-url ' + target.endpoint_url if target.endpoint_url else ''}`, or choose another --prefix.")
        # where the target's authorization log stands before anything is created: the audit's
        # least-privilege section reads only the decisions after it (kept in the ledger, so an
        # environment rebuilt from it knows too)
        since = least_privilege.mark(target)
        extra = {**(ledger_extra or {}), **({AUTHORIZATIONS_SINCE: since} if since is not None else {})}
        ledger = Ledger.create(run_id=run_id, prefix=prefix, target=target.name, region=target.region,
                               endpoint_url=target.endpoint_url, embedded=embedded, extra=extra)
        env = cls(target, names, ledger, run_id, progress=progress, time_scale=time_scale)
        try:
            env.build(fail_at=fail_at)
            if baseline:
                env.reach_baseline(fail_at=fail_at)
        except BaseException as exc:
            # Shield first: a second Ctrl-C/SIGTERM from here on must not abandon the teardown.
            with shielded(env._say):
                env._say(f"set-up failed ({type(exc).__name__}: {str(exc)[:300].splitlines()[0] if str(exc) else ''})")
                if keep:
                    env._say(f"--keep: nothing deleted; the ledger is {ledger.path}. Delete with: {env.down_command()}")
                else:
                    report = env.down()
                    if not report.ok and hasattr(exc, "add_note"):
                        exc.add_note(report.summary())
            raise
        return env

    def build(self, fail_at: str | None = None) -> None:
        started = time.monotonic()
        for module in ORDER:
            if fail_at == module.NAME:
                raise InjectedFailure(f"{FAIL_AT_VAR}={fail_at}: failing set-up before the {fail_at} step")
            step_started = time.monotonic()
            with evidence.step(f"create {module.NAME}"):
                module.create(self.ctx)
            self._say(f"created {module.NAME} ({time.monotonic() - step_started:.2f}s)")
        self.timings["build"] = time.monotonic() - started

    def reach_baseline(self, fail_at: str | None = None) -> None:
        """The pipeline's first run (CreatePipeline starts it) approved and deployed, and the ALB
        serving the baseline version (capstone/drivers/baseline.py)."""
        if fail_at == "baseline":
            raise InjectedFailure(f"{FAIL_AT_VAR}=baseline: failing set-up before the baseline")
        started = time.monotonic()
        n = self.names
        with evidence.step(f"baseline: first run of {n.pipeline} approved, deployed, ALB serves {BASELINE_VERSION}"):
            baseline.reach(self.target.client("codepipeline"), n, self.ctx.outputs.get("initial_commit"),
                           BASELINE_VERSION, self.served_version, run_limit=self.pace.baseline,
                           alb_limit=self.pace.serve, log=self._say, alb=f"the ALB {self.alb_dns}")
        self.timings["baseline"] = time.monotonic() - started
        self._say(f"baseline reached: {self.alb_dns} serves {BASELINE_VERSION} "
                  f"({self.timings['baseline']:.1f}s after set-up)")

    # -- tearing down --------------------------------------------------------------------------
    def teardown(self) -> TeardownResult:
        with evidence.step(f"teardown of {self.prefix} from its ledger"):
            return teardown(self.ctx)

    def check_leaks(self) -> leak_check.LeakReport:
        with evidence.step(f"leak check of {self.prefix}"):
            return leak_check.find(self.target, self.prefix, self.run_id)

    def record_least_privilege(self) -> dict:
        """Each role's grants, and what its sessions used and were refused since the environment
        began, into the evidence (the audit's least_privilege section). Read before teardown,
        while the roles and their policies still exist; never raises: evidence must not stop a
        teardown."""
        try:
            with evidence.step(f"least privilege of {self.prefix}'s roles"):
                entry = least_privilege.collect(self.target, least_privilege.role_names(self.ledger.resources),
                                                self.ledger.data.get(AUTHORIZATIONS_SINCE))
        except Exception as exc:  # noqa: BLE001
            self._say(f"least-privilege record failed: {type(exc).__name__}: {exc}")
            entry = {"recorded": self.target.records_authorizations, "roles": [],
                     "errors": [f"not collected: {type(exc).__name__}: {str(exc)[:300]}"]}
        entry = {"prefix": self.prefix, **entry}
        evidence.record_least_privilege(entry)
        return entry

    def down(self) -> leak_check.LeakReport:
        """The roles' least-privilege record, teardown, then the leak check (whose report says
        whether anything is left)."""
        self.record_least_privilege()
        result = self.teardown()
        report = self.check_leaks()
        recorded = {(e["type"], e["name"]) for e in self.ledger.resources}
        late = [f for f in report.leaks if (f.type, f.name) in recorded]
        if late:
            # A resource of ours that teardown had already found gone: its create call was cut off
            # mid-flight (Ctrl-C, a timeout) and the service completed it anyway. Delete it again.
            # Anything NOT in the ledger stays a leak: that is a teardown bug the run must report.
            self._say(f"{len(late)} ledger resource(s) appeared after teardown passed them "
                      f"(an interrupted create completed): deleting them again")
            result.errors += delete_found(self.ctx, late)
            report = self.check_leaks()
        self.timings["teardown"] = result.seconds
        self._say(f"teardown: {result.deleted} deleted in {result.seconds:.1f}s"
                  + (f", {len(result.errors)} error(s)" if result.errors else ""))
        for error in result.errors:
            self._say(f"  teardown error: {error}")
        self._say(report.summary())
        self.last_leak_report = report
        record_leak_report(self.ledger, report)
        return report

    def down_command(self) -> str:
        extra = f" --endpoint-url {self.target.endpoint_url}" if self.target.endpoint_url else ""
        return f"capstone down --run-id {self.run_id}{extra}"

    def _say(self, message: str) -> None:
        try:
            self.progress(f"[env {self.prefix}] {message}")
        except Exception:  # progress is for people; it must never stop a teardown
            pass


def record_leak_report(ledger: Ledger, report: leak_check.LeakReport) -> None:
    """The leak check's result into the evidence (the audit report) and next to the ledger."""
    evidence.record_leak_check(report.as_dict())
    path = ledger.path.with_name(ledger.path.name.replace("ledger", "leaks", 1))
    path.write_text(json.dumps(report.as_dict(), indent=2))


def teardown(ctx: BuildContext, passes: int = 3) -> TeardownResult:
    """Delete every pending ledger entry, newest first; idempotent (NotFound is done). A delete
    that fails is retried in a later pass — something created after it may have held it."""
    started = time.monotonic()
    result = TeardownResult()
    for attempt in range(passes):
        errors = []
        for entry in ctx.ledger.pending():
            try:
                builder_for(entry["type"]).delete(ctx, entry)
            except Exception as exc:
                errors.append(f"{entry['type']} {entry['name']}: {type(exc).__name__}: {str(exc)[:300]}")
                continue
            ctx.ledger.mark_deleted(entry)
            result.deleted += 1
            ctx.say(f"deleted {entry['type']} {entry['name']}")
        result.errors = errors
        if not errors:
            break
    result.seconds = time.monotonic() - started
    return result


def from_ledger(target: Target, ledger: Ledger, progress: Callable[[str], None] = print) -> Environment:
    """An Environment rebuilt from a ledger (for `capstone down --run-id`)."""
    names = Names.derive(ledger.prefix, target.account_id(), ledger.data.get("region") or target.region)
    return Environment(target, names, ledger, ledger.run_id, progress=progress)


@contextlib.contextmanager
def shielded(say: Callable[[str], None] = print) -> Iterator[None]:
    """Hold off SIGINT/SIGTERM/SIGALRM while tearing down (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def refuse(signum, _frame):
        try:
            say(f"{signal.Signals(signum).name} during teardown: finishing the teardown first "
                "(kill -9 abandons it; `capstone down --run-id` then finishes from the ledger)")
        except Exception:  # a signal handler that raises would abandon the teardown it protects
            pass

    # SIGALRM too: pytest-timeout's signal method would otherwise abandon a teardown half done;
    # the teardown's own waits have deadlines.
    previous = {sig: signal.signal(sig, refuse) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
