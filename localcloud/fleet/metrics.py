"""The ALB's CloudWatch metrics (namespace AWS/ApplicationELB), from the traffic it really proxies
and the health checks it really runs.

What ALB publishes (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html):

- Counts of requests, per minute, only for minutes in which requests flowed (no request, no
  datapoint: an alarm on them needs TreatMissingData notBreaching):
    RequestCount, HTTPCode_Target_2XX/3XX/4XX/5XX_Count      {LoadBalancer}, {LoadBalancer, TargetGroup}
    HTTPCode_ELB_4XX_Count, HTTPCode_ELB_5XX_Count,
    HTTPCode_ELB_502/503/504_Count                            {LoadBalancer}
  The statistic that means something is Sum (every sample is 1; Minimum/Maximum/Average are 1).
- TargetResponseTime, seconds from the request leaving the ALB until the target's response
  headers arrive                                              {LoadBalancer}, {LoadBalancer, TargetGroup}
- HealthyHostCount, UnHealthyHostCount, every minute for each target group a listener uses,
  traffic or not                                              {LoadBalancer, TargetGroup}

The dimension values are the ARN's tail: LoadBalancer `app/<name>/<id>`, TargetGroup
`targetgroup/<name>/<id>`. Availability-zone dimensions are not published. Each minute is the
clock's scaled minute; its datapoints carry the minute's start as their timestamp and go to
moto's CloudWatch through CloudWatch's door, as `elasticloadbalancing.amazonaws.com`, so
GetMetricStatistics, GetMetricData and the alarm evaluator see them as they see any data.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from localcloud.fleet import moto_state
from localcloud.fleet.health import HEALTHY, UNHEALTHY, HealthRegistry

log = logging.getLogger("localcloud.fleet")

NAMESPACE = "AWS/ApplicationELB"
MINUTE = 60.0
PUBLISHER = "elasticloadbalancing.amazonaws.com"


def lb_dimension(lb_arn: str) -> str:
    return lb_arn.split(":loadbalancer/", 1)[-1]


def tg_dimension(tg_arn: str) -> str:
    return tg_arn.rsplit(":", 1)[-1]


def region_of(arn: str) -> str:
    return arn.split(":")[3]


@dataclass
class _Stat:
    count: int = 0
    total: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.low, self.high = min(self.low, value), max(self.high, value)

    def statistic_values(self) -> dict:
        return {"SampleCount": float(self.count), "Sum": self.total, "Minimum": self.low, "Maximum": self.high}


@dataclass
class _Minute:
    start: float
    # (region, metric name, ((dim name, value), ...), unit) -> _Stat; the region comes from the
    # load balancer's ARN when the observation is made, so publishing looks nothing up
    stats: dict = field(default_factory=lambda: defaultdict(_Stat))


class ALBMetrics:
    """Collects the data plane's observations and publishes them once per scaled minute."""

    def __init__(self, clock, registry: HealthRegistry, publish: Callable[[str, list[dict]], None]):
        self.clock = clock
        self.registry = registry
        self.publish = publish  # (region, metric data) -> None
        self._lock = threading.Lock()
        self._minute = _Minute(time.time())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- observations (the data plane calls these) --------------------------------------------
    def _add(self, region: str, name: str, dims: tuple, value: float, unit: str) -> None:
        self._minute.stats[(region, name, dims, unit)].add(value)

    def target_answered(self, lb_arn: str, tg_arn: str, status: int, seconds: float) -> None:
        """A target answered a forwarded request with `status` after `seconds` (to headers)."""
        lb = (("LoadBalancer", lb_dimension(lb_arn)),)
        both = lb + (("TargetGroup", tg_dimension(tg_arn)),)
        region = region_of(lb_arn)
        with self._lock:
            for dims in (lb, both):
                self._add(region, "RequestCount", dims, 1.0, "Count")
                if 200 <= status < 600:
                    self._add(region, f"HTTPCode_Target_{status // 100}XX_Count", dims, 1.0, "Count")
                self._add(region, "TargetResponseTime", dims, seconds, "Seconds")

    def elb_answered(self, lb_arn: str, status: int, tg_arn: str | None = None) -> None:
        """The load balancer answered `status` itself (no target, unreachable target, ...)."""
        lb = (("LoadBalancer", lb_dimension(lb_arn)),)
        region = region_of(lb_arn)
        with self._lock:
            self._add(region, "RequestCount", lb, 1.0, "Count")
            if tg_arn:
                self._add(region, "RequestCount", lb + (("TargetGroup", tg_dimension(tg_arn)),), 1.0, "Count")
            if 400 <= status < 600:
                self._add(region, f"HTTPCode_ELB_{status // 100}XX_Count", lb, 1.0, "Count")
            if status in (500, 502, 503, 504):
                self._add(region, f"HTTPCode_ELB_{status}_Count", lb, 1.0, "Count")

    # -- publishing -----------------------------------------------------------------------------
    def _host_counts(self, stats: dict) -> None:
        for group in self.registry.groups():
            with group.lock:
                states = [t.state for t in group.targets.values()]
            tg = moto_state.target_group(group.arn)
            if tg is None:
                continue
            for lb_arn in list(getattr(tg, "load_balancer_arns", []) or []):
                dims = (("LoadBalancer", lb_dimension(lb_arn)), ("TargetGroup", tg_dimension(group.arn)))
                region = region_of(lb_arn)
                stats[(region, "HealthyHostCount", dims, "Count")].add(float(states.count(HEALTHY)))
                stats[(region, "UnHealthyHostCount", dims, "Count")].add(float(states.count(UNHEALTHY)))

    def flush(self) -> None:
        """Publish the minute that is ending and start the next."""
        with self._lock:
            minute, self._minute = self._minute, _Minute(time.time())
        self._host_counts(minute.stats)
        # naive UTC, as moto keeps every datapoint's timestamp (its API parser makes them so)
        stamp = datetime.fromtimestamp(minute.start, tz=timezone.utc).replace(tzinfo=None)
        by_region: dict[str, list[dict]] = defaultdict(list)
        for (region, name, dims, unit), stat in minute.stats.items():
            if not stat.count:
                continue
            by_region[region].append({
                "MetricName": name, "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                "Timestamp": stamp, "StatisticValues": stat.statistic_values(), "Unit": unit})
        for region, data in by_region.items():
            for i in range(0, len(data), 1000):  # PutMetricData takes at most 1000 metrics per call
                try:
                    self.publish(region, data[i:i + 1000])
                except Exception:  # noqa: BLE001 - a lost minute of metrics must not stop the data plane
                    log.exception("publishing %s metrics failed", NAMESPACE)

    def _run(self) -> None:
        while not self._stop.wait(max(0.02, self.clock.scaled(MINUTE))):
            self.flush()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="alb-metrics", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._thread = None

    def reset(self) -> None:
        with self._lock:
            self._minute = _Minute(time.time())
