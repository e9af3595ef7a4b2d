"""DeploymentWindow's Quartz cron: what it matches, what it refuses."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from localcloud.codepipeline.cron import Cron, CronError, window_open

WEEKDAYS_9_TO_5 = "0 0 9-17 ? * MON-FRI *"


@pytest.mark.parametrize("moment,expected", [
    (datetime(2026, 12, 7, 9, 0), True),      # Monday 9:00
    (datetime(2026, 12, 7, 17, 59), True),    # the whole of the 17 o'clock hour
    (datetime(2026, 12, 7, 18, 0), False),
    (datetime(2026, 12, 6, 12, 0), False),    # Sunday
])
def test_aws_example_is_weekdays_nine_to_five(moment, expected):
    assert Cron(WEEKDAYS_9_TO_5).matches(moment) is expected


def test_lists_steps_names_and_years():
    cron = Cron("0 0/15 8,20 ? JAN-MAR SAT 2027")
    assert cron.matches(datetime(2027, 2, 6, 20, 45))
    assert not cron.matches(datetime(2027, 2, 6, 20, 50))
    assert not cron.matches(datetime(2026, 2, 7, 20, 45))


def test_time_zones():
    monday_17_utc = datetime(2026, 12, 7, 17, 30, tzinfo=timezone.utc)   # 9:30 in PST, 18:30 in Paris
    assert window_open(WEEKDAYS_9_TO_5, "PST", monday_17_utc)
    assert window_open(WEEKDAYS_9_TO_5, "UTC-08:00", monday_17_utc)
    assert not window_open(WEEKDAYS_9_TO_5, "Europe/Paris", monday_17_utc)
    with pytest.raises(CronError):
        window_open(WEEKDAYS_9_TO_5, "Mars/Olympus", monday_17_utc)


@pytest.mark.parametrize("expression", ["0 0 9 * * MON", "0 0 9 ? * ?", "0 0 24 ? * *", "0 0 9 L * ?",
                                        "0 0 9 ? * MON#2", "0 0 9 ? *", "0 0 17-9 ? * *", "0 0 9 ? * XYZ"])
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(CronError):
        Cron(expression)
