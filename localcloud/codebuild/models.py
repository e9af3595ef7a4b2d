"""CodeBuild state: projects, builds, report groups, reports and their test cases, per region.

Objects render themselves in the botocore model's shapes (`to_api`); the API layer only looks
things up and translates errors.
"""
from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from localcloud.aws import DEFAULT_ACCOUNT_ID

PHASE_ORDER = ("SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD",
               "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED")
REPORT_EXPIRY = timedelta(days=30)  # "Reports expire after 30 days"


def now() -> datetime:
    return datetime.now(timezone.utc)


def project_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:codebuild:{region}:{account}:project/{name}"


def report_group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:codebuild:{region}:{account}:report-group/{name}"


@dataclass
class Project:
    name: str
    region: str
    account: str
    config: dict                      # the CreateProject/UpdateProject members, defaults applied
    created: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)
    build_counter: int = 0

    @property
    def arn(self) -> str:
        return project_arn(self.region, self.account, self.name)

    def to_api(self) -> dict:
        out = copy.deepcopy(self.config)
        out.update(name=self.name, arn=self.arn, created=self.created, lastModified=self.last_modified)
        return out


@dataclass
class BuildPhase:
    phase_type: str
    start: datetime
    end: datetime | None = None
    status: str | None = None       # absent while in progress and on COMPLETED
    contexts: list[dict] | None = None

    def to_api(self) -> dict:
        out = {"phaseType": self.phase_type, "startTime": self.start}
        if self.end is not None:
            out.update(phaseStatus=self.status, endTime=self.end,
                       durationInSeconds=int((self.end - self.start).total_seconds()))
            if self.contexts is not None:
                out["contexts"] = self.contexts
        return out


@dataclass
class Build:
    id: str
    arn: str
    number: int
    project_name: str
    region: str
    account: str
    source: dict
    secondary_sources: list[dict]
    source_version: str | None
    secondary_source_versions: list[dict]
    artifacts_config: dict
    secondary_artifacts_config: list[dict]
    environment: dict
    service_role: str
    timeout_minutes: int
    queued_timeout_minutes: int
    initiator: str
    logs_config: dict
    encryption_key: str | None
    buildspec_override: str | None
    start_time: datetime = field(default_factory=now)
    end_time: datetime | None = None
    status: str = "IN_PROGRESS"
    phases: list[BuildPhase] = field(default_factory=list)
    resolved_source_version: str | None = None
    exported_variables: list[dict] = field(default_factory=list)
    report_arns: list[str] = field(default_factory=list)
    artifacts: dict = field(default_factory=dict)
    secondary_artifacts: list[dict] = field(default_factory=list)
    log_group: str | None = None
    log_stream: str | None = None
    # in-process extras (never rendered): the pipeline's artifacts and the stop signal
    pipeline: dict | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)
    completed: threading.Event = field(default_factory=threading.Event)
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def uuid(self) -> str:
        return self.id.split(":", 1)[1]

    @property
    def complete(self) -> bool:
        return self.status != "IN_PROGRESS"

    @property
    def current_phase(self) -> str:
        return self.phases[-1].phase_type if self.phases else "SUBMITTED"

    # -- phase bookkeeping (called by the runner) ---------------------------------------------
    def enter(self, phase_type: str) -> BuildPhase:
        with self.lock:
            moment = now()
            if self.phases and self.phases[-1].end is None:
                self.phases[-1].end = moment
                self.phases[-1].status = self.phases[-1].status or "SUCCEEDED"
            phase = BuildPhase(phase_type, moment)
            self.phases.append(phase)
            return phase

    def finish_phase(self, status: str, contexts: list[dict] | None) -> None:
        with self.lock:
            phase = self.phases[-1]
            phase.end, phase.status, phase.contexts = now(), status, contexts

    def finish_open_phase(self, status: str, contexts: list[dict] | None) -> None:
        """Finish the phase in progress, if any (a stop between phases changes no phase)."""
        with self.lock:
            if self.phases and self.phases[-1].end is None:
                phase = self.phases[-1]
                phase.end, phase.status, phase.contexts = now(), status, contexts

    def begin(self) -> bool:
        """Leave QUEUED for PROVISIONING; False if the build was already ended (stopped while queued)."""
        with self.lock:
            if self.complete:
                return False
            self.enter("PROVISIONING")
            return True

    def stop_if_queued(self) -> None:
        """StopBuild on a build no worker has taken yet ends it at once."""
        with self.lock:
            if not self.complete and self.current_phase == "QUEUED":
                self.finish_open_phase("STOPPED", None)
                self.complete_with("STOPPED")

    def complete_with(self, status: str) -> None:
        with self.lock:
            if self.complete:
                return
            moment = now()
            if self.phases and self.phases[-1].end is None:
                self.phases[-1].end, self.phases[-1].status = moment, self.phases[-1].status or "SUCCEEDED"
            self.phases.append(BuildPhase("COMPLETED", moment))
            self.end_time = moment
            self.status = status
            self.completed.set()

    def failing_context(self) -> tuple[str, dict] | None:
        """(phaseType, context) of the first phase that did not succeed, for pipeline messages."""
        for phase in self.phases:
            if phase.status not in (None, "SUCCEEDED") and phase.contexts:
                return phase.phase_type, phase.contexts[0]
        return None

    def to_api(self) -> dict:
        with self.lock:
            phases = [p.to_api() for p in self.phases]
        out = {
            "id": self.id,
            "arn": self.arn,
            "buildNumber": self.number,
            "startTime": self.start_time,
            "endTime": self.end_time,
            "currentPhase": self.current_phase,
            "buildStatus": self.status,
            "sourceVersion": self.source_version,
            "resolvedSourceVersion": self.resolved_source_version,
            "projectName": self.project_name,
            "phases": phases,
            "source": copy.deepcopy(self.source),
            "secondarySources": copy.deepcopy(self.secondary_sources),
            "secondarySourceVersions": copy.deepcopy(self.secondary_source_versions),
            "artifacts": copy.deepcopy(self.artifacts),
            "secondaryArtifacts": copy.deepcopy(self.secondary_artifacts),
            "environment": copy.deepcopy(self.environment),
            "serviceRole": self.service_role,
            "logs": self._logs(),
            "timeoutInMinutes": self.timeout_minutes,
            "queuedTimeoutInMinutes": self.queued_timeout_minutes,
            "buildComplete": self.complete,
            "initiator": self.initiator,
            "encryptionKey": self.encryption_key,
            "exportedEnvironmentVariables": copy.deepcopy(self.exported_variables),
            "reportArns": list(self.report_arns),
        }
        if self.source.get("type") == "NO_SOURCE" and out["sourceVersion"] is None:
            out.pop("sourceVersion")
        return out

    def _logs(self) -> dict:
        config = copy.deepcopy(self.logs_config)
        out = {"cloudWatchLogs": config.get("cloudWatchLogs"), "s3Logs": config.get("s3Logs")}
        if self.log_group and self.log_stream:
            from urllib.parse import quote

            region = self.region
            # The console encodes '/' in group names as $252F (a URL-encoded '%2F').
            encoded = quote(quote(self.log_group, safe=""), safe="").replace("%", "$")
            out.update(
                groupName=self.log_group,
                streamName=self.log_stream,
                deepLink=(f"https://console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:log-groups/"
                          f"log-group/{encoded}/log-events/{self.log_stream}"),
                cloudWatchLogsArn=(f"arn:aws:logs:{region}:{self.account}:log-group:{self.log_group}"
                                   f":log-stream:{self.log_stream}"),
            )
        return out


@dataclass
class ReportGroup:
    name: str
    arn: str
    type: str
    export_config: dict
    tags: list[dict]
    created: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)

    def to_api(self) -> dict:
        return {"arn": self.arn, "name": self.name, "type": self.type, "exportConfig": copy.deepcopy(self.export_config),
                "created": self.created, "lastModified": self.last_modified, "tags": copy.deepcopy(self.tags),
                "status": "ACTIVE"}


@dataclass
class TestCase:
    report_arn: str
    raw_data_path: str
    prefix: str
    name: str
    status: str                     # SUCCEEDED | FAILED | ERROR | SKIPPED | UNKNOWN
    duration_ns: int
    message: str | None
    suite: str | None
    expired: datetime

    def to_api(self) -> dict:
        return {"reportArn": self.report_arn, "testRawDataPath": self.raw_data_path, "prefix": self.prefix,
                "name": self.name, "status": self.status, "durationInNanoSeconds": self.duration_ns,
                "message": self.message, "expired": self.expired, "testSuiteName": self.suite}


@dataclass
class Report:
    arn: str
    type: str
    name: str
    report_group_arn: str
    execution_id: str               # the build's ARN
    export_config: dict
    status: str = "GENERATING"
    created: datetime = field(default_factory=now)
    test_cases: list[TestCase] = field(default_factory=list)
    truncated: bool = False
    coverage: dict | None = None
    duration_ns: int = 0

    @property
    def expired(self) -> datetime:
        return self.created + REPORT_EXPIRY

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        for case in self.test_cases:
            counts[case.status] = counts.get(case.status, 0) + 1
        return {"total": len(self.test_cases), "statusCounts": counts, "durationInNanoSeconds": self.duration_ns}

    def to_api(self) -> dict:
        out = {"arn": self.arn, "type": self.type, "name": self.name, "reportGroupArn": self.report_group_arn,
               "executionId": self.execution_id, "status": self.status, "created": self.created,
               "expired": self.expired, "exportConfig": copy.deepcopy(self.export_config),
               "truncated": self.truncated}
        if self.type == "TEST":
            out["testSummary"] = self.summary()
        elif self.coverage is not None:
            out["codeCoverageSummary"] = dict(self.coverage)
        return out


class RegionStore:
    def __init__(self, region: str, account: str = DEFAULT_ACCOUNT_ID):
        self.region = region
        self.account = account
        self.projects: dict[str, Project] = {}
        self.builds: dict[str, Build] = {}          # insertion order = start order
        self.report_groups: dict[str, ReportGroup] = {}   # by ARN
        self.reports: dict[str, Report] = {}        # by ARN, insertion order = creation order


class CodeBuildBackend:
    """All regions' state behind one lock (operations are short; builds hold no lock)."""

    def __init__(self):
        self.lock = threading.RLock()
        self._regions: dict[str, RegionStore] = {}

    def region(self, region: str) -> RegionStore:
        with self.lock:
            store = self._regions.get(region)
            if store is None:
                store = self._regions[region] = RegionStore(region)
            return store

    def all_builds(self) -> list[Build]:
        with self.lock:
            return [b for store in self._regions.values() for b in store.builds.values()]

    def ensure_report_group(self, region: str, name: str, arn: str, kind: str) -> "ReportGroup":
        """The report group `name`, created as CodeBuild auto-creates `<project>-<key>` groups."""
        with self.lock:
            store = self.region(region)
            group = store.report_groups.get(arn)
            if group is None:
                group = store.report_groups[arn] = ReportGroup(name=name, arn=arn, type=kind,
                                                               export_config={"exportConfigType": "NO_EXPORT"}, tags=[])
            return group

    def reset(self) -> None:
        with self.lock:
            self._regions.clear()
