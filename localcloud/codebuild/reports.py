"""Test and coverage report files parsed into CodeBuild test cases / coverage summaries, and
published as a build's reports (ReportPublisher).

Test case statuses are CodeBuild's: SUCCEEDED, FAILED, ERROR, SKIPPED, UNKNOWN. A report is
SUCCEEDED when no case FAILED or ERRORed, FAILED otherwise; it never decides the build.
"""
from __future__ import annotations

import json
import logging
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from localcloud.codebuild.artifacts import select
from localcloud.codebuild.buildspec import report_type
from localcloud.codebuild.models import Build, CodeBuildBackend, Report, TestCase, report_group_arn

log = logging.getLogger("localcloud.codebuild")

MAX_CASES = 500  # "At most 500 test-case results per report"; FAILED ones get priority


class ReportFormatError(Exception):
    pass


@dataclass
class ParsedCase:
    prefix: str
    name: str
    status: str
    duration_ns: int
    message: str | None
    suite: str | None


def _seconds(value) -> int:
    try:
        return int(float(value or 0) * 1_000_000_000)
    except ValueError:
        return 0


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as err:
        raise ReportFormatError(f"invalid XML: {err}") from None


def _junit(data: bytes) -> list[ParsedCase]:
    root = _xml(data)
    cases = []
    suites = [root] if _local(root.tag) == "testsuite" else list(root.iter("testsuite"))
    for suite in suites:
        suite_name = suite.get("name")
        for case in suite.findall("testcase"):
            status, message = "SUCCEEDED", None
            for child in case:
                kind = _local(child.tag)
                if kind in ("failure", "error", "skipped"):
                    status = {"failure": "FAILED", "error": "ERROR", "skipped": "SKIPPED"}[kind]
                    text = (child.text or "").strip()
                    message = "\n".join(p for p in (child.get("message"), text) if p) or None
                    break
            cases.append(ParsedCase(case.get("classname") or "", case.get("name") or "", status,
                                    _seconds(case.get("time")), message, suite_name))
    return cases


def _testng(data: bytes) -> list[ParsedCase]:
    cases = []
    for cls in _xml(data).iter("class"):
        for method in cls.findall("test-method"):
            if method.get("is-config") == "true":
                continue
            status = {"PASS": "SUCCEEDED", "FAIL": "FAILED", "SKIP": "SKIPPED"}.get(method.get("status", ""), "UNKNOWN")
            msg = method.find("exception/message")
            cases.append(ParsedCase(cls.get("name") or "", method.get("name") or "", status,
                                    int(method.get("duration-ms") or 0) * 1_000_000,
                                    (msg.text or "").strip() if msg is not None else None, None))
    return cases


def _nunit(data: bytes) -> list[ParsedCase]:
    cases = []
    for case in _xml(data).iter("test-case"):
        result = (case.get("result") or "").lower()
        status = {"passed": "SUCCEEDED", "success": "SUCCEEDED", "failed": "FAILED", "failure": "FAILED",
                  "error": "ERROR", "skipped": "SKIPPED", "ignored": "SKIPPED", "inconclusive": "UNKNOWN"}.get(result, "UNKNOWN")
        msg = case.find("failure/message")
        full = case.get("fullname") or case.get("name") or ""
        prefix, _, name = full.rpartition(".")
        cases.append(ParsedCase(prefix, name or full, status, _seconds(case.get("duration") or case.get("time")),
                                (msg.text or "").strip() if msg is not None else None, None))
    return cases


def _trx(data: bytes) -> list[ParsedCase]:
    cases = []
    for result in _xml(data).iter():
        if _local(result.tag) != "UnitTestResult":
            continue
        outcome = result.get("outcome", "")
        status = {"Passed": "SUCCEEDED", "Failed": "FAILED", "Error": "ERROR", "NotExecuted": "SKIPPED"}.get(outcome, "UNKNOWN")
        hours, minutes, seconds = (result.get("duration") or "0:0:0").split(":")
        duration = (int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1e9
        cases.append(ParsedCase("", result.get("testName") or "", status, int(duration), None, None))
    return cases


def _cucumber(data: bytes) -> list[ParsedCase]:
    try:
        features = json.loads(data)
    except ValueError as err:
        raise ReportFormatError(f"invalid JSON: {err}") from None
    cases = []
    for feature in features if isinstance(features, list) else []:
        for scenario in feature.get("elements") or []:
            steps = scenario.get("steps") or []
            results = [s.get("result") or {} for s in steps]
            states = {r.get("status") for r in results}
            status = ("FAILED" if "failed" in states else "SKIPPED" if states & {"skipped", "pending", "undefined"}
                      else "SUCCEEDED")
            message = next((r.get("error_message") for r in results if r.get("error_message")), None)
            cases.append(ParsedCase(feature.get("name") or "", scenario.get("name") or "", status,
                                    sum(int(r.get("duration") or 0) for r in results), message, feature.get("name")))
    return cases


TEST_PARSERS = {"JUNITXML": _junit, "TESTNGXML": _testng, "NUNITXML": _nunit, "NUNIT3XML": _nunit,
                "VISUALSTUDIOTRX": _trx, "CUCUMBERJSON": _cucumber}


def parse_tests(file_format: str, data: bytes) -> list[ParsedCase]:
    return TEST_PARSERS[file_format](data)


def parse_coverage(file_format: str, data: bytes) -> dict:
    """A CodeCoverageReportSummary from a Cobertura file (the others are not parsed offline)."""
    if file_format != "COBERTURAXML":
        raise ReportFormatError(f"localcloud does not parse {file_format} coverage files (COBERTURAXML only)")
    root = _xml(data)
    covered, valid = int(root.get("lines-covered") or 0), int(root.get("lines-valid") or 0)
    b_covered, b_valid = int(root.get("branches-covered") or 0), int(root.get("branches-valid") or 0)
    return {
        "lineCoveragePercentage": round(100.0 * covered / valid, 2) if valid else 0.0,
        "linesCovered": covered, "linesMissed": valid - covered,
        "branchCoveragePercentage": round(100.0 * b_covered / b_valid, 2) if b_valid else 0.0,
        "branchesCovered": b_covered, "branchesMissed": b_valid - b_covered,
    }


def keep_cases(cases: list[ParsedCase]) -> tuple[list[ParsedCase], bool]:
    """At most MAX_CASES, failures first; True when some were dropped."""
    if len(cases) <= MAX_CASES:
        return cases, False
    ranked = sorted(cases, key=lambda c: c.status not in ("FAILED", "ERROR"))
    return ranked[:MAX_CASES], True


class ReportPublisher:
    """The buildspec's `reports` for one build, in UPLOAD_ARTIFACTS: each becomes a Report in its
    report group (`<project>-<key>`, created on first use, or an existing group named by ARN) with
    its test cases or coverage summary. A report never decides the build."""

    def __init__(self, backend: CodeBuildBackend, build: Build, src: Path, masker, log):
        self.backend = backend
        self.build = build
        self.src = src
        self.masker = masker    # test case messages are masked like the build log
        self._agent = log

    def publish(self, reports: dict) -> None:
        build = self.build
        for key, selection in reports.items():
            try:
                self._report(key, selection)
            except Exception:  # a report never decides the build
                log.exception("report %s of build %s failed", key, build.id)
                self._agent(f"Error in UPLOAD_ARTIFACTS phase: could not process report {key}")

    def _report(self, key: str, selection) -> None:
        build = self.build
        kind = report_type(selection.file_format)
        store = self.backend.region(build.region)
        if key.startswith("arn:aws:codebuild:"):
            group_arn = key
            with self.backend.lock:
                group = store.report_groups.get(group_arn)
            if group is None:
                self._agent(f"Report group {key} does not exist; report skipped")
                return
        else:
            name = f"{build.project_name}-{key}"
            group_arn = report_group_arn(build.region, build.account, name)
            group = self.backend.ensure_report_group(build.region, name, group_arn, kind)
        if group.type != kind:
            self._agent(f"Report group {group.name} is of type {group.type}, not {kind}; report skipped")
            return
        self._agent(f"Preparing to copy {kind} report {key}")
        files = select(self.src, selection, self._agent)
        report = Report(arn=f"arn:aws:codebuild:{build.region}:{build.account}:report/{group.name}:{uuid.uuid4()}",
                        type=kind, name=key, report_group_arn=group_arn, execution_id=build.arn,
                        export_config=dict(group.export_config))
        with self.backend.lock:
            store.reports[report.arn] = report
            build.report_arns.append(report.arn)
        if not files:
            self._agent(f"No report files found for report {key}")
            report.status = "INCOMPLETE"
            return
        if kind == "CODE_COVERAGE":
            try:
                report.coverage = parse_coverage(selection.file_format, files[0].source.read_bytes())
                report.status = "SUCCEEDED"
            except ReportFormatError as err:
                self._agent(f"Report {key}: {err}")
                report.status = "INCOMPLETE"
            return
        parsed = []
        for item in files:
            try:
                cases = parse_tests(selection.file_format, item.source.read_bytes())
            except ReportFormatError as err:
                self._agent(f"Report {key}: cannot parse {item.name}: {err}")
                continue
            parsed.extend((item.name, c) for c in cases)
        kept, truncated = keep_cases([c for _, c in parsed])
        expires = report.expired
        paths = {id(c): p for p, c in parsed}
        report.test_cases = [TestCase(report.arn, f"{self.src}/{paths[id(c)]}", c.prefix, c.name, c.status,
                                      c.duration_ns, self.masker(c.message) if c.message else None, c.suite, expires)
                             for c in kept]
        report.truncated = truncated
        report.duration_ns = sum(c.duration_ns for _, c in parsed)
        report.status = "FAILED" if any(c.status in ("FAILED", "ERROR") for c in report.test_cases) else "SUCCEEDED"
        self._agent(f"Report {key}: {len(report.test_cases)} test cases {report.status_counts()}")
