"""Read what CodeBuild did for a pipeline run: the tail of its log and its test reports — the
evidence behind "the gate ran the app's tests" and "the failing test is in the report".

CodeBuild itself masks Parameter Store and Secrets Manager values in the log; the evidence
layer scrubs registered secrets again before anything is written.
"""
from __future__ import annotations

import re

from capstone import evidence
from capstone.drivers.packages import PACKAGE

LOG_TAIL_LINES = 40
LOG_HEAD_LINES = 200   # the install phase's lines are near the head of the log
#: pip's last line of a successful install: "Successfully installed demo-greeting-1.0.0 ..."
_INSTALLED = re.compile(rf"Successfully installed .*?\b({re.escape(PACKAGE)})-(\S+)")


class BuildReader:
    def __init__(self, codebuild, logs):
        self.codebuild = codebuild
        self.logs = logs

    def build(self, build_id: str) -> dict:
        builds = self.codebuild.batch_get_builds(ids=[build_id]).get("builds") or []
        if not builds:
            raise AssertionError(f"CodeBuild does not know build {build_id}")
        return builds[0]

    def log_tail(self, build: dict, lines: int = LOG_TAIL_LINES) -> str:
        where = build.get("logs") or {}
        group, stream = where.get("groupName"), where.get("streamName")
        if not group or not stream:
            return "(the build has no CloudWatch Logs stream)"
        events = self.logs.get_log_events(logGroupName=group, logStreamName=stream, limit=lines,
                                          startFromHead=False).get("events", [])
        return "".join(e["message"] if e["message"].endswith("\n") else e["message"] + "\n" for e in events)

    def _events(self, build: dict, lines: int, from_head: bool) -> list[dict] | None:
        where = build.get("logs") or {}
        group, stream = where.get("groupName"), where.get("streamName")
        if not group or not stream:
            return None
        return self.logs.get_log_events(logGroupName=group, logStreamName=stream, limit=lines,
                                        startFromHead=from_head).get("events", [])

    def internal_packages_installed(self, build: dict) -> list[str]:
        """The internal package versions the build's pip installed ("demo-greeting==1.0.0")."""
        found = []
        for event in self._events(build, LOG_HEAD_LINES, True) or []:
            for name, version in _INSTALLED.findall(event["message"]):
                found.append(f"{name}=={version}")
        return found

    def test_reports(self, build: dict) -> list[dict]:
        arns = build.get("reportArns") or []
        if not arns:
            return []
        summaries = []
        for report in self.codebuild.batch_get_reports(reportArns=arns).get("reports", []):
            failed = self.codebuild.describe_test_cases(
                reportArn=report["arn"], filter={"status": "FAILED"}).get("testCases", [])
            summaries.append({"reportArn": report["arn"], "status": report.get("status"),
                              "testSummary": report.get("testSummary"),
                              "failedTestCases": [f"{c.get('prefix', '')}{c.get('name')}" for c in failed]})
        return summaries

    def attach_evidence(self, build_id: str) -> dict:
        """Attach the log excerpt and the test-report summary of `build_id`; return the summary."""
        build = self.build(build_id)
        reports = self.test_reports(build)
        evidence.attach(f"build {build_id} log (last {LOG_TAIL_LINES} lines)", self.log_tail(build))
        evidence.attach(f"build {build_id} test reports", reports)
        evidence.record("build_status", build.get("buildStatus"))
        for installed in self.internal_packages_installed(build):  # the audit lists what each build consumed
            evidence.append("internal_packages_consumed", installed)
        counts = [r["testSummary"].get("statusCounts") for r in reports if r.get("testSummary")]
        if counts:
            evidence.record("test_counts", counts[0] if len(counts) == 1 else counts)
        return {"buildStatus": build.get("buildStatus"), "reports": reports}
