"""The background alarm evaluator: reads moto's alarms and metric data in-process, sets states.

Cadence: CloudWatch evaluates an alarm once a minute, or every period when the period is
shorter (10 s / 30 s high-resolution alarms); localcloud waits that long times the clock's
scale (20 ms floor). SetAlarmState therefore holds exactly until the next evaluation, which
recomputes the state from the data, as on AWS.

Emulated: single-metric alarms (MetricName/Namespace/Dimensions, or a `Metrics` list holding
one MetricStat query), Statistic or pNN ExtendedStatistic, Unit filter, the four static
threshold comparisons, DatapointsToAlarm, TreatMissingData. Metric-math and anomaly-detection
alarms and composite alarms are left in their current state (logged once).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone

from localcloud.cloudwatch.evaluation import COMPARISONS, EXTRA_RANGE, datapoints, decide

log = logging.getLogger("localcloud.cloudwatch")

FLOOR_SECONDS = 0.02
IDLE_TICK_SECONDS = 0.25


def _backends():
    from moto.cloudwatch.models import cloudwatch_backends

    for _account, per_region in list(cloudwatch_backends.items()):
        for _region, backend in list(per_region.items()):
            yield backend


def metric_of(alarm) -> dict | None:
    """namespace, name, dimensions, statistic, period, unit of a single-metric alarm, else None."""
    if alarm.metric_data_queries:
        stats = [q for q in alarm.metric_data_queries if getattr(q, "metric_stat", None)]
        if len(alarm.metric_data_queries) != 1 or len(stats) != 1:
            return None
        stat = stats[0].metric_stat
        return {"namespace": stat.metric.namespace, "name": stat.metric.metric_name,
                "dimensions": {(d.name, d.value) for d in stat.metric.dimensions},
                "statistic": stat.stat, "period": int(stat.period), "unit": stat.unit}
    if not alarm.metric_name:
        return None
    return {"namespace": alarm.namespace, "name": alarm.metric_name,
            "dimensions": {(d.name, d.value) for d in alarm.dimensions},
            "statistic": alarm.statistic or alarm.extended_statistic, "period": int(alarm.period),
            "unit": alarm.unit}


class AlarmEvaluator:
    def __init__(self, clock):
        self.clock = clock
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._next: dict[int, float] = {}   # id(alarm object) -> monotonic due time
        self._warned: set[str] = set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="localcloud-alarms", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def reset(self) -> None:
        self._next.clear()

    def cadence(self, period: int) -> float:
        return max(FLOOR_SECONDS, self.clock.scaled(min(int(period or 60), 60)))

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = IDLE_TICK_SECONDS
            seen: set[int] = set()
            for backend in _backends():
                for alarm in list(backend.alarms.values()):
                    seen.add(id(alarm))
                    try:
                        wait = min(wait, self._maybe_evaluate(backend, alarm))
                    except Exception:
                        log.exception("evaluating alarm %s failed", getattr(alarm, "name", "?"))
            for key in set(self._next) - seen:
                del self._next[key]
            self._stop.wait(max(FLOOR_SECONDS, wait))

    def _maybe_evaluate(self, backend, alarm) -> float:
        now = time.monotonic()
        due = self._next.get(id(alarm), now)
        if now < due:
            return due - now
        metric = metric_of(alarm)
        interval = self.cadence(metric["period"] if metric else 60)
        self._next[id(alarm)] = now + interval
        self.evaluate(backend, alarm, metric)
        return interval

    def evaluate(self, backend, alarm, metric: dict | None = None) -> None:
        metric = metric if metric is not None else metric_of(alarm)
        if getattr(alarm, "rule", None) or metric is None or alarm.comparison_operator not in COMPARISONS:
            if alarm.name not in self._warned:
                self._warned.add(alarm.name)
                log.warning("alarm %s is not a single-metric static-threshold alarm; localcloud does not evaluate it", alarm.name)
            return
        n = int(alarm.evaluation_periods or 1)
        m = int(alarm.datapoints_to_alarm or n)
        datums = [d for d in list(backend.metric_data)
                  if d.namespace == metric["namespace"] and d.name == metric["name"]
                  and {(x.name, x.value) for x in d.dimensions} == metric["dimensions"]
                  and (not metric["unit"] or d.unit == metric["unit"])]
        now = datetime.now(timezone.utc)
        width = max(FLOOR_SECONDS, self.clock.scaled(metric["period"]))
        points = datapoints(datums, now, width, n + EXTRA_RANGE, metric["statistic"])
        decision = decide(points, n, m, float(alarm.threshold), alarm.comparison_operator, alarm.treat_missing_data,
                          metric["statistic"], metric["period"], now, alarm.state_value)
        if decision.state is not None and decision.state != alarm.state_value:
            alarm.update_state(decision.reason, decision.reason_data, decision.state)
            log.info("alarm %s -> %s: %s", alarm.name, decision.state, decision.reason)
