"""Scenarios of a reset (`POST /moto-api/reset`) that lands while work is in flight, each run in a
process of its own (`python -m tests.localcloud.reset_inflight <scenario>`, driven by
test_reset.py): a reset clears moto's process-wide state, which the shared test localcloud's
session fixtures live in. Exits non-zero with the failed assertion; prints what localcloud
logged at WARNING or above, which must be nothing."""
from __future__ import annotations

import json
import logging
import sys
import threading
import time

import requests

from localcloud import LocalCloud
from localcloud.settings import Settings


class Recorded(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record):
        self.records.append(f"{record.name}: {record.getMessage()}")


def _queue(sqs, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _subscribe(events, sqs, name: str) -> str:
    url, arn = _queue(sqs, name)
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["app.reset"]}))
    events.put_targets(Rule=name, Targets=[{"Id": "q", "Arn": arn}])
    return url


def _reset_in_background(cloud) -> tuple[threading.Thread, threading.Event]:
    done = threading.Event()

    def reset():
        requests.post(f"{cloud.url}/moto-api/reset", timeout=60).raise_for_status()
        done.set()

    thread = threading.Thread(target=reset)
    thread.start()
    return thread, done


def delivery(cloud) -> None:
    """A delivery is in SQS's door when the reset comes; a second event is queued behind it.
    The reset waits for the first (which lands in the state it then clears) and drops the
    second: the same queue and rule made again after the reset receive nothing."""
    events, sqs = cloud.client("events"), cloud.client("sqs")
    _subscribe(events, sqs, "reset-q")
    door = cloud.services.sqs
    original, entered, release = door.send_message, threading.Event(), threading.Event()

    def held(*args, **kwargs):
        entered.set()
        release.wait(10)
        return original(*args, **kwargs)

    door.send_message = held
    entry = {"Source": "app.reset", "DetailType": "T", "Detail": "{}"}
    assert events.put_events(Entries=[entry, entry])["FailedEntryCount"] == 0
    assert entered.wait(10), "the delivery never started"
    thread, done = _reset_in_background(cloud)
    time.sleep(0.5)
    assert not done.is_set(), "the reset went ahead while a delivery was in flight"
    release.set()
    thread.join(30)
    assert done.is_set(), "the reset did not finish once the delivery had"
    door.send_message = original

    url = _subscribe(events, sqs, "reset-q")  # the fresh state, named as before
    assert cloud.services.events.wait_idle(10)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    assert got == [], f"a delivery from before the reset landed after it: {got}"


def build(cloud) -> None:
    """A build is running when the reset comes: the reset stops it first, and nothing of it (its
    log group, its build record) shows in the fresh state."""
    iam, codebuild, logs = cloud.client("iam"), cloud.client("codebuild"), cloud.client("logs")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="reset-build", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    spec = "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 30\n      - echo finished\n"
    codebuild.create_project(name="reset-build", source={"type": "NO_SOURCE", "buildspec": spec},
                             artifacts={"type": "NO_ARTIFACTS"}, serviceRole=role,
                             environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                          "computeType": "BUILD_GENERAL1_SMALL"})
    build_id = codebuild.start_build(projectName="reset-build")["build"]["id"]
    deadline = time.monotonic() + 30
    while codebuild.batch_get_builds(ids=[build_id])["builds"][0].get("currentPhase") != "BUILD":
        assert time.monotonic() < deadline, "the build never reached its BUILD phase"
        time.sleep(0.05)
    time.sleep(0.3)  # inside `sleep 30`
    started = time.monotonic()
    requests.post(f"{cloud.url}/moto-api/reset", timeout=60).raise_for_status()
    took = time.monotonic() - started
    assert took < 15, f"the reset took {took:.1f} s to stop a build"
    time.sleep(0.5)  # anything still running would write now
    assert codebuild.list_builds()["ids"] == []
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/codebuild/reset-build")["logGroups"] == [], \
        "the stopped build wrote its log into the fresh state"
    assert codebuild.list_projects()["projects"] == []


SCENARIOS = {"delivery": delivery, "build": build}


def main(name: str) -> int:
    recorded = Recorded()
    logging.getLogger("localcloud").addHandler(recorded)
    with LocalCloud(port=0, settings=Settings(time_scale=0.05)) as cloud:
        SCENARIOS[name](cloud)
        time.sleep(0.2)
    assert recorded.records == [], f"localcloud logged: {recorded.records}"
    print(f"{name}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
