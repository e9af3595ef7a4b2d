"""How CloudWatch decides a metric alarm's state from its datapoints (pure functions).

Source: CloudWatch user guide, "Evaluating an alarm" and "How alarm state is evaluated when
data is missing" (awsdocs/amazon-cloudwatch-user-guide, AlarmThatSendsEmail.md):

- each period of `Period` seconds gives one datapoint: the alarm's statistic over the samples
  in it; no samples -> a missing datapoint;
- CloudWatch retrieves more periods than EvaluationPeriods (the *evaluation range*; the guide's
  examples retrieve 5 for 3 — we use EvaluationPeriods + 2, the exact number is UNCONFIRMED);
- with at least N (EvaluationPeriods) real datapoints, the most recent N are evaluated and
  TreatMissingData does not matter; with fewer, missing ones are filled with the treatment,
  as few times as possible; ALARM when at least M (DatapointsToAlarm) evaluated datapoints
  breach, else OK. With `missing`: no data at all -> INSUFFICIENT_DATA; some but too few to
  decide (no non-breaching point, fewer than M breaching) -> INSUFFICIENT_DATA; `ignore` keeps
  the current state in those cases. The guide's table row "X - - - -" (an old breaching point
  alone gives ALARM under `missing`) is not reproduced: we answer INSUFFICIENT_DATA.

Time scale: periods are AWS waits, so a period lasts `Period x scale` real seconds and the
buckets are laid back from the evaluation instant in those units.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"

COMPARISONS = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
EXTRA_RANGE = 2


def as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass
class Samples:
    """What fell into one period: raw values and pre-aggregated StatisticValues sets."""

    values: list[float] = field(default_factory=list)
    aggregated: list[tuple[float, float, float, float]] = field(default_factory=list)  # (count, sum, min, max)

    @property
    def empty(self) -> bool:
        return not self.values and not self.aggregated

    def count(self) -> float:
        return len(self.values) + sum(a[0] for a in self.aggregated)

    def total(self) -> float:
        return sum(self.values) + sum(a[1] for a in self.aggregated)

    def statistic(self, name: str) -> float | None:
        if self.empty:
            return None
        if name == "SampleCount":
            return self.count()
        if name == "Sum":
            return self.total()
        if name == "Average":
            return self.total() / self.count() if self.count() else None
        if name == "Minimum":
            return min(self.values + [a[2] for a in self.aggregated])
        if name == "Maximum":
            return max(self.values + [a[3] for a in self.aggregated])
        if name.startswith("p"):
            return percentile(self.values, float(name[1:])) if self.values else None
        raise ValueError(f"statistic {name} is not emulated")


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100.0 * len(ordered)))  # nearest rank
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Datapoint:
    start: datetime
    value: float | None
    samples: float = 0.0


@dataclass
class AlarmDecision:
    state: str | None              # None: keep the current state (treat missing data = ignore)
    reason: str
    reason_data: str


def datapoints(datums, now: datetime, period_seconds: float, periods: int, statistic: str) -> list[Datapoint]:
    """`periods` consecutive datapoints ending at `now`, oldest first.

    `datums` are moto's stored samples: `.timestamp` plus either `.value` (PutMetricData
    Value/Values) or `.sample_count/.sum/.min/.max` (StatisticValues)."""
    width = timedelta(seconds=period_seconds)
    start = now - width * periods
    buckets = [Samples() for _ in range(periods)]
    for datum in datums:
        timestamp = as_utc(datum.timestamp)
        if not start <= timestamp < now:
            continue
        samples = buckets[min(periods - 1, int((timestamp - start) / width))]
        if hasattr(datum, "value"):
            samples.values.append(float(datum.value))
        else:
            samples.aggregated.append((float(datum.sample_count), float(datum.sum), float(datum.min), float(datum.max)))
    return [Datapoint(start + width * i, s.statistic(statistic), s.count()) for i, s in enumerate(buckets)]


def decide(points: list[Datapoint], evaluation_periods: int, datapoints_to_alarm: int, threshold: float,
           comparison: str, treat_missing: str, statistic: str, period: int, now: datetime,
           current_state: str) -> AlarmDecision:
    breaches, phrase = COMPARISONS[comparison]
    n, m = evaluation_periods, datapoints_to_alarm
    present = [p for p in points if p.value is not None]
    evaluated = present[-n:]
    breaching = [p for p in evaluated if breaches(p.value, threshold)]
    calm = [p for p in evaluated if not breaches(p.value, threshold)]
    missing = max(0, n - len(evaluated))
    treat = treat_missing or "missing"

    if missing == 0:
        state = ALARM if len(breaching) >= m else OK
    elif treat == "breaching":
        state = ALARM if len(breaching) + missing >= m else OK
    elif treat == "notBreaching":
        state = ALARM if len(breaching) >= m else OK
    elif len(breaching) >= m:
        state = ALARM
    elif calm:
        state = OK
    else:
        state = None if treat == "ignore" else INSUFFICIENT

    data = _reason_data(evaluated, statistic, period, threshold, now, points)
    if state is None:
        return AlarmDecision(None, "", data)
    if state == INSUFFICIENT:
        count = n
        return AlarmDecision(state, f"Insufficient Data: {count} datapoint{'s were' if count != 1 else ' was'} unknown.", data)
    if state == ALARM:
        shown, verb, transition = breaching, phrase, "OK -> ALARM"
        count = len(breaching) + (missing if treat == "breaching" else 0)
    else:
        shown, verb, transition = calm, f"not {phrase}", "ALARM -> OK"
        count = len(calm) + (missing if treat == "notBreaching" else 0)
    listed = ", ".join(f"{_num(p.value)} ({p.start.strftime('%d/%m/%y %H:%M:%S')})" for p in reversed(shown))
    need = m if state == ALARM else n - m + 1
    reason = (f"Threshold Crossed: {count} out of the last {n} datapoints [{listed}] "
              f"{'was' if count == 1 else 'were'} {verb} the threshold ({_num(threshold)}) "
              f"(minimum {need} datapoint{'s' if need != 1 else ''} for {transition} transition).")
    return AlarmDecision(state, reason, data)


def _num(value: float) -> str:
    return repr(float(value))


def _iso(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _reason_data(evaluated: list[Datapoint], statistic: str, period: int, threshold: float,
                 now: datetime, points: list[Datapoint]) -> str:
    return json.dumps({
        "version": "1.0",
        "queryDate": _iso(now),
        "startDate": _iso(points[0].start) if points else _iso(now),
        "statistic": statistic,
        "period": period,
        "recentDatapoints": [p.value for p in evaluated],
        "threshold": threshold,
        "evaluatedDatapoints": [{"timestamp": _iso(p.start), "sampleCount": p.samples, "value": p.value}
                                for p in reversed(evaluated)],
    })
