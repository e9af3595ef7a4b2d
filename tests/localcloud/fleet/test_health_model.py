"""Unit tests: the target health state machine, matcher syntax, routing choices."""
from __future__ import annotations

import time

from localcloud.fleet.dataplane import WeightedChoice, condition_matches
from localcloud.fleet.health import ProbeResult, RegisteredTarget, TargetGroupHealth, code_matches, parse_matcher

OK = ProbeResult(True)
FAIL = ProbeResult.failed("Target.FailedHealthChecks")


def test_one_success_makes_an_initial_target_healthy():
    target = RegisteredTarget("i-1", 80)
    assert target.report() == ("initial", "Elb.RegistrationInProgress", "Target registration is in progress")
    target.record(OK, healthy_threshold=5, unhealthy_threshold=2)
    assert target.report() == ("healthy", None, None)


def test_initial_failures_show_initial_checking_then_unhealthy():
    target = RegisteredTarget("i-1", 80)
    target.record(FAIL, 5, 3)
    assert target.report()[:2] == ("initial", "Elb.InitialHealthChecking")
    target.record(FAIL, 5, 3)
    target.record(FAIL, 5, 3)
    assert target.report() == ("unhealthy", "Target.FailedHealthChecks", "Health checks failed")


def test_thresholds_need_consecutive_results():
    target = RegisteredTarget("i-1", 80)
    target.record(OK, 3, 2)
    target.record(FAIL, 3, 2)
    assert target.state == "healthy"  # one failure is below the unhealthy threshold
    target.record(OK, 3, 2)
    target.record(FAIL, 3, 2)
    assert target.state == "healthy"  # a success in between resets the count
    target.record(FAIL, 3, 2)
    assert target.state == "unhealthy"
    target.record(OK, 3, 2)
    target.record(OK, 3, 2)
    assert target.state == "unhealthy"
    target.record(OK, 3, 2)
    assert target.state == "healthy"


def test_matcher_syntax():
    ranges = parse_matcher("200-299, 302")
    assert [code_matches(c, ranges) for c in (200, 250, 299, 300, 302, 404)] == [True, True, True, False, True, False]
    assert parse_matcher(None) == [(200, 200)]


def _group(states: list[str]) -> TargetGroupHealth:
    group = TargetGroupHealth("arn:tg", in_use=True)
    group.register([{"Id": f"i-{n}", "Port": 80} for n in range(len(states))])
    for target, state in zip(group.targets.values(), states):
        target.state = state
    return group


def test_pick_round_robins_healthy_targets_only():
    group = _group(["healthy", "unhealthy", "healthy"])
    picks = [group.pick().id for _ in range(4)]
    assert set(picks) == {"i-0", "i-2"} and picks[0] != picks[1]


def test_fail_open_only_when_every_registered_target_is_unhealthy():
    all_unhealthy = _group(["unhealthy", "unhealthy"])
    assert {all_unhealthy.pick().id for _ in range(2)} == {"i-0", "i-1"}
    assert _group(["unhealthy", "initial"]).pick() is None
    assert _group([]).pick() is None


def test_draining_keeps_in_flight_and_takes_no_new_requests():
    group = _group(["healthy"])
    target = group.pick()
    assert target.in_flight == 1
    group.deregister([{"Id": target.id}], delay_seconds=0.05)
    assert group.lookup(target.id).report()[:2] == ("draining", "Target.DeregistrationInProgress")
    assert group.pick() is None
    group.release(target)
    assert target.in_flight == 0
    time.sleep(0.06)
    group.expire_draining(time.monotonic())
    assert group.lookup(target.id) is None


def test_unused_group_targets_come_back_initial():
    group = TargetGroupHealth("arn:tg")
    group.register([{"Id": "i-1", "Port": 80}])
    assert group.lookup("i-1").report()[:2] == ("unused", "Target.NotInUse")
    group.set_in_use(True)
    assert group.lookup("i-1").report()[:2] == ("initial", "Elb.RegistrationInProgress")


def test_weighted_choice_is_exact_and_interleaved():
    choice = WeightedChoice()
    picks = [choice.pick("rule", [("blue", 1), ("green", 3)]) for _ in range(8)]
    assert picks.count("green") == 6 and picks.count("blue") == 2
    assert "blue" in picks[:4] and "blue" in picks[4:]
    assert choice.pick("rule", [("blue", 0)]) is None


def test_rule_conditions():
    request = {"method": "GET", "path": "/api/v1/items", "host": "shop.example.com", "query": [("debug", "1")],
               "headers": {"user-agent": "curl/8"}, "client": "127.0.0.1"}
    assert condition_matches({"Field": "path-pattern", "Values": ["/api/*"]}, request)
    assert not condition_matches({"Field": "path-pattern", "PathPatternConfig": {"Values": ["/API/*"]}}, request)
    assert condition_matches({"Field": "host-header", "HostHeaderConfig": {"Values": ["*.EXAMPLE.com"]}}, request)
    assert condition_matches({"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["GET"]}}, request)
    assert condition_matches({"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": ["curl*"]}}, request)
    assert condition_matches({"Field": "query-string", "QueryStringConfig": {"Values": [{"Key": "debug", "Value": "1"}]}}, request)
    assert condition_matches({"Field": "source-ip", "SourceIpConfig": {"Values": ["127.0.0.0/8"]}}, request)
    assert not condition_matches({"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}, request)
