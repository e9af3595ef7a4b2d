"""localcloud's fleet: instances that run, target groups with real health, and the ALB data plane.

moto answers the whole EC2 / Auto Scaling / ELBv2 API; this provider makes it true:
- `runtimes` gives each EC2 instance a directory and a loopback port (see instances.py);
  terminating or stopping the instance, by any path, kills its processes;
- Auto Scaling groups keep their target groups' registrations in step with their instances;
- every registered target is health-checked for real and DescribeTargetHealth reports it;
- requests addressed to a load balancer's DNSName are proxied to its healthy targets.

An instance target (id, port) is served by `127.0.0.1:<runtime.app_port>` whatever the port:
the application serves on APP_PORT what it would serve on port 80 on EC2.
"""
from __future__ import annotations

import ipaddress
import logging

from localcloud.fleet import moto_hooks, moto_state
from localcloud.fleet.checker import HealthChecker
from localcloud.fleet.contract import FleetContract
from localcloud.fleet.dataplane import DataPlane
from localcloud.fleet.metrics import NAMESPACE as ALB_NAMESPACE
from localcloud.fleet.metrics import PUBLISHER as ALB_PUBLISHER
from localcloud.fleet.metrics import ALBMetrics
from localcloud.fleet.metadata import PREFIX as METADATA_PREFIX
from localcloud.fleet.metadata import MetadataService
from localcloud.fleet.health import HealthRegistry, RegisteredTarget
from localcloud.fleet.instances import InstanceRuntimes
from localcloud.principal import Principal
from localcloud.provider import Provider

log = logging.getLogger("localcloud.fleet")

DEFAULT_DEREGISTRATION_DELAY_SECONDS = 300


class FleetProvider(Provider):
    service = "elbv2"

    def __init__(self, cloud):
        super().__init__(cloud)
        self.runtimes = InstanceRuntimes(cloud)
        self.contract = FleetContract(cloud.authorizer, self.runtimes, lambda: cloud.services)
        self.metadata = MetadataService(lambda: cloud.services, self.contract)
        self.health = HealthRegistry()
        self.checker = HealthChecker(self.health, cloud.clock, self.address_of)
        self.metrics = ALBMetrics(cloud.clock, self.health, self._publish_metrics)
        self.dataplane = DataPlane(self.health, self.address_of, self.metrics)
        moto_hooks.install(self)

    # -- Provider ------------------------------------------------------------------------------
    def routes(self):
        return [(METADATA_PREFIX, self.metadata.app)]

    def host_app(self, host: str):
        return self.dataplane.app_for_host(host)

    def start(self) -> None:
        self.checker.start()
        self.metrics.start()
        self.cloud.sandboxes.warm(self.runtimes.base, count=2)  # a blue/green deployment's green pair

    def _publish_metrics(self, region: str, data: list[dict]) -> None:
        """One minute of AWS/ApplicationELB data, into CloudWatch through its door, as ELB."""
        self.cloud.services.cloudwatch.put_metric_data(
            Principal.service(ALB_PUBLISHER, self.cloud.account_id), ALB_NAMESPACE, data, region)

    def reset(self) -> None:
        self.metadata.forget()
        self.health.clear()
        self.runtimes.reset()
        self.dataplane.close()
        self.metrics.reset()

    def stop(self) -> None:
        self.checker.stop()
        self.metrics.stop()
        self.dataplane.close()
        for runtime in self.runtimes.all():
            runtime.terminate()
        moto_hooks.uninstall(self)

    # -- where a target listens ----------------------------------------------------------------
    def address_of(self, target_group, target: RegisteredTarget) -> tuple[str, int] | None:
        if getattr(target_group, "target_type", "instance") == "ip":
            try:
                loopback = ipaddress.ip_address(target.id).is_loopback
            except ValueError:
                loopback = False
            return (target.id, target.port) if loopback else None  # nothing else is reachable offline
        runtime = self.runtimes.get(target.id)
        if runtime is None or runtime.terminated:
            return None
        return ("127.0.0.1", runtime.app_port)

    def deregistration_delay(self, target_group) -> float:
        raw = target_group.attributes.get("deregistration_delay.timeout_seconds", DEFAULT_DEREGISTRATION_DELAY_SECONDS)
        try:
            seconds = float(raw)
        except (TypeError, ValueError):
            seconds = DEFAULT_DEREGISTRATION_DELAY_SECONDS
        return self.cloud.clock.scaled(seconds)

    # -- moto hooks (moto_hooks.FleetListener) -------------------------------------------------
    def instance_terminated(self, instance) -> None:
        self.runtimes.terminate(instance.id)
        backend = instance.ec2_backend
        for target_group in moto_state.target_groups_with(backend.account_id, backend.region_name, instance.id):
            target_group.deregister([{"Id": instance.id}])  # -> draining, as AWS shows it

    def instance_stopped(self, instance) -> None:
        runtime = self.runtimes.get(instance.id)
        if runtime is not None:
            runtime.kill_processes()  # a stopped instance runs nothing; its disk (root) stays

    def targets_registered(self, target_group, targets: list[dict]) -> None:
        group = self.health.group(target_group.arn)
        if not group.in_use:  # decide now, so a fresh target never shows `unused` by mistake
            group.set_in_use(moto_state.target_group_in_use(target_group.arn))
        group.register(targets)
        self.checker.wake()

    def targets_deregistered(self, target_group, targets: list[dict]) -> None:
        group = self.health.group(target_group.arn, create=False)
        if group is not None:
            group.deregister(targets, self.deregistration_delay(target_group))
            self.checker.wake()

    def target_health(self, target_group, target_id: str):
        group = self.health.group(target_group.arn, create=False)
        target = group.lookup(target_id) if group is not None else None
        return target.report() if target is not None else None

    def draining_targets(self, target_group) -> list[dict]:
        group = self.health.group(target_group.arn, create=False)
        if group is None:
            return []
        with group.lock:
            return [t.key for t in group.draining.values()]

    def target_group_deleted(self, target_group_arn: str) -> None:
        self.health.forget(target_group_arn)


def create(cloud) -> FleetProvider:
    return FleetProvider(cloud)
