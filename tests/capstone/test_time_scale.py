"""The one time scale: its check, its defaults, and the pace every wait derives from it."""
from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import asdict, fields

import pytest

from capstone import profile
from capstone.drivers.operator import Pace

OFFLINE = {"poll_cap": 0.2, "fast_poll": 0.02, "probe_rate": 25, "probe_max": 300, "find_execution": 30,
           "to_approval": 90, "deployment": 120, "settle": 60, "alarm_interval": 0.05, "baseline": 240, "serve": 60,
           "timeout_factor": 1, "iam_propagation": 10}
REAL_AWS = {"poll_cap": 10, "fast_poll": 2, "probe_rate": 20, "probe_max": 3600, "find_execution": 300,
            "to_approval": 1800, "deployment": 3600, "settle": 1800, "alarm_interval": 5, "baseline": 3600, "serve": 900,
            "timeout_factor": 30, "iam_propagation": 120}


# -- the check ------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [(0.02, 0.02), ("0.5", 0.5), (1, 1.0), ("1e-3", 0.001)])
def test_a_time_scale_above_zero_up_to_one_is_accepted(value, expected):
    assert profile.check_time_scale(value) == expected


@pytest.mark.parametrize("value", [0, -1, "1.5", 30, "nan", "inf", "fast", None])
def test_a_bad_time_scale_is_refused_naming_the_option_and_what_to_give(value):
    with pytest.raises(profile.TimeScaleError) as caught:
        profile.check_time_scale(value)
    message = str(caught.value)
    assert message.startswith("--time-scale ")
    assert "> 0 and <= 1" in message and f"offline default is {profile.TIME_SCALE}" in message
    assert "leave --time-scale out" in message


def test_the_argparse_type_reports_the_same_message():
    parser = argparse.ArgumentParser()
    parser.add_argument("--time-scale", type=profile.time_scale_arg)
    assert parser.parse_args(["--time-scale", "0.1"]).time_scale == 0.1
    with pytest.raises(argparse.ArgumentTypeError, match="out of range"):
        profile.time_scale_arg("2")


# -- the defaults ---------------------------------------------------------------------------------
def test_offline_defaults_to_the_profile_and_aws_to_real_time():
    assert profile.suite_time_scale(None, target="local") == profile.TIME_SCALE
    assert profile.suite_time_scale(None, target="aws") == 1.0
    assert profile.suite_time_scale(None, target="aws", endpoint_url="http://127.0.0.1:4566") == 1.0


def test_a_given_scale_describes_the_endpoint():
    assert profile.suite_time_scale(0.02, target="aws", endpoint_url="http://127.0.0.1:4566") == 0.02
    assert profile.suite_time_scale(0.5, target="local") == 0.5
    assert profile.suite_time_scale(1, target="aws") == 1.0


def test_real_aws_is_not_paced_faster_than_it_runs():
    with pytest.raises(profile.TimeScaleError, match="real AWS runs at 1"):
        profile.suite_time_scale(0.02, target="aws")


# -- the pace -------------------------------------------------------------------------------------
def test_pace_at_the_offline_scale_is_the_offline_pace():
    assert asdict(Pace.for_time_scale(profile.TIME_SCALE)) == {"time_scale": profile.TIME_SCALE, **OFFLINE}


def test_pace_at_scale_one_is_the_real_aws_pace():
    assert asdict(Pace.for_time_scale(1.0)) == {"time_scale": 1.0, **REAL_AWS}


def test_pace_between_moves_continuously_and_monotonically():
    scales = [profile.TIME_SCALE * (1 / profile.TIME_SCALE) ** (i / 40) for i in range(41)]
    paces = [Pace.for_time_scale(s) for s in scales]
    for f in fields(Pace):
        if f.name == "time_scale":
            continue
        values = [getattr(p, f.name) for p in paces]
        rising = REAL_AWS[f.name] >= OFFLINE[f.name]
        assert all((b >= a) if rising else (b <= a) for a, b in zip(values, values[1:])), f.name
        # no step bigger than the ratio of the two ends spread over the 40 steps (continuity)
        ratio = max(REAL_AWS[f.name], OFFLINE[f.name]) / min(REAL_AWS[f.name], OFFLINE[f.name])
        assert all(max(a, b) / min(a, b) <= ratio ** (1 / 40) * 1.000001 for a, b in zip(values, values[1:])), f.name


def test_pace_at_a_tenth_lies_between():
    pace = Pace.for_time_scale(0.1)
    assert pace.poll_cap == pytest.approx(1.0)  # 10 s x 0.1: proportional where the ends are
    assert 30 < pace.find_execution < 300 and 120 < pace.deployment < 3600
    assert 1 < pace.timeout_factor < 30


def test_below_the_offline_scale_polls_shrink_and_budgets_hold():
    pace = Pace.for_time_scale(profile.TIME_SCALE / 4)
    assert pace.poll_cap == pytest.approx(OFFLINE["poll_cap"] / 4)
    assert pace.fast_poll == 0.005  # the floor
    assert (pace.find_execution, pace.deployment, pace.timeout_factor) == (30, 120, 1)


def test_pace_refuses_a_bad_scale():
    with pytest.raises(profile.TimeScaleError):
        Pace.for_time_scale(0)


def test_the_drivers_read_the_time_scale_without_importing_localcloud():
    code = ("import sys, capstone.drivers.operator, capstone.profile; "
            "sys.exit(any(m == 'localcloud' or m.startswith('localcloud.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
