"""The shared run of one deployment: its instance targets, the lifecycle events on
each instance (hooks through the agent, AllowTraffic/BlockTraffic at the load balancer), waves by
minimum healthy hosts, and the statuses targets and events end with.

Statuses Created -> InProgress -> (Ready) -> Succeeded | Failed | Stopped (docs/aws-behaviour.md, "CodeDeploy").
Each kind of deployment (in_place.py, blue_green.py, rollback.py, launch.py) is a `Lifecycle`
subclass whose `deploy()` raises `Ended` to end early; engine.py chooses the kind. This module
imports none of the kinds. Everything outside CodeDeploy (Auto Scaling, ELB, CloudWatch, EC2) is
reached only through its door (`cloud.services`), as the deployment group's service role
(`self.principal`); instances are reached through their agent, which acts as the instance's
profile role on the host the fleet's door gives it.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from localcloud.codedeploy import principals, traffic
from localcloud.codedeploy.agent import Agent, DeploymentSpec, LifecycleFailure
from localcloud.codedeploy.models import (
    HEALTH_CONSTRAINTS_MESSAGE, CodeDeployBackend, CodeDeployRegions, Deployment, ErrorInformation, InstanceTarget, LifecycleEvent,
)
from localcloud.codedeploy.runs import DeploymentRun, Ended
from localcloud.elbv2.contract import TargetGroupInfo
from localcloud.exceptions import AWSError
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.principal import Principal
from localcloud.settings import CodeDeploySettings

log = logging.getLogger("localcloud.codedeploy")

IGNORABLE_EVENTS = frozenset({"ApplicationStop", "BeforeBlockTraffic", "AfterBlockTraffic"})
NO_INSTANCES_MESSAGE = (
    "The deployment failed because no instances were found for your deployment group. Check your deployment "
    "group settings to make sure the tags for your Amazon EC2 instances or Auto Scaling groups correctly "
    "identify the instances you want to deploy to, and then try again."
)
HEALTH_CONSTRAINTS_INVALID_MESSAGE = (
    "The deployment failed because the minimum number of healthy instances, as defined by your deployment "
    "configuration, is not available."
)


@dataclass
class DeploymentContext:
    """What every deployment of one CodeDeploy uses: its state (per Region), settings, and the way out."""

    cloud: object
    regions: CodeDeployRegions
    settings: CodeDeploySettings

    @property
    def services(self):
        """The doors of the other services (built by the server once every provider exists)."""
        return self.cloud.services


def settle(backend: CodeDeployBackend, d: Deployment, status: str, error: ErrorInformation | None) -> None:
    """The end of a deployment: its status, what its targets and events end as, and what its
    group reports as last attempted / last successful; then its `completed` signal. Caller holds
    the lock."""
    d.status, d.error, d.complete_time = status, error, backend.now()
    for target in d.targets.values():
        if target.status in ("Pending", "InProgress"):
            # never attempted -> Skipped; cut short by a failure -> Failed (stop -> Skipped)
            cut_short = target.status == "InProgress" and status == "Failed"
            target.status = "Failed" if cut_short else "Skipped"
            target.last_updated = d.complete_time
        for ev in target.events:
            if ev.status == "Pending":
                ev.status = "Skipped"
    group = d.group
    group.last_attempted = d.brief()
    if status == "Succeeded":
        group.last_successful = d.brief()
        group.target_revision = d.revision
    d.completed.set()


def best_effort(fn) -> None:
    try:
        fn()
    except AWSError:
        log.warning("codedeploy: a best-effort call failed", exc_info=True)


TrafficAction = Callable[[str, str], "dict | None"]


class Lifecycle:
    """One deployment of one kind; `deploy()` returns when it succeeded, raises `Ended` otherwise."""

    def __init__(self, context: DeploymentContext, run: DeploymentRun):
        self.context = context
        self.run = run
        self.deployment = run.deployment
        self.cloud = context.cloud
        # the state of the deployment's Region; every door is called in that Region
        self.backend = context.regions.of(self.deployment)
        self.settings = context.settings
        self.services = context.services
        self.region = self.backend.region
        # CodeDeploy acts as the group's service role for everything it does in the deployment
        self.principal: Principal = principals.service_role(self.deployment.group.service_role_arn)

    def deploy(self) -> None:
        raise NotImplementedError

    # -- instances and events -----------------------------------------------------------------
    def _agent(self, instance_id: str) -> Agent:
        agent_principal = principals.instance_role(self.services, instance_id, self.region)
        host = self.services.fleet.instance_host(agent_principal, instance_id)
        return Agent(self.cloud, host, self.services.s3, agent_principal)

    def _spec(self) -> DeploymentSpec:
        d = self.deployment
        return DeploymentSpec(
            deployment_id=d.deployment_id, group_id=d.group.group_id, group_name=d.group.name,
            application=d.application, creator=d.creator, deployment_type=d.style.get("deploymentType", "IN_PLACE"),
            s3_location=d.revision.get("s3Location") or {}, file_exists_behavior=d.file_exists_behavior,
        )

    def _add_targets(self, instance_ids: list[str], label: str | None, events: tuple[str, ...]) -> list[InstanceTarget]:
        d = self.deployment
        with self.backend.lock:
            now = self.backend.now()
            added = []
            for iid in instance_ids:
                target = InstanceTarget(d.deployment_id, iid, label, [LifecycleEvent(n) for n in events], now,
                                        arn=f"arn:aws:ec2:{self.backend.region}:{self.backend.account_id}:instance/{iid}")
                d.targets[iid] = target
                added.append(target)
            return added

    def _run_events(self, target: InstanceTarget, events: tuple[str, ...], traffic_action: TrafficAction | None) -> bool:
        """Run `events` on one instance in order; False if the instance failed (rest Skipped)."""
        run, d = self.run, self.deployment
        agent = self._agent(target.instance_id)
        spec = self._spec()
        for name in events:
            if run.stopped:
                return False
            ev = target.event(name)
            with self.backend.lock:
                ev.status, ev.start_time = "InProgress", self.backend.now()
                target.status, target.last_updated = "InProgress", ev.start_time
            run.in_event += 1
            denied = None
            try:
                if name in ("AllowTraffic", "BlockTraffic"):
                    diagnostics = traffic_action(name, target.instance_id) if traffic_action else None
                else:
                    diagnostics = agent.run_event(spec, name)
                status = "Succeeded"
            except LifecycleFailure as failure:
                diagnostics, status = failure.diagnostics, "Failed"
            except AWSError as exc:
                diagnostics, status = {"errorCode": "UnknownError", "scriptName": "", "message": str(exc), "logTail": ""}, "Failed"
                # the agent reports its own refusals as LifecycleFailure: this is the service role's
                # (AllowTraffic, BlockTraffic), which fails the whole deployment (engine.py)
                denied = exc if isinstance(exc, AccessDeniedByPolicy) else None
            finally:
                run.in_event -= 1
            with self.backend.lock:
                ev.status, ev.end_time, ev.diagnostics = status, self.backend.now(), diagnostics
                target.last_updated = ev.end_time
                if denied is not None:
                    target.status = "Failed"
                    for rest in target.events:
                        if rest.status == "Pending":
                            rest.status = "Skipped"
            if denied is not None:
                raise denied
            log.info("deployment %s %s %s: %s", d.deployment_id, target.instance_id, name, status)
            if status == "Failed" and not (d.ignore_application_stop_failures and name in IGNORABLE_EVENTS):
                with self.backend.lock:
                    target.status = "Failed"
                    for rest in target.events:
                        if rest.status == "Pending":
                            rest.status = "Skipped"
                return False
        return True

    def _set_status(self, targets, status: str) -> None:
        with self.backend.lock:
            now = self.backend.now()
            for t in targets:
                t.status, t.last_updated = status, now

    def _step(self, events: tuple[str, ...], action: TrafficAction | None, then: str = "Succeeded") -> Callable[[InstanceTarget], bool]:
        """Work for one target: run `events`; when they all succeed the target becomes `then`."""
        def work(target: InstanceTarget) -> bool:
            ok = self._run_events(target, events, action)
            if ok:
                self._set_status([target], then)
            return ok
        return work

    @staticmethod
    def _parallel(fn, items) -> list:
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(len(items), 16)) as pool:
            return list(pool.map(fn, items))

    def _in_waves(self, targets: list[InstanceTarget], work: Callable[[InstanceTarget], bool]) -> None:
        """Deploy to `targets` honouring the deployment config's minimum healthy hosts."""
        run = self.run
        config = self.backend.configs[self.deployment.config_name]
        total = len(targets)
        min_healthy = config.min_healthy(total)
        if min_healthy >= total:
            raise Ended("Failed", "HEALTH_CONSTRAINTS_INVALID", HEALTH_CONSTRAINTS_INVALID_MESSAGE)
        pending, failed, succeeded = list(targets), 0, 0
        while pending:
            run.check()
            size = (total - failed) - min_healthy
            if size <= 0:
                raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
            wave, pending = pending[:size], pending[size:]
            results = self._parallel(work, wave)
            run.check()
            failed += results.count(False)
            succeeded += results.count(True)
        if succeeded < max(1, min_healthy):
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)

    # -- the load balancer --------------------------------------------------------------------
    def _traffic(self, target_groups: list[TargetGroupInfo]) -> TrafficAction:
        run = self.run
        elbv2 = self.services.elbv2

        def act(event: str, instance_id: str) -> dict:
            if event == "AllowTraffic":
                return traffic.allow_traffic(elbv2, self.principal, self.cloud.clock, target_groups, instance_id,
                                             self.settings.allow_traffic_timeout, lambda: run.stopped)
            return traffic.block_traffic(elbv2, self.principal, self.cloud.clock, target_groups, instance_id,
                                         self.settings.block_traffic_timeout, lambda: run.stopped)
        return act

    def _in_place_traffic(self) -> TrafficAction:
        """The group's traffic control for in-place events: AllowTraffic/BlockTraffic at its target
        groups when it has WITH_TRAFFIC_CONTROL, nothing otherwise."""
        with_traffic = self.deployment.style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
        target_groups = self._target_groups(required=False) if with_traffic else []
        return self._traffic(target_groups) if target_groups else (lambda event, iid: None)

    def _target_groups(self, required: bool) -> list[TargetGroupInfo]:
        info = self.deployment.load_balancer_info or {}
        if not info.get("targetGroupInfoList") and not info.get("elbInfoList"):
            if required:
                raise Ended("Failed", "MISSING_ELB_INFORMATION",
                            "The deployment failed because no load balancer is specified for the blue/green deployment group.")
            return []
        try:
            return traffic.resolve_target_groups(self.services.elbv2, self.principal, info, self.region)
        except traffic.TargetGroupsMissing as exc:
            raise Ended("Failed", "ELASTIC_LOAD_BALANCING_INVALID", f"The deployment failed because the load balancer configuration is invalid: {exc}.") from None
