"""Watch a CloudWatch alarm change state while something else happens (never drive it).

The environment's alarm watches the load balancer's own 5XX metric, which nobody but the load
balancer can write, so the suite only observes: it polls the alarm's state until `until()` and
records every transition it saw, with CloudWatch's reason.
"""
from __future__ import annotations

from typing import Callable

from capstone import evidence
from capstone.retry import Deadline, WaitTimeout


def watch(cloudwatch, alarm_name: str, until: Callable[[], bool], deadline: float | Deadline, *,
          interval: float, log: Callable[[str], None] | None = None) -> dict:
    """Poll `alarm_name` every `interval` seconds until `until()`; returns
    {"alarm", "alarm_states" (in the order seen), "reasons" (the reason of each new state)}."""
    say = log or (lambda line: print(line, flush=True))
    deadline = Deadline.of(deadline)

    def read() -> dict:
        found = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        if not found:
            raise ValueError(f"alarm {alarm_name} does not exist")
        return found[0]

    first = read()
    states, reasons = [first.get("StateValue")], [first.get("StateReason")]
    say(f"[alarm {alarm_name}] watching {first.get('Namespace')}/{first.get('MetricName')} "
        f"({first.get('Statistic')} {first.get('ComparisonOperator')} {first.get('Threshold')}): {states[0]}")
    while not until():
        if deadline.expired():
            raise WaitTimeout(f"timed out after {deadline.seconds:.0f}s watching alarm {alarm_name} without the "
                              f"awaited effect; alarm states seen: {states}")
        alarm = read()
        if alarm.get("StateValue") != states[-1]:
            states.append(alarm.get("StateValue"))
            reasons.append(alarm.get("StateReason"))
            say(f"[alarm {alarm_name}] {states[-2]} -> {states[-1]}: {reasons[-1]}")
            evidence.event("alarm", alarm=alarm_name, old=states[-2], new=states[-1])
        deadline.sleep(interval)
    return {"alarm": alarm_name, "alarm_states": states, "reasons": reasons}
