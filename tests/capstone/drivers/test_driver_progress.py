"""Progress a long wait shows as it happens: deployment lifecycle events in the order they
happened, and the build's log excerpt and test reports once the build ends."""
from __future__ import annotations

from datetime import datetime, timezone

from capstone.drivers.builds import BuildReader
from capstone.drivers.deployments import DeploymentReader


def _t(seconds: float) -> datetime:
    return datetime.fromtimestamp(1_700_000_000 + seconds, tz=timezone.utc)


class FakeCodeDeploy:
    def __init__(self):
        self.targets = {}

    def list_deployment_targets(self, deploymentId):
        return {"targetIds": list(self.targets)}

    def batch_get_deployment_targets(self, deploymentId, targetIds):
        return {"deploymentTargets": [{"instanceTarget": self.targets[i]} for i in targetIds]}

    def get_deployment(self, deploymentId):
        return {"deploymentInfo": {"status": "InProgress"}}


def _event(name, status, start=None, end=None, code=None):
    event = {"lifecycleEventName": name, "status": status, "startTime": start, "endTime": end}
    if code:
        event["diagnostics"] = {"errorCode": code}
    return event


def test_lifecycle_events_are_reported_once_each_in_the_order_they_happened():
    cd, lines = FakeCodeDeploy(), []
    cd.targets = {
        "i-blue": {"targetId": "i-blue", "instanceLabel": "Blue", "lifecycleEvents": [
            _event("BlockTraffic", "Succeeded", _t(5), _t(6), "Success")]},
        "i-green": {"targetId": "i-green", "instanceLabel": "Green", "lifecycleEvents": [
            _event("ValidateService", "Succeeded", _t(1), _t(2), "Success"),
            _event("AllowTraffic", "Succeeded", _t(3), _t(4)),
            _event("AfterAllowTraffic", "Pending")]},
    }
    reader = DeploymentReader(cd, "app", "dg", log=lines.append)
    reader.report_lifecycle("d-1")
    assert [line.split("] ", 1)[1] for line in lines] == [
        "Green i-green ValidateService: - -> Succeeded",
        "Green i-green AllowTraffic: - -> Succeeded",
        "Blue i-blue BlockTraffic: - -> Succeeded",
    ]
    cd.targets["i-green"]["lifecycleEvents"][2] = _event("AfterAllowTraffic", "Failed", _t(7), _t(8), "ScriptFailed")
    reader.report_lifecycle("d-1")
    assert lines[-1].endswith("Green i-green AfterAllowTraffic: - -> Failed (ScriptFailed)") and len(lines) == 4


class FakeCodeBuild:
    def batch_get_builds(self, ids):
        return {"builds": [{"id": ids[0], "buildStatus": "FAILED", "reportArns": ["arn:report/1"],
                            "logs": {"groupName": "/aws/codebuild/p", "streamName": "s"}}]}

    def batch_get_reports(self, reportArns):
        return {"reports": [{"arn": "arn:report/1", "status": "FAILED",
                             "testSummary": {"total": 3, "statusCounts": {"SUCCEEDED": 2, "FAILED": 1}}}]}

    def describe_test_cases(self, reportArn, filter):
        assert filter == {"status": "FAILED"}
        return {"testCases": [{"prefix": "tests.test_app.", "name": "test_broken", "status": "FAILED"}]}


class FakeLogs:
    def get_log_events(self, logGroupName, logStreamName, limit, startFromHead):
        assert (logGroupName, logStreamName) == ("/aws/codebuild/p", "s")
        if startFromHead:  # the head, where the install phase is
            return {"events": [{"message": "[Container] Running command python3 -m pip install --target vendor\n"},
                               {"message": "Successfully installed demo-greeting-1.2.0\n"}]}
        return {"events": [{"message": "[Container] Running command pytest\n"}, {"message": "1 failed"}]}


def test_a_finished_build_yields_its_log_tail_and_failed_test_cases():
    result = BuildReader(FakeCodeBuild(), FakeLogs()).attach_evidence("p:1")
    assert result["buildStatus"] == "FAILED"
    assert result["reports"][0]["failedTestCases"] == ["tests.test_app.test_broken"]
    assert result["reports"][0]["testSummary"]["statusCounts"] == {"SUCCEEDED": 2, "FAILED": 1}
    log = BuildReader(FakeCodeBuild(), FakeLogs()).log_tail(FakeCodeBuild().batch_get_builds(["p:1"])["builds"][0])
    assert log == "[Container] Running command pytest\n1 failed\n"


def test_a_finished_build_yields_the_internal_packages_its_pip_installed():
    build = FakeCodeBuild().batch_get_builds(["p:1"])["builds"][0]
    assert BuildReader(FakeCodeBuild(), FakeLogs()).internal_packages_installed(build) == ["demo-greeting==1.2.0"]
