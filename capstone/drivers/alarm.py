"""Drive a CloudWatch alarm into ALARM with real metric data, as a failing fleet would.

SetAlarmState only lasts until the alarm's next evaluation, so the metric itself is fed a
breaching value, again and again, until whatever we wait for (the deployment stopping) happens.
"""
from __future__ import annotations

from typing import Callable

from capstone import evidence
from capstone.retry import Deadline, WaitTimeout

_BREACH = {  # comparison operator -> a value on the alarming side of the threshold
    "GreaterThanOrEqualToThreshold": lambda t: t,
    "GreaterThanThreshold": lambda t: t + max(1.0, abs(t)),
    "LessThanThreshold": lambda t: t - max(1.0, abs(t)),
    "LessThanOrEqualToThreshold": lambda t: t,
}


def breaching_value(alarm: dict) -> float:
    operator = alarm.get("ComparisonOperator", "GreaterThanOrEqualToThreshold")
    if operator not in _BREACH:
        raise ValueError(f"alarm {alarm.get('AlarmName')} uses {operator}; only static thresholds can be breached here")
    return float(_BREACH[operator](float(alarm["Threshold"])))


def breach(cloudwatch, alarm_name: str, metric: dict, until: Callable[[], bool], deadline: float | Deadline, *,
           interval: float, log: Callable[[str], None] | None = None) -> dict:
    """PutMetricData a breaching value on `metric` every `interval` seconds until `until()`.

    `metric` is {"Namespace","MetricName","Dimensions","Threshold","Period"}. Returns facts:
    {"alarm", "value", "puts", "alarm_states"} (the alarm states seen, in order).
    """
    say = log or (lambda line: print(line, flush=True))
    deadline = Deadline.of(deadline)
    alarms = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    if not alarms:
        raise ValueError(f"alarm {alarm_name} does not exist")
    alarm = alarms[0]
    value = breaching_value(alarm)
    datum = {"MetricName": metric["MetricName"], "Dimensions": metric.get("Dimensions", []), "Value": value}
    if int(metric.get("Period", alarm.get("Period", 60))) < 60:
        datum["StorageResolution"] = 1  # a sub-minute alarm only sees high-resolution data
    puts, states = 0, [alarm.get("StateValue")]
    say(f"[alarm {alarm_name}] feeding {metric['Namespace']}/{metric['MetricName']} = {value} "
        f"({alarm.get('ComparisonOperator')} {alarm['Threshold']})")
    evidence.event("alarm", alarm=alarm_name, action="breach", value=value)
    while not until():
        if deadline.expired():
            raise WaitTimeout(f"timed out after {deadline.seconds:.0f}s feeding alarm {alarm_name} "
                              f"({puts} data points) without the awaited effect; alarm states seen: {states}")
        cloudwatch.put_metric_data(Namespace=metric["Namespace"], MetricData=[datum])
        puts += 1
        state = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"][0].get("StateValue")
        if state != states[-1]:
            states.append(state)
            say(f"[alarm {alarm_name}] {states[-2]} -> {state}")
            evidence.event("alarm", alarm=alarm_name, old=states[-2], new=state)
        deadline.sleep(interval)
    return {"alarm": alarm_name, "value": value, "puts": puts, "alarm_states": states}
