"""AWS/ApplicationELB metrics from the traffic the ALB really proxies and the health checks it
really runs, read back with GetMetricStatistics and GetMetricData, and an alarm that fires from
them; nobody may write into AWS/ namespaces."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.fleet.conftest import wait_until

pytestmark = pytest.mark.integration


def _dims(alb, target_group=True):
    dims = [{"Name": "LoadBalancer", "Value": alb.arn.split(":loadbalancer/", 1)[1]}]
    if target_group:
        dims.append({"Name": "TargetGroup", "Value": alb.target_group_arn.rsplit(":", 1)[1]})
    return dims


def _sum(cloudwatch, name, dims, statistic="Sum") -> float:
    now = datetime.now(timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/ApplicationELB", MetricName=name, Dimensions=dims, StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1), Period=60, Statistics=[statistic])["Datapoints"]
    if statistic == "Maximum":
        return max((p[statistic] for p in points), default=0.0)
    if statistic == "Minimum":
        return min((p[statistic] for p in points), default=float("nan"))
    return sum(p[statistic] for p in points)


@pytest.fixture
def serving(kit):
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")
    return alb


def test_requests_and_target_codes_are_counted(kit, aws, serving):
    cw = aws("cloudwatch")
    for _ in range(5):
        assert kit.get(serving, "/").status_code == 200
    for _ in range(3):
        assert kit.get(serving, "/status/500").status_code == 500
    assert kit.get(serving, "/status/404").status_code == 404
    both, lb = _dims(serving), _dims(serving, target_group=False)
    wait_until(lambda: _sum(cw, "RequestCount", both) == 9, timeout=15, what="9 requests counted")
    assert _sum(cw, "RequestCount", lb) == 9
    assert _sum(cw, "HTTPCode_Target_2XX_Count", both) == 5
    assert _sum(cw, "HTTPCode_Target_5XX_Count", both) == 3
    assert _sum(cw, "HTTPCode_Target_4XX_Count", both) == 1
    assert 0 < _sum(cw, "TargetResponseTime", both, "Maximum") < 5
    wait_until(lambda: _sum(cw, "HealthyHostCount", both, "Maximum") == 1, timeout=15, what="one healthy host")
    # published every minute; 0 once the target is healthy (it may have failed a check before it served)
    assert _sum(cw, "UnHealthyHostCount", both, "Minimum") == 0
    listed = cw.list_metrics(Namespace="AWS/ApplicationELB", Dimensions=[{"Name": "TargetGroup",
                                                                       "Value": both[1]["Value"]}])["Metrics"]
    assert {"RequestCount", "HTTPCode_Target_5XX_Count", "HealthyHostCount"} <= {m["MetricName"] for m in listed}
    data = cw.get_metric_data(MetricDataQueries=[{"Id": "errors", "MetricStat": {"Metric": {
        "Namespace": "AWS/ApplicationELB", "MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": both},
        "Period": 60, "Stat": "Sum"}}], StartTime=datetime.now(timezone.utc) - timedelta(minutes=10),
        EndTime=datetime.now(timezone.utc) + timedelta(minutes=1))["MetricDataResults"][0]
    assert sum(data["Values"]) == 3


def test_the_load_balancers_own_errors_are_counted_as_elb_codes(kit, aws):
    empty = kit.alb()
    for _ in range(2):
        assert kit.get(empty).status_code == 503
    cw, lb = aws("cloudwatch"), _dims(empty, target_group=False)
    wait_until(lambda: _sum(cw, "HTTPCode_ELB_503_Count", lb) == 2, timeout=15, what="two ELB 503s")
    assert _sum(cw, "HTTPCode_ELB_5XX_Count", lb) == 2
    assert _sum(cw, "HTTPCode_Target_5XX_Count", _dims(empty)) == 0


def test_an_alarm_on_target_5xx_fires_from_traffic_and_clears(kit, aws, serving):
    cw = aws("cloudwatch")
    name = f"tg-5xx-{serving.name}"
    cw.put_metric_alarm(AlarmName=name, Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
                        Dimensions=_dims(serving), Statistic="Sum", Period=60, EvaluationPeriods=1,
                        Threshold=3, ComparisonOperator="GreaterThanOrEqualToThreshold", TreatMissingData="notBreaching")
    state = lambda: cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"]  # noqa: E731
    wait_until(lambda: state() == "OK", timeout=15, what="the alarm to start OK")
    for _ in range(4):
        kit.get(serving, "/status/503")
    wait_until(lambda: state() == "ALARM", timeout=15, what="the alarm to fire from real 5XX answers")
    wait_until(lambda: state() == "OK", timeout=30, what="the alarm to clear when the errors stop")
    cw.delete_alarms(AlarmNames=[name])


@pytest.mark.parametrize("datum, message", [
    ({"MetricName": "HTTPCode_Target_5XX_Count", "Value": 100.0}, "The value AWS/ApplicationELB for parameter Namespace is invalid"),
])
def test_nobody_may_write_into_an_aws_namespace(aws, datum, message):
    with pytest.raises(ClientError) as err:
        aws("cloudwatch").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[datum])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert message in err.value.response["Error"]["Message"]


def test_storage_resolution_is_1_or_60(aws):
    cw = aws("cloudwatch")
    cw.put_metric_data(Namespace="Tests/Resolution", MetricData=[{"MetricName": "m", "Value": 1, "StorageResolution": 1}])
    with pytest.raises(ClientError) as err:
        cw.put_metric_data(Namespace="Tests/Resolution", MetricData=[{"MetricName": "m", "Value": 1,
                                                                      "StorageResolution": 5}])
    assert err.value.response["Error"]["Code"] == "InvalidParameterValue"
