"""Fill moto 5.2.1's CloudWatch gaps at the model level, keeping moto's serializers.

- A new alarm starts in INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"), as on AWS;
  moto starts it in OK, which would make a freshly created rollback alarm look evaluated.
- PutMetricAlarm on an existing alarm keeps its state and history (AWS: "When you update an
  existing alarm, its state is left unchanged"); moto replaces the alarm object wholesale.
- Every state change and configuration change is recorded as alarm history, kept per backend
  so it outlives DeleteAlarms (AWS keeps history for two weeks).
- DescribeAlarmHistory, which moto does not implement.
- StateTransitionedTimestamp, moved only when the state value really changes.
- PutMetricData refuses `AWS/` namespaces and StorageResolution other than 1 or 60.
- GetMetricStatistics matches dimensions exactly, as AWS does (moto matches supersets).
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

from localcloud.cloudwatch.evaluation import INSUFFICIENT, as_utc
from localcloud.moto_patch import wrap_method

_installed = False
_exact = threading.local()  # the dimensions one GetMetricStatistics call matches exactly


def _wrap(cls, name: str, hook) -> None:
    wrap_method(cls, name, hook, tag="cloudwatch")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _backend_of(alarm):
    from moto.cloudwatch.models import cloudwatch_backends

    account = alarm.alarm_arn.split(":")[4]
    return cloudwatch_backends[account][alarm.region_name]


def history_of(backend) -> list[dict]:
    history = getattr(backend, "localcloud_alarm_history", None)
    if history is None:
        history = backend.localcloud_alarm_history = []
    return history


def _record(alarm, item_type: str, summary: str, data: dict, backend=None) -> None:
    history_of(backend or _backend_of(alarm)).append({
        "AlarmName": alarm.name,
        "AlarmType": "CompositeAlarm" if getattr(alarm, "rule", None) else "MetricAlarm",
        "Timestamp": _now(),
        "HistoryItemType": item_type,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data),
    })


def _config(alarm) -> dict:
    return {
        "namespace": alarm.namespace, "metricName": alarm.metric_name,
        "dimensions": [{"name": d.name, "value": d.value} for d in alarm.dimensions],
        "statistic": alarm.statistic, "extendedStatistic": alarm.extended_statistic,
        "period": alarm.period, "evaluationPeriods": alarm.evaluation_periods,
        "datapointsToAlarm": alarm.datapoints_to_alarm, "threshold": alarm.threshold,
        "comparisonOperator": alarm.comparison_operator, "treatMissingData": alarm.treat_missing_data,
        "stateValue": alarm.state_value,
    }


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from moto.cloudwatch.models import Alarm, CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    def alarm_init(original, self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.state_value = INSUFFICIENT
        self.state_transitioned_timestamp = self.state_updated_timestamp

    def update_state(original, self, reason, reason_data, state_value):
        old_value, old_reason = self.state_value, self.state_reason
        original(self, reason, reason_data, state_value)
        if old_value != state_value:
            self.state_transitioned_timestamp = self.state_updated_timestamp
        try:
            new_data = json.loads(reason_data) if reason_data else None
        except ValueError:
            new_data = None
        new_state = {"stateValue": state_value, "stateReason": reason}
        if new_data is not None:
            new_state["stateReasonData"] = new_data
        _record(self, "StateUpdate", f"Alarm updated from {old_value} to {state_value}", {
            "version": "1.0", "oldState": {"stateValue": old_value, "stateReason": old_reason}, "newState": new_state,
        })

    def put_metric_alarm(original, self, name, *args, **kwargs):
        existing = self.alarms.get(name)
        alarm = original(self, name, *args, **kwargs)
        if existing is not None and existing is not alarm:
            for attr in ("state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                         "state_transitioned_timestamp", "history"):
                if hasattr(existing, attr):
                    setattr(alarm, attr, getattr(existing, attr))
            _record(alarm, "ConfigurationUpdate", f'Alarm "{name}" updated', {
                "type": "Update", "version": "1.0", "originalUpdatedAlarm": _config(existing), "updatedAlarm": _config(alarm),
            }, backend=self)
        elif existing is None:
            _record(alarm, "ConfigurationUpdate", f'Alarm "{name}" created', {
                "type": "Create", "version": "1.0", "createdAlarm": _config(alarm),
            }, backend=self)
        return alarm

    def delete_alarms(original, self, alarm_names, *args, **kwargs):
        gone = [self.alarms[n] for n in alarm_names if n in self.alarms]
        result = original(self, alarm_names, *args, **kwargs)
        for alarm in gone:
            _record(alarm, "ConfigurationUpdate", f'Alarm "{alarm.name}" deleted', {
                "type": "Delete", "version": "1.0", "deletedAlarm": _config(alarm),
            }, backend=self)
        return result

    def describe_alarm_history(self):  # moto 5.2.1 has no DescribeAlarmHistory: added, not wrapped
        from moto.core.responses import ActionResult

        return ActionResult(alarm_history(
            history_of(self.cloudwatch_backend),
            name=self._get_param("AlarmName"), alarm_types=self._get_param("AlarmTypes") or [],
            item_type=self._get_param("HistoryItemType"), start=self._get_param("StartDate"),
            end=self._get_param("EndDate"), max_records=self._get_param("MaxRecords"),
            next_token=self._get_param("NextToken"), scan_by=self._get_param("ScanBy"),
        ))

    def put_metric_data_api(original, self):
        check_put_metric_data(self._get_param("Namespace"), self._get_param("MetricData", []))
        return original(self)

    def get_metric_statistics(original, self, namespace, metric_name, start_time, end_time, period, stats,
                              dimensions, unit=None):
        # GetMetricStatistics matches dimensions exactly (AWS: "you must specify the same
        # dimensions that were used when the metrics were created"); moto matches any superset,
        # which sums an ALB's {LoadBalancer} and {LoadBalancer, TargetGroup} series together.
        _exact.dimensions = frozenset((d["Name"], d.get("Value")) for d in dimensions or [])
        try:
            return original(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)
        finally:
            _exact.dimensions = None

    def get_all_metrics(original, self):
        data = original(self)
        wanted = getattr(_exact, "dimensions", None)
        if wanted is None:
            return data
        return [md for md in data if frozenset((d.name, d.value) for d in md.dimensions) == wanted]

    _wrap(CloudWatchResponse, "put_metric_data", put_metric_data_api)
    _wrap(CloudWatchBackend, "get_metric_statistics", get_metric_statistics)
    _wrap(CloudWatchBackend, "get_all_metrics", get_all_metrics)
    _wrap(Alarm, "__init__", alarm_init)
    _wrap(Alarm, "update_state", update_state)
    _wrap(CloudWatchBackend, "put_metric_alarm", put_metric_alarm)
    _wrap(CloudWatchBackend, "delete_alarms", delete_alarms)
    CloudWatchResponse.describe_alarm_history = describe_alarm_history


def check_put_metric_data(namespace: str | None, metric_data: list[dict]) -> None:
    """What CloudWatch refuses in PutMetricData and moto accepts:
    - a namespace starting with `AWS/`, which AWS keeps for its services' metrics ("The value
      AWS/... for parameter Namespace is invalid."), so nobody can forge an ALB's 5XX count;
    - a StorageResolution other than 1 (high resolution) or 60 (standard).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDatum.html"""
    from moto.cloudwatch.exceptions import InvalidParameterValue

    if namespace and namespace.startswith("AWS/"):
        raise InvalidParameterValue(f"The value {namespace} for parameter Namespace is invalid.")
    for i, datum in enumerate(metric_data or [], start=1):
        resolution = datum.get("StorageResolution")
        if resolution is not None and str(resolution) not in ("1", "60"):
            raise InvalidParameterValue(f"The value {resolution} for parameter MetricData.member.{i}.StorageResolution "
                                        "is invalid. Valid values are 1 and 60.")


def alarm_history(items: list[dict], *, name=None, alarm_types=(), item_type=None, start=None, end=None,
                  max_records=None, next_token=None, scan_by=None) -> dict:
    """DescribeAlarmHistory over recorded items (newest first unless ScanBy=TimestampAscending)."""
    selected = [
        item for item in list(items)
        if (not name or item["AlarmName"] == name)
        and (not alarm_types or item["AlarmType"] in alarm_types)
        and (not item_type or item["HistoryItemType"] == item_type)
        and (start is None or item["Timestamp"] >= as_utc(start))
        and (end is None or item["Timestamp"] <= as_utc(end))
    ]
    if not alarm_types:
        selected = [i for i in selected if i["AlarmType"] == "MetricAlarm"]  # AWS's default AlarmTypes
    selected.sort(key=lambda i: i["Timestamp"], reverse=(scan_by or "TimestampDescending") == "TimestampDescending")
    offset = int(next_token) if next_token and str(next_token).isdigit() else 0
    limit = int(max_records or 100)
    page = selected[offset:offset + limit]
    result: dict = {"AlarmHistoryItems": page}
    if offset + limit < len(selected):
        result["NextToken"] = str(offset + limit)
    return result
