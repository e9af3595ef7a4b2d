"""CloudWatch's door: alarm states in moto's CloudWatch backend (which the alarm evaluator and
cloudwatch/moto_hooks.py keep as AWS would).

DescribeAlarms is authorized on each alarm's ARN, `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`
(its resource type in the Service Authorization Reference).
"""
from __future__ import annotations

from dataclasses import dataclass

from localcloud.moto_contract import MotoContract
from localcloud.principal import Principal


@dataclass(frozen=True)
class AlarmState:
    name: str
    arn: str
    state: str                  # OK | ALARM | INSUFFICIENT_DATA
    reason: str | None
    composite: bool


class CloudWatchContract(MotoContract):
    action_prefix = "cloudwatch"

    def _backend(self, region: str | None):
        from moto.cloudwatch.models import cloudwatch_backends

        return cloudwatch_backends[self.account_id][self._region(region)]

    def alarm_arn(self, name: str, region: str | None = None) -> str:
        return f"arn:aws:cloudwatch:{self._region(region)}:{self.account_id}:alarm:{name}"

    def alarms(self, principal: Principal, names: list[str], region: str | None = None) -> dict[str, AlarmState]:
        """{name: AlarmState} of the metric and composite alarms that exist; a name that names
        no alarm is left out, as DescribeAlarms leaves it out."""
        names = list(dict.fromkeys(names))
        for name in names:
            self._authorize(principal, "DescribeAlarms", self.alarm_arn(name, region))
        wanted = set(names)
        found = {}
        for alarm in list(self._backend(region).alarms.values()):
            if alarm.name in wanted:
                found[alarm.name] = AlarmState(alarm.name, alarm.alarm_arn, alarm.state_value, alarm.state_reason,
                                               composite=getattr(alarm, "rule", None) is not None)
        return found

    def alarm_states(self, principal: Principal, names: list[str], region: str | None = None) -> dict[str, str]:
        """{name: state value} of the alarms that exist (see `alarms`)."""
        return {name: alarm.state for name, alarm in self.alarms(principal, names, region).items()}

    def put_metric_data(self, principal: Principal, namespace: str, metric_data: list[dict],
                        region: str | None = None) -> None:
        """Datapoints a service publishes into its own namespace (the ALB's AWS/ApplicationELB):
        AWS services publish without an API call anyone could make, so nothing is authorized; a
        user's PutMetricData into an `AWS/` namespace is refused (cloudwatch/moto_hooks.py)."""
        if not principal.is_service:
            raise ValueError(f"only an AWS service publishes into {namespace}, not {principal}")
        self._backend(region).put_metric_data(namespace, metric_data)
