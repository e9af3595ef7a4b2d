"""Alarms evaluated from PutMetricData by localcloud's background evaluator, through boto3."""
from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest

pytestmark = pytest.mark.integration

NAMESPACE = "Capstone/Tests"


@pytest.fixture(scope="module")
def cw(aws):
    return aws("cloudwatch")


def wait_for_state(cw, name: str, state: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    alarm = None
    while time.monotonic() < deadline:
        alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
        if alarm["StateValue"] == state:
            return alarm
        time.sleep(0.05)
    raise AssertionError(f"alarm {name} never reached {state}; last: {alarm and alarm['StateValue']}")


def make_alarm(cw, **overrides) -> tuple[str, list[dict]]:
    name = f"alarm-{uuid.uuid4().hex[:8]}"
    dimensions = [{"Name": "DeploymentGroup", "Value": name}]
    params = dict(AlarmName=name, Namespace=NAMESPACE, MetricName="Errors", Dimensions=dimensions,
                  Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                  ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
    params.update(overrides)
    cw.put_metric_alarm(**params)
    return name, dimensions


def put(cw, dimensions, value: float, metric: str = "Errors") -> None:
    cw.put_metric_data(Namespace=NAMESPACE, MetricData=[{"MetricName": metric, "Dimensions": dimensions, "Value": value}])


def test_new_alarm_starts_insufficient_data(cw):
    name, _ = make_alarm(cw, TreatMissingData="missing")
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("INSUFFICIENT_DATA", "Unchecked: Initial alarm creation")


def test_alarm_goes_to_alarm_from_metric_data_and_back_to_ok(cw):
    name, dims = make_alarm(cw)
    wait_for_state(cw, name, "OK")  # notBreaching: no data is good data
    put(cw, dims, 5)
    alarm = wait_for_state(cw, name, "ALARM")
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [5.0 (")
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [5.0]
    put(cw, dims, 0)
    wait_for_state(cw, name, "OK")


def test_other_dimensions_do_not_feed_the_alarm(cw):
    name, dims = make_alarm(cw)
    wait_for_state(cw, name, "OK")
    put(cw, [{"Name": "DeploymentGroup", "Value": "someone-else"}], 50)
    put(cw, dims, 50, metric="Latency")
    time.sleep(2.5)  # two evaluations at scale 0.02 (period 60 -> 1.2 s)
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "OK"


def test_set_alarm_state_holds_only_until_the_next_evaluation(cw):
    name, _ = make_alarm(cw)
    wait_for_state(cw, name, "OK")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="testing the rollback path")
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert (alarm["StateValue"], alarm["StateReason"]) == ("ALARM", "testing the rollback path")
    wait_for_state(cw, name, "OK", timeout=5)  # the next evaluation recomputes it from the data
    summaries = [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]]
    assert summaries[:2] == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM"]


def test_datapoints_to_alarm_m_out_of_n(cw):
    # Period 30 s -> 0.6 s periods at scale 0.02; the evaluation range (5 periods) is 3 s.
    name, dims = make_alarm(cw, Period=30, EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="ignore")
    put(cw, dims, 5)
    time.sleep(0.75)  # an evaluation later, 1 of the last 3 periods breaches: not enough
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] != "ALARM"
    put(cw, dims, 5)  # more than one period after the first: a second breaching datapoint
    alarm = wait_for_state(cw, name, "ALARM", timeout=5)
    assert "2 out of the last 3 datapoints" in alarm["StateReason"]


def test_update_keeps_state_and_history_records_everything(cw):
    name, dims = make_alarm(cw)
    put(cw, dims, 5)
    wait_for_state(cw, name, "ALARM")
    make_alarm(cw, AlarmName=name, Threshold=100.0, TreatMissingData="ignore")
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"] == "ALARM"
    history = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")["AlarmHistoryItems"]
    kinds = [(h["HistoryItemType"], h["HistorySummary"]) for h in history]
    assert kinds[0] == ("ConfigurationUpdate", f'Alarm "{name}" created')
    assert ("ConfigurationUpdate", f'Alarm "{name}" updated') in kinds
    state_change = next(h for h in history if h["HistoryItemType"] == "StateUpdate")
    assert json.loads(state_change["HistoryData"])["newState"]["stateValue"] in ("OK", "ALARM")
    cw.delete_alarms(AlarmNames=[name])
    after = cw.describe_alarm_history(AlarmName=name)["AlarmHistoryItems"]
    assert after[0]["HistorySummary"] == f'Alarm "{name}" deleted'


def test_aws_cli_sees_the_evaluated_alarm(cw, cli_env):
    name, dims = make_alarm(cw)
    put(cw, dims, 3)
    wait_for_state(cw, name, "ALARM")
    out = subprocess.run(["aws", "cloudwatch", "describe-alarms", "--alarm-names", name, "--output", "json"],
                         env=cli_env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["MetricAlarms"][0]["StateValue"] == "ALARM"
