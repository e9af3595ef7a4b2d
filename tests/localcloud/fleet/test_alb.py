"""The ALB data plane and its health checks, driven through boto3 and plain HTTP."""
from __future__ import annotations

import threading
import time

import pytest
from botocore.exceptions import ClientError

from tests.localcloud.fleet.conftest import wait_until

pytestmark = pytest.mark.integration


def test_targets_start_initial_then_turn_healthy_and_share_traffic(kit):
    alb = kit.alb()
    ids = kit.instances(2)
    kit.register(alb.target_group_arn, ids)
    states = kit.health(alb.target_group_arn)
    assert {s for s, _ in states.values()} == {"initial"}
    assert {r for _, r in states.values()} <= {"Elb.RegistrationInProgress", "Elb.InitialHealthChecking"}

    for i in ids:
        kit.serve(i)
    for i in ids:
        kit.wait_state(alb.target_group_arn, i, "healthy")
    assert sorted(set(kit.served_by(alb))) == sorted(ids)  # round robin reaches both


def test_no_healthy_target_answers_503_like_alb(kit):
    empty = kit.alb()
    response = kit.get(empty)
    assert response.status_code == 503
    assert "503 Service Temporarily Unavailable" in response.text
    assert "awselb/2.0" in response.headers["Server"]

    # registered but nothing listening: initial, then unhealthy -- never routed to while initial
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    assert kit.get(alb).status_code == 503


def test_traffic_goes_only_to_healthy_targets(kit):
    alb = kit.alb()
    serving, silent = kit.instances(2)
    kit.register(alb.target_group_arn, [serving, silent])
    kit.serve(serving)
    kit.wait_state(alb.target_group_arn, serving, "healthy")
    kit.wait_state(alb.target_group_arn, silent, "unhealthy", "Target.FailedHealthChecks")
    assert set(kit.served_by(alb, 10)) == {serving}


def test_failing_target_becomes_unhealthy_and_stops_receiving_traffic(kit):
    alb = kit.alb()
    good, bad = kit.instances(2)
    kit.register(alb.target_group_arn, [good, bad])
    for i in (good, bad):
        kit.serve(i)
        kit.wait_state(alb.target_group_arn, i, "healthy")
    (kit.root(bad) / "unhealthy").write_text("1")
    kit.wait_state(alb.target_group_arn, bad, "unhealthy", "Target.ResponseCodeMismatch")
    described = kit.elb.describe_target_health(TargetGroupArn=alb.target_group_arn, Targets=[{"Id": bad}])
    assert described["TargetHealthDescriptions"][0]["TargetHealth"]["Description"] == "Health checks failed with these codes: [500]"
    assert set(kit.served_by(alb, 10)) == {good}

    # healthy again only after HealthyThresholdCount (2) consecutive successes
    (kit.root(bad) / "unhealthy").unlink()
    kit.wait_state(alb.target_group_arn, bad, "healthy")
    wait_until(lambda: bad in kit.served_by(alb, 6), what="recovered target receiving traffic")


def test_matcher_ranges_and_timeout_reason(kit):
    tg = kit.target_group(Matcher={"HttpCode": "200-299,500"})
    alb = kit.alb(tg)
    flaky, hanging = kit.instances(2)
    kit.register(tg, [flaky, hanging])
    (kit.root(flaky) / "unhealthy").write_text("1")  # answers 500, which this matcher accepts
    (kit.root(hanging) / "hang").write_text("1")
    kit.serve(flaky)
    kit.serve(hanging)
    kit.wait_state(tg, flaky, "healthy")
    kit.wait_state(tg, hanging, "unhealthy", "Target.Timeout", timeout=15)


def test_all_unhealthy_fails_open(kit):
    alb = kit.alb()
    ids = kit.instances(2)
    kit.register(alb.target_group_arn, ids)
    for i in ids:
        (kit.root(i) / "unhealthy").write_text("1")
        kit.serve(i)
    for i in ids:
        kit.wait_state(alb.target_group_arn, i, "unhealthy", "Target.ResponseCodeMismatch")
    # ALB: "If a target group contains only unhealthy registered targets, the load balancer
    # routes requests to all those targets, regardless of their health status."
    assert sorted(set(kit.served_by(alb, 8))) == sorted(ids)


def test_deregistration_drains_in_flight_request_then_target_disappears(kit):
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")

    slow = {}
    thread = threading.Thread(target=lambda: slow.setdefault("r", kit.get(alb, "/slow?seconds=1")))
    thread.start()
    time.sleep(0.3)  # the slow request is in flight
    kit.elb.deregister_targets(TargetGroupArn=alb.target_group_arn, Targets=[{"Id": instance}])
    assert kit.health(alb.target_group_arn)[instance] == ("draining", "Target.DeregistrationInProgress")
    assert kit.get(alb).status_code == 503  # no new requests to a draining target
    thread.join(10)
    assert slow["r"].status_code == 200 and slow["r"].json()["instance"] == instance
    wait_until(lambda: instance not in kit.health(alb.target_group_arn), what="draining target gone")
    explicit = kit.elb.describe_target_health(TargetGroupArn=alb.target_group_arn, Targets=[{"Id": instance}])
    assert explicit["TargetHealthDescriptions"][0]["TargetHealth"]["Reason"] == "Target.NotRegistered"


def test_target_group_without_listener_has_unused_targets(kit):
    alb = kit.alb(listener=False)
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    assert kit.health(alb.target_group_arn)[instance] == ("unused", "Target.NotInUse")
    kit.elb.create_listener(LoadBalancerArn=alb.arn, Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": alb.target_group_arn}])
    kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")


def test_weighted_forward_splits_traffic_by_weight(kit):
    blue_tg, green_tg = kit.target_group(), kit.target_group()
    blue, green = kit.instances(2)
    kit.register(blue_tg, [blue])
    kit.register(green_tg, [green])
    forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue_tg, "Weight": 3}, {"TargetGroupArn": green_tg, "Weight": 1}]}}
    alb = kit.alb(blue_tg, default_actions=[forward])
    for i, tg in ((blue, blue_tg), (green, green_tg)):
        kit.serve(i)
        kit.wait_state(tg, i, "healthy")
    served = kit.served_by(alb, 12)
    assert served.count(blue) == 9 and served.count(green) == 3


def test_request_is_forwarded_faithfully(kit):
    alb = kit.alb()
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")
    response = kit.get(alb, "/orders/7?sort=desc", method="POST", data=b'{"qty": 2}',
                       headers={"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
    echoed = response.json()
    assert (echoed["method"], echoed["path"], echoed["query"], echoed["body"]) == ("POST", "/orders/7", "sort=desc", '{"qty": 2}')
    headers = echoed["headers"]
    assert headers["host"] == alb.dns_name
    assert headers["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("http", "80")
    assert headers["x-amzn-trace-id"].startswith("Root=1-")


def test_listener_rules_fixed_response_and_redirect(kit):
    alb = kit.alb()
    kit.elb.create_rule(ListenerArn=alb.listener_arn, Priority=10,
                        Conditions=[{"Field": "path-pattern", "Values": ["/maintenance*"]}],
                        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                            "StatusCode": "418", "ContentType": "text/plain", "MessageBody": "teapot"}}])
    kit.elb.create_rule(ListenerArn=alb.listener_arn, Priority=20,
                        Conditions=[{"Field": "path-pattern", "Values": ["/old/*"]}],
                        Actions=[{"Type": "redirect", "RedirectConfig": {"Path": "/new", "StatusCode": "HTTP_301"}}])
    fixed = kit.get(alb, "/maintenance/now")
    assert (fixed.status_code, fixed.text) == (418, "teapot")
    moved = kit.get(alb, "/old/page?x=1", allow_redirects=False)
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"http://{alb.dns_name}/new?x=1"
    assert kit.get(alb, "/elsewhere").status_code == 503  # default action: empty target group


def test_slow_target_beyond_idle_timeout_gets_504(kit):
    alb = kit.alb()
    kit.elb.modify_load_balancer_attributes(LoadBalancerArn=alb.arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "1"}])
    [instance] = kit.instances(1)
    kit.register(alb.target_group_arn, [instance])
    kit.serve(instance)
    kit.wait_state(alb.target_group_arn, instance, "healthy")
    timed_out = kit.get(alb, "/slow?seconds=3")
    assert timed_out.status_code == 504 and "504 Gateway Time-out" in timed_out.text


def test_only_live_load_balancers_are_served_by_host(kit):
    unknown = kit.http.get(kit.cloud.url + "/", headers={"Host": "nothing-here.us-east-1.elb.amazonaws.com"})
    assert "awselb" not in unknown.headers.get("Server", "")
    alb = kit.alb()
    assert "awselb" in kit.get(alb).headers["Server"]
    kit.elb.delete_load_balancer(LoadBalancerArn=alb.arn)
    assert "awselb" not in kit.get(alb).headers.get("Server", "")


def test_register_refuses_unknown_instance(kit):
    tg = kit.target_group()
    with pytest.raises(ClientError) as err:
        kit.register(tg, ["i-0123456789abcdef0"])
    assert err.value.response["Error"]["Code"] == "InvalidTarget"


def test_target_that_refuses_connections_gets_502(kit):
    # a long interval, so the request arrives before health checks notice the dead process
    tg = kit.target_group(HealthCheckIntervalSeconds=300)
    alb = kit.alb(tg)
    [instance] = kit.instances(1)
    kit.register(tg, [instance])
    proc = kit.serve(instance)
    kit.wait_state(tg, instance, "healthy")
    proc.kill()
    proc.wait(5)
    response = kit.get(alb)
    assert response.status_code == 502 and "502 Bad Gateway" in response.text
