"""CodeBuild's wire shapes: models rendered as the botocore model's structures.

The API layer (api.py, report_api.py) is the only caller; models.py holds state and its rules and
knows nothing of camelCase. Each function returns a fresh structure the caller may hand out.
"""
from __future__ import annotations

import copy
from urllib.parse import quote

from localcloud.codebuild.models import Build, BuildPhase, Project, Report, ReportGroup, TestCase


def project_shape(project: Project) -> dict:
    """Project: the stored CreateProject/UpdateProject members plus the server-side fields."""
    out = copy.deepcopy(project.config)
    out.update(name=project.name, arn=project.arn, created=project.created, lastModified=project.last_modified)
    return out


def phase_shape(phase: BuildPhase) -> dict:
    """BuildPhase: status, end, duration and contexts only once the phase ended."""
    out = {"phaseType": phase.phase_type, "startTime": phase.start}
    if phase.end is not None:
        out.update(phaseStatus=phase.status, endTime=phase.end,
                   durationInSeconds=int((phase.end - phase.start).total_seconds()))
        if phase.contexts is not None:
            out["contexts"] = phase.contexts
    return out


def build_shape(build: Build) -> dict:
    """Build, as BatchGetBuilds, StartBuild, StopBuild and RetryBuild return it."""
    with build.lock:
        phases = [phase_shape(p) for p in build.phases]
    out = {
        "id": build.id,
        "arn": build.arn,
        "buildNumber": build.number,
        "startTime": build.start_time,
        "endTime": build.end_time,
        "currentPhase": build.current_phase,
        "buildStatus": build.status,
        "sourceVersion": build.source_version,
        "resolvedSourceVersion": build.resolved_source_version,
        "projectName": build.project_name,
        "phases": phases,
        "source": copy.deepcopy(build.source),
        "secondarySources": copy.deepcopy(build.secondary_sources),
        "secondarySourceVersions": copy.deepcopy(build.secondary_source_versions),
        "artifacts": copy.deepcopy(build.artifacts),
        "secondaryArtifacts": copy.deepcopy(build.secondary_artifacts),
        "environment": copy.deepcopy(build.environment),
        "serviceRole": build.service_role,
        "logs": logs_shape(build),
        "timeoutInMinutes": build.timeout_minutes,
        "queuedTimeoutInMinutes": build.queued_timeout_minutes,
        "buildComplete": build.complete,
        "initiator": build.initiator,
        "encryptionKey": build.encryption_key,
        "exportedEnvironmentVariables": copy.deepcopy(build.exported_variables),
        "reportArns": list(build.report_arns),
    }
    if build.source.get("type") == "NO_SOURCE" and out["sourceVersion"] is None:
        out.pop("sourceVersion")
    return out


def logs_shape(build: Build) -> dict:
    """LogsLocation: the configured logs plus, once the build has a stream, where to find it."""
    config = copy.deepcopy(build.logs_config)
    out = {"cloudWatchLogs": config.get("cloudWatchLogs"), "s3Logs": config.get("s3Logs")}
    if build.log_group and build.log_stream:
        region = build.region
        # The console encodes '/' in group names as $252F (a URL-encoded '%2F').
        encoded = quote(quote(build.log_group, safe=""), safe="").replace("%", "$")
        out.update(
            groupName=build.log_group,
            streamName=build.log_stream,
            deepLink=(f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/"
                      f"log-group/{encoded}/log-events/{build.log_stream}"),
            cloudWatchLogsArn=(f"arn:aws:logs:{region}:{build.account}:log-group:{build.log_group}"
                               f":log-stream:{build.log_stream}"),
        )
    return out


def report_group_shape(group: ReportGroup) -> dict:
    return {"arn": group.arn, "name": group.name, "type": group.type, "exportConfig": copy.deepcopy(group.export_config),
            "created": group.created, "lastModified": group.last_modified, "tags": copy.deepcopy(group.tags),
            "status": "ACTIVE"}


def test_case_shape(case: TestCase) -> dict:
    return {"reportArn": case.report_arn, "testRawDataPath": case.raw_data_path, "prefix": case.prefix,
            "name": case.name, "status": case.status, "durationInNanoSeconds": case.duration_ns,
            "message": case.message, "expired": case.expired, "testSuiteName": case.suite}


def test_summary_shape(report: Report) -> dict:
    """TestReportSummary."""
    return {"total": len(report.test_cases), "statusCounts": report.status_counts(),
            "durationInNanoSeconds": report.duration_ns}


def report_shape(report: Report) -> dict:
    out = {"arn": report.arn, "type": report.type, "name": report.name, "reportGroupArn": report.report_group_arn,
           "executionId": report.execution_id, "status": report.status, "created": report.created,
           "expired": report.expired, "exportConfig": copy.deepcopy(report.export_config),
           "truncated": report.truncated}
    if report.type == "TEST":
        out["testSummary"] = test_summary_shape(report)
    elif report.coverage is not None:
        out["codeCoverageSummary"] = dict(report.coverage)
    return out
