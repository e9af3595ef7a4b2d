"""CodeBuild state: projects, builds, report groups, reports and their test cases, per region.

Only state and its rules live here; shapes.py renders these objects in the botocore model's
shapes for the API layer.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from localcloud.aws import DEFAULT_ACCOUNT_ID

#: the service principal CodeBuild assumes its service roles as
SERVICE_PRINCIPAL = "codebuild.amazonaws.com"
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


@dataclass
class BuildPhase:
    phase_type: str
    start: datetime
    end: datetime | None = None
    status: str | None = None       # absent while in progress and on COMPLETED
    contexts: list[dict] | None = None


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


@dataclass
class ReportGroup:
    name: str
    arn: str
    type: str
    export_config: dict
    tags: list[dict]
    created: datetime = field(default_factory=now)
    last_modified: datetime = field(default_factory=now)


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

    def status_counts(self) -> dict[str, int]:
        """How many test cases ended in each status."""
        counts: dict[str, int] = {}
        for case in self.test_cases:
            counts[case.status] = counts.get(case.status, 0) + 1
        return counts


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
