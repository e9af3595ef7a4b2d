"""Unit tests: alarm state from datapoints, against the CloudWatch user guide's missing-data tables."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from localcloud.cloudwatch.evaluation import Datapoint, datapoints, decide, percentile

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
THRESHOLD = 10.0


def _points(pattern: str) -> list[Datapoint]:
    """'0 - X' oldest first: 0 not breaching, X breaching, - missing (the guide's notation)."""
    values = {"0": 1.0, "X": 99.0, "-": None}
    return [Datapoint(NOW - timedelta(minutes=5 - i), values[c], 0 if c == "-" else 1)
            for i, c in enumerate(pattern.split())]


def _state(pattern: str, m: int, n: int, treat: str, current: str = "OK") -> str | None:
    decision = decide(_points(pattern), n, m, THRESHOLD, "GreaterThanThreshold", treat, "Average", 60, NOW, current)
    return decision.state


# First table of "How alarm state is evaluated when data is missing": 3 out of 3.
@pytest.mark.parametrize("pattern, missing, ignore, breaching, not_breaching", [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", None, "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - - - X", "INSUFFICIENT_DATA", None, "ALARM", "OK"),
])
def test_three_out_of_three(pattern, missing, ignore, breaching, not_breaching):
    got = [_state(pattern, 3, 3, t) for t in ("missing", "ignore", "breaching", "notBreaching")]
    assert got == [missing, ignore, breaching, not_breaching]


# Second table: 2 out of 3.
@pytest.mark.parametrize("pattern, missing, ignore, breaching, not_breaching", [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - - X", "INSUFFICIENT_DATA", None, "ALARM", "OK"),
])
def test_two_out_of_three(pattern, missing, ignore, breaching, not_breaching):
    got = [_state(pattern, 2, 3, t) for t in ("missing", "ignore", "breaching", "notBreaching")]
    assert got == [missing, ignore, breaching, not_breaching]


def test_reason_names_the_breaching_datapoints():
    decision = decide(_points("- - 0 X X"), 2, 2, THRESHOLD, "GreaterThanThreshold", None, "Sum", 60, NOW, "OK")
    assert decision.state == "ALARM"
    assert decision.reason.startswith("Threshold Crossed: 2 out of the last 2 datapoints [99.0 (")
    assert "were greater than the threshold (10.0) (minimum 2 datapoints for OK -> ALARM transition)." in decision.reason


def test_datapoints_apply_the_statistic_per_period():
    def sample(seconds_ago, value=None, stats=None):
        stamp = NOW - timedelta(seconds=seconds_ago)
        if stats:
            return SimpleNamespace(timestamp=stamp, sample_count=stats[0], sum=stats[1], min=stats[2], max=stats[3])
        return SimpleNamespace(timestamp=stamp.replace(tzinfo=None), value=value)  # moto stores naive UTC

    datums = [sample(50, 1), sample(40, 3), sample(10, stats=(2, 10, 4, 6)), sample(200, 100)]
    sums = datapoints(datums, NOW, 60, 3, "Sum")
    assert [p.value for p in sums] == [None, None, 14.0]
    assert datapoints(datums, NOW, 60, 3, "Maximum")[-1].value == 6
    assert datapoints(datums, NOW, 60, 3, "SampleCount")[-1].value == 4
    assert datapoints(datums, NOW, 60, 3, "Average")[-1].value == 3.5
    assert datapoints(datums, NOW, 60, 5, "Sum")[1].value == 100  # 200 s ago: an older period


def test_percentile_is_nearest_rank():
    assert percentile(list(range(1, 101)), 99) == 99
    assert percentile([5.0], 50) == 5.0
