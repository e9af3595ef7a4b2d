"""The deployment state machine: one worker thread per deployment, plus one alarm watcher.

Statuses Created -> InProgress -> (Ready) -> Succeeded | Failed | Stopped (AWS-SEMANTICS §3.5).
Everything outside CodeDeploy (Auto Scaling, ELB, CloudWatch, S3) is reached only through its API
via `cloud.client(...)`, as CodeDeploy itself does; instances are reached through their agent.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.codedeploy import alarms, autoscaling as asg_api, traffic
from localcloud.codedeploy.agent import Agent, DeploymentSpec, LifecycleFailure
from localcloud.settings import CodeDeploySettings
from localcloud.codedeploy.models import (
    ALLOW_TRAFFIC_EVENTS, BLOCK_TRAFFIC_EVENTS, GREEN_EVENTS, GREEN_INSTALL_EVENTS, HEALTH_CONSTRAINTS_MESSAGE,
    IN_PLACE_EVENTS, CodeDeployBackend, Deployment, InstanceTarget, LifecycleEvent,
)

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


class Ended(Exception):
    """The deployment ends early with `status` (Failed | Stopped) and errorInformation."""

    def __init__(self, status: str, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class DeploymentRun:
    """The live part of one deployment: its thread and the signals the API sends it."""

    def __init__(self, deployment: Deployment):
        self.deployment = deployment
        self.stop_event = threading.Event()
        self.stop: tuple[str, str, bool | None] | None = None  # (code, message, rollback?)
        self.ready_continue = threading.Event()
        self.skip_termination_wait = threading.Event()
        self.done = threading.Event()
        self.thread: threading.Thread | None = None
        self.in_event = 0  # lifecycle events running now (StopDeployment answers Pending meanwhile)

    def request_stop(self, code: str, message: str, rollback: bool | None = None) -> None:
        if self.stop is None:
            self.stop = (code, message, rollback)
        self.stop_event.set()

    @property
    def stopped(self) -> bool:
        return self.stop_event.is_set()

    def check(self) -> None:
        if self.stop is not None:
            raise Ended("Stopped", self.stop[0], self.stop[1])

    def wait(self, real_seconds: float, until: threading.Event | None = None) -> bool:
        """Sleep up to `real_seconds`, woken by a stop (raises Ended) or by `until` (returns True)."""
        deadline = time.monotonic() + real_seconds
        while True:
            self.check()
            if until is not None and until.is_set():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.stop_event.wait(min(left, 0.05))


class DeploymentEngine:
    def __init__(self, cloud, backend: CodeDeployBackend, settings: CodeDeploySettings, runtimes: Callable, clients: Callable):
        self.cloud = cloud
        self.clients = clients
        self.backend = backend
        self.settings = settings
        self._runtimes = runtimes
        self.runs: dict[str, DeploymentRun] = {}
        self._used_instances: set[str] = set()
        self._shutting_down = False

    # -- API-facing ---------------------------------------------------------------------------
    def start(self, deployment: Deployment) -> DeploymentRun:
        run = DeploymentRun(deployment)
        self.runs[deployment.deployment_id] = run
        run.thread = threading.Thread(target=self._main, args=(run,), name=f"codedeploy-{deployment.deployment_id}", daemon=True)
        run.thread.start()
        if deployment.creator != "codeDeployRollback":
            # A rollback follows an alarm that may still be in ALARM: it must not be stopped by it.
            threading.Thread(target=self._watch_alarms, args=(run,), name=f"codedeploy-alarms-{deployment.deployment_id}", daemon=True).start()
        return run

    def stop_deployment(self, run: DeploymentRun, rollback: bool | None) -> tuple[str, str]:
        d = run.deployment
        run.request_stop("MANUAL_STOP", "The deployment was stopped by a user request (StopDeployment).", rollback)
        run.done.wait(self.settings.stop_answer_wait)
        if run.done.is_set():
            return "Succeeded", f"Deployment {d.deployment_id} was stopped."
        return "Pending", f"Deployment {d.deployment_id} is stopping: lifecycle events in progress finish first."

    def shutdown(self) -> None:
        self._shutting_down = True
        for run in list(self.runs.values()):
            run.request_stop("MANUAL_STOP", "localcloud is shutting down.", False)
        for run in list(self.runs.values()):
            if run.thread is not None:
                run.thread.join(timeout=10)
        for instance_id in list(self._used_instances):
            rt = self._runtime(instance_id)
            if rt is not None:
                rt.kill_processes()
        self.runs.clear()
        self._used_instances.clear()

    # -- main ---------------------------------------------------------------------------------
    def _main(self, run: DeploymentRun) -> None:
        d = run.deployment
        with self.backend.lock:
            d.status, d.start_time = "InProgress", self.backend.now()
        log.info("deployment %s (%s/%s) InProgress", d.deployment_id, d.application, d.group.name)
        try:
            if d.creator == "autoscaling":
                self._launched_instance(run)
            elif d.creator == "codeDeployRollback" and d.style.get("deploymentType") == "BLUE_GREEN":
                self._blue_green_rollback(run)
            elif d.style.get("deploymentType") == "BLUE_GREEN":
                self._blue_green(run)
            else:
                self._in_place(run)
            self._finish(run, "Succeeded", None)
        except Ended as end:
            self._finish(run, end.status, {"code": end.code, "message": end.message})
        except Exception as exc:  # a localcloud bug must still end the deployment, never hang it
            log.exception("deployment %s failed inside localcloud", d.deployment_id)
            self._finish(run, "Failed", {"code": "INTERNAL_ERROR", "message": f"localcloud CodeDeploy internal error: {exc}"})
        finally:
            run.done.set()

    def _finish(self, run: DeploymentRun, status: str, error: dict | None) -> None:
        d = run.deployment
        rollback_from = None
        with self.backend.lock:
            d.status, d.error, d.complete_time = status, error, self.backend.now()
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
            elif d.creator not in ("codeDeployRollback", "autoscaling") and not self._shutting_down:
                # A failed launch deployment is answered by ABANDON (Auto Scaling replaces the
                # instance), not by a rollback deployment (choice; AWS documents only the ABANDON).
                rollback_from = self._rollback_wanted(run)
            rollback = self._create_rollback(d) if rollback_from else None
        log.info("deployment %s %s%s", d.deployment_id, status, f" ({error['code']}: {error['message']})" if error else "")
        if status == "Succeeded":
            if d.rolls_back is not None:
                with self.backend.lock:
                    orig = d.rolls_back
                    if orig.rollback_info is not None:
                        orig.rollback_info["rollbackMessage"] = f"Rollback deployment {d.deployment_id} succeeded."
            return
        if rollback is not None:
            self.start(rollback)
        elif d.style.get("deploymentType") == "BLUE_GREEN" and d.green_asg and d.creator != "codeDeployRollback":
            if self.settings.delete_green_without_rollback:
                self._safe(lambda: asg_api.delete_group(self.clients("autoscaling"), d.green_asg))

    def _rollback_wanted(self, run: DeploymentRun) -> bool:
        d = run.deployment
        cfg = d.auto_rollback or {}
        events = set(cfg.get("events") or []) if cfg.get("enabled") else set()
        if d.status == "Failed":
            return "DEPLOYMENT_FAILURE" in events
        if d.status == "Stopped" and run.stop is not None:
            code, _, explicit = run.stop
            if code == "ALARM_ACTIVE":
                return "DEPLOYMENT_STOP_ON_ALARM" in events
            if code == "MANUAL_STOP":
                return explicit if explicit is not None else "DEPLOYMENT_STOP_ON_REQUEST" in events
        return False

    def _create_rollback(self, d: Deployment) -> Deployment | None:
        """A new deployment (creator codeDeployRollback) of the last successful revision. Caller holds the lock."""
        last = self.backend.last_successful_deployment(d.group)
        if last is None:
            # UNCONFIRMED wording; AWS has nothing to roll back to.
            d.rollback_info = {"rollbackMessage": "Automatic rollback was not performed because there is no last "
                                                  "successful deployment of this deployment group to roll back to."}
            return None
        rb = Deployment(
            deployment_id=self.backend.new_deployment_id(), application=d.application, group=d.group,
            config_name=d.config_name, revision=last.revision, creator="codeDeployRollback",
            create_time=self.backend.now(), previous_revision=d.revision,
            ignore_application_stop_failures=d.ignore_application_stop_failures, auto_rollback=d.auto_rollback,
            file_exists_behavior=d.file_exists_behavior, style=dict(d.style),
            blue_green_config=d.blue_green_config, load_balancer_info=d.load_balancer_info,
            blue_asg=d.blue_asg, rolls_back=d,
            rollback_info={"rollbackTriggeringDeploymentId": d.deployment_id},
        )
        self.backend.deployments[rb.deployment_id] = rb
        d.rollback_info = {"rollbackDeploymentId": rb.deployment_id,
                           "rollbackMessage": f"Deployment {d.deployment_id} is being rolled back by deployment {rb.deployment_id}."}
        d.group.last_attempted = rb.brief()
        return rb

    # -- alarms -------------------------------------------------------------------------------
    def _watch_alarms(self, run: DeploymentRun) -> None:
        d = run.deployment
        cloudwatch = None
        while not run.done.wait(self.settings.alarm_poll_interval):
            if not d.active or run.stopped:
                continue
            config = alarms.effective_configuration(d.group.config.get("alarmConfiguration"), d.override_alarm_configuration)
            if not config.get("enabled"):
                continue
            cloudwatch = cloudwatch or self.clients("cloudwatch")
            reason = alarms.check(cloudwatch, config)
            if reason:
                log.info("deployment %s: %s", d.deployment_id, reason)
                run.request_stop("ALARM_ACTIVE", reason)

    # -- instances and events ---------------------------------------------------------------------
    def _runtime(self, instance_id: str):
        return self._runtimes().runtime(instance_id) if self._runtimes() is not None else None

    def _agent(self, instance_id: str) -> Agent:
        self._used_instances.add(instance_id)
        return Agent(self.cloud, self._runtime(instance_id), self.clients)

    def _spec(self, d: Deployment) -> DeploymentSpec:
        return DeploymentSpec(
            deployment_id=d.deployment_id, group_id=d.group.group_id, group_name=d.group.name,
            application=d.application, creator=d.creator, deployment_type=d.style.get("deploymentType", "IN_PLACE"),
            s3_location=d.revision.get("s3Location") or {}, file_exists_behavior=d.file_exists_behavior,
        )

    def _add_targets(self, d: Deployment, instance_ids: list[str], label: str | None, events: tuple[str, ...]) -> list[InstanceTarget]:
        with self.backend.lock:
            now = self.backend.now()
            added = []
            for iid in instance_ids:
                target = InstanceTarget(d.deployment_id, iid, label, [LifecycleEvent(n) for n in events], now,
                                        arn=f"arn:aws:ec2:{self.backend.region}:{self.backend.account_id}:instance/{iid}")
                d.targets[iid] = target
                added.append(target)
            return added

    def _run_events(self, run: DeploymentRun, target: InstanceTarget, events: tuple[str, ...],
                    traffic_action: Callable[[str, str], dict] | None) -> bool:
        """Run `events` on one instance in order; False if the instance failed (rest Skipped)."""
        d = run.deployment
        agent = self._agent(target.instance_id)
        spec = self._spec(d)
        for name in events:
            if run.stopped:
                return False
            ev = target.event(name)
            with self.backend.lock:
                ev.status, ev.start_time = "InProgress", self.backend.now()
                target.status, target.last_updated = "InProgress", ev.start_time
            run.in_event += 1
            try:
                if name in ("AllowTraffic", "BlockTraffic"):
                    diagnostics = traffic_action(name, target.instance_id) if traffic_action else None
                else:
                    diagnostics = agent.run_event(spec, name)
                status = "Succeeded"
            except LifecycleFailure as failure:
                diagnostics, status = failure.diagnostics, "Failed"
            except (ClientError, BotoCoreError) as exc:
                diagnostics, status = {"errorCode": "UnknownError", "scriptName": "", "message": str(exc), "logTail": ""}, "Failed"
            finally:
                run.in_event -= 1
            with self.backend.lock:
                ev.status, ev.end_time, ev.diagnostics = status, self.backend.now(), diagnostics
                target.last_updated = ev.end_time
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

    def _parallel(self, fn, items) -> list:
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(len(items), 16)) as pool:
            return list(pool.map(fn, items))

    def _in_waves(self, run: DeploymentRun, targets: list[InstanceTarget], work: Callable[[InstanceTarget], bool]) -> None:
        """Deploy to `targets` honouring the deployment config's minimum healthy hosts."""
        d = run.deployment
        config = self.backend.configs[d.config_name]
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

    def _traffic(self, run: DeploymentRun, target_groups: list[dict]) -> Callable[[str, str], dict]:
        elbv2 = self.clients("elbv2")

        def act(event: str, instance_id: str) -> dict:
            if event == "AllowTraffic":
                return traffic.allow_traffic(elbv2, self.cloud.clock, target_groups, instance_id,
                                             self.settings.allow_traffic_timeout, lambda: run.stopped)
            return traffic.block_traffic(elbv2, self.cloud.clock, target_groups, instance_id,
                                         self.settings.block_traffic_timeout, lambda: run.stopped)
        return act

    def _target_groups(self, d: Deployment, required: bool) -> list[dict]:
        info = d.load_balancer_info or {}
        if not info.get("targetGroupInfoList") and not info.get("elbInfoList"):
            if required:
                raise Ended("Failed", "MISSING_ELB_INFORMATION",
                            "The deployment failed because no load balancer is specified for the blue/green deployment group.")
            return []
        try:
            return traffic.resolve_target_groups(self.clients("elbv2"), info)
        except traffic.TargetGroupsMissing as exc:
            raise Ended("Failed", "ELASTIC_LOAD_BALANCING_INVALID", f"The deployment failed because the load balancer configuration is invalid: {exc}.") from None

    # -- in place -----------------------------------------------------------------------------
    def _in_place_instances(self, d: Deployment) -> list[str]:
        ids: set[str] = set()
        autoscaling = self.clients("autoscaling")
        for name in d.group.auto_scaling_groups:
            group = asg_api.describe(autoscaling, name)
            if group is not None:
                ids.update(asg_api.healthy_instances(group))
        filters = d.group.config.get("ec2TagFilters") or []
        if filters:
            ec2 = self.clients("ec2")
            for f in filters:
                kind, key, value = f.get("Type", "KEY_AND_VALUE"), f.get("Key"), f.get("Value")
                query = [{"Name": "instance-state-name", "Values": ["running"]}]
                if kind == "KEY_ONLY":
                    query.append({"Name": "tag-key", "Values": [key]})
                elif kind == "VALUE_ONLY":
                    query.append({"Name": "tag-value", "Values": [value]})
                else:
                    query.append({"Name": f"tag:{key}", "Values": [value]})
                for res in ec2.describe_instances(Filters=query)["Reservations"]:
                    ids.update(i["InstanceId"] for i in res["Instances"])
        return sorted(ids)

    def _in_place(self, run: DeploymentRun) -> None:
        d = run.deployment
        with_traffic = d.style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
        target_groups = self._target_groups(d, required=False) if with_traffic else []
        instance_ids = self._in_place_instances(d)
        if not instance_ids:
            raise Ended("Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
        targets = self._add_targets(d, instance_ids, None, IN_PLACE_EVENTS)
        action = self._traffic(run, target_groups) if target_groups else (lambda event, iid: None)

        def work(target: InstanceTarget) -> bool:
            ok = self._run_events(run, target, IN_PLACE_EVENTS, action)
            if ok:
                self._set_status([target], "Succeeded")
            return ok
        self._in_waves(run, targets, work)

    # -- an instance Auto Scaling launched (creator autoscaling, see scale_out.py) ------------------
    def _launched_instance(self, run: DeploymentRun) -> None:
        """Install the group's last successful revision on the one instance waiting in Pending:Wait.

        Blue/green group: the replacement install events only; the instance takes traffic when
        Auto Scaling puts it InService after CONTINUE and registers it with the ASG's target groups
        (so never before it is installed, and the ALB only routes to it once healthy). In-place
        group: the in-place events, AllowTraffic registering it when the group has traffic control.
        """
        d = run.deployment
        if d.style.get("deploymentType") == "BLUE_GREEN":
            # instanceLabel Green for a blue/green group's launch deployment: UNCONFIRMED.
            events, label, action = GREEN_INSTALL_EVENTS, "Green", None
        else:
            with_traffic = d.style.get("deploymentOption") == "WITH_TRAFFIC_CONTROL"
            target_groups = self._target_groups(d, required=False) if with_traffic else []
            events, label = IN_PLACE_EVENTS, None
            action = self._traffic(run, target_groups) if target_groups else (lambda event, iid: None)
        [target] = self._add_targets(d, [d.launched_instance], label, events)
        if not self._run_events(run, target, events, action):
            run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        self._set_status([target], "Succeeded")

    # -- blue/green ---------------------------------------------------------------------------
    def _blue_green(self, run: DeploymentRun) -> None:
        d = run.deployment
        autoscaling = self.clients("autoscaling")
        target_groups = self._target_groups(d, required=True)
        source = asg_api.describe(autoscaling, d.blue_asg) if d.blue_asg else None
        if source is None:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION",
                        f"The deployment failed because the Auto Scaling group {d.blue_asg} of the deployment group could not be found.")
        blue_ids = asg_api.healthy_instances(source)
        if not blue_ids:
            raise Ended("Failed", "NO_INSTANCES", NO_INSTANCES_MESSAGE)
        blue = self._add_targets(d, blue_ids, "Blue", BLOCK_TRAFFIC_EVENTS)

        # Provision: record the green group on the deployment before creating it (nothing lost).
        green_name = asg_api.green_name(d.group.name, d.deployment_id)
        with self.backend.lock:
            d.green_asg = green_name
        log.info("deployment %s provisioning %s with %d instances", d.deployment_id, green_name, len(blue_ids))
        run.check()  # a stop that came first must not leave a green group behind
        try:
            asg_api.copy_group(autoscaling, source, green_name, len(blue_ids))
            green_ids = asg_api.wait_in_service(autoscaling, green_name, len(blue_ids),
                                                self.cloud.clock.scaled(self.settings.provision_timeout), lambda: run.stopped)
        except (asg_api.ProvisioningFailed, ClientError) as exc:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION", f"The deployment failed while provisioning the replacement environment: {exc}") from None
        run.check()
        green = self._add_targets(d, green_ids, "Green", GREEN_EVENTS)
        action = self._traffic(run, target_groups)

        def install(target: InstanceTarget) -> bool:
            ok = self._run_events(run, target, GREEN_INSTALL_EVENTS, None)
            if ok:
                self._set_status([target], "Ready")
            return ok
        self._in_waves(run, green, install)
        installed = [t for t in green if t.status == "Ready"]

        self._ready_wait(run)

        # Reroute: green in, then blue out ([UG-CD] welcome.md: install -> register green -> deregister blue).
        def allow(target: InstanceTarget) -> bool:
            ok = self._run_events(run, target, ALLOW_TRAFFIC_EVENTS, action)
            if ok:
                self._set_status([target], "Succeeded")
            return ok
        results = self._parallel(allow, installed)
        run.check()
        config = self.backend.configs[d.config_name]
        if results.count(True) < max(1, config.min_healthy(len(green))):
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)

        def block(target: InstanceTarget) -> bool:
            ok = self._run_events(run, target, BLOCK_TRAFFIC_EVENTS, action)
            if ok:
                self._set_status([target], "Succeeded")
            return ok
        if not all(self._parallel(block, blue)):
            run.check()
            # "the overall deployment is marked as Failed if even a single original instance fails
            # to be deregistered successfully" ([UG-CD] instances-health.md)
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        run.check()

        self._retire_blue(run, autoscaling)
        with self.backend.lock:
            old = list(d.group.auto_scaling_groups)
            d.group.auto_scaling_groups = [green_name if n == d.blue_asg else n for n in old] or [green_name]
        hook = d.group.hook_name()
        self._safe(lambda: asg_api.put_hook(autoscaling, green_name, hook))
        if self.settings.attach_target_groups_to_green:
            self._safe(lambda: autoscaling.attach_load_balancer_target_groups(
                AutoScalingGroupName=green_name, TargetGroupARNs=[tg["arn"] for tg in target_groups]))

    def _ready_wait(self, run: DeploymentRun) -> None:
        d = run.deployment
        ready = (d.blue_green_config or {}).get("deploymentReadyOption") or {}
        if ready.get("actionOnTimeout") != "STOP_DEPLOYMENT":
            return
        minutes = int(ready.get("waitTimeInMinutes") or 0)
        with self.backend.lock:
            d.status = "Ready"
        log.info("deployment %s Ready: waiting up to %d min for ContinueDeployment(READY_WAIT)", d.deployment_id, minutes)
        continued = run.wait(self.cloud.clock.scaled(minutes * 60), until=run.ready_continue)
        if not continued:
            raise Ended("Stopped", "TIMEOUT",
                        f"The deployment was stopped because traffic rerouting was not started within the specified wait time ({minutes} minutes).")
        with self.backend.lock:
            d.status = "InProgress"

    def _retire_blue(self, run: DeploymentRun, autoscaling) -> None:
        d = run.deployment
        term = (d.blue_green_config or {}).get("terminateBlueInstancesOnDeploymentSuccess") or {}
        action = term.get("action", "TERMINATE")
        if action == "KEEP_ALIVE" and not self.settings.delete_original_asg_on_keep_alive:
            return
        if action == "TERMINATE":
            minutes = int(term.get("terminationWaitTimeInMinutes") or 0)
            with self.backend.lock:
                d.termination_wait_started = True
            log.info("deployment %s waiting %d min before terminating %s", d.deployment_id, minutes, d.blue_asg)
            run.wait(self.cloud.clock.scaled(minutes * 60), until=run.skip_termination_wait)
        run.check()
        log.info("deployment %s terminating the original environment %s", d.deployment_id, d.blue_asg)
        asg_api.remove_hook(autoscaling, d.blue_asg, d.group.hook_name())
        asg_api.delete_group(autoscaling, d.blue_asg)

    def _blue_green_rollback(self, run: DeploymentRun) -> None:
        """Blue gets AllowTraffic, green gets BlockTraffic; nothing is reinstalled; green goes away."""
        d = run.deployment
        orig = d.rolls_back
        target_groups = self._target_groups(d, required=True)
        blue_ids = [t.instance_id for t in orig.targets.values() if t.label == "Blue"]
        green_ids = [t.instance_id for t in orig.targets.values() if t.label == "Green"]
        autoscaling = self.clients("autoscaling")
        source = asg_api.describe(autoscaling, orig.blue_asg) if orig.blue_asg else None
        if source is None or not blue_ids:
            raise Ended("Failed", "AUTO_SCALING_CONFIGURATION",
                        f"The rollback failed because the original environment ({orig.blue_asg}) no longer exists.")
        blue = self._add_targets(d, blue_ids, "Blue", ALLOW_TRAFFIC_EVENTS)
        green = self._add_targets(d, green_ids, "Green", BLOCK_TRAFFIC_EVENTS)
        action = self._traffic(run, target_groups)

        def do(events):
            def work(target: InstanceTarget) -> bool:
                ok = self._run_events(run, target, events, action)
                if ok:
                    self._set_status([target], "Succeeded")
                return ok
            return work
        if not all(self._parallel(do(ALLOW_TRAFFIC_EVENTS), blue)):
            run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)
        results = self._parallel(do(BLOCK_TRAFFIC_EVENTS), green)
        if orig.green_asg:
            log.info("rollback %s removing the replacement environment %s", d.deployment_id, orig.green_asg)
            asg_api.delete_group(autoscaling, orig.green_asg)
        if not all(results):
            run.check()
            raise Ended("Failed", "HEALTH_CONSTRAINTS", HEALTH_CONSTRAINTS_MESSAGE)

    @staticmethod
    def _safe(fn) -> None:
        try:
            fn()
        except (ClientError, BotoCoreError):
            log.warning("codedeploy: a best-effort call failed", exc_info=True)
