"""localcloud's CodeBuild: every operation the suite needs, over builds that really run.

The provider claims all of CodeBuild (projects live here, not in moto) and runs builds on worker
threads, at most `max_concurrent_builds` at a time (the `codebuild.concurrency` setting; default
the CPU count); the rest wait QUEUED, first come first served.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


from localcloud.codebuild.api import BuildAPI
from localcloud.codebuild.contract import CodeBuildContract
from localcloud.codebuild.credentials import PREFIX as CREDENTIALS_PREFIX
from localcloud.codebuild.credentials import CredentialsEndpoint
from localcloud.codebuild.models import Build, CodeBuildBackend
from localcloud.codebuild.report_api import ReportAPI
from localcloud.codebuild.runner import BuildRunner
from localcloud.provider import Provider
from localcloud.codebuild.exceptions import InvalidInputException, ResourceNotFoundException

log = logging.getLogger("localcloud.codebuild")
class CodeBuildProvider(Provider):
    service = "codebuild"

    def __init__(self, cloud, max_concurrent_builds: int | None = None):
        super().__init__(cloud)
        self.backend = CodeBuildBackend()
        self.max_concurrent_builds = max_concurrent_builds or cloud.settings.codebuild.max_concurrent_builds
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.builds_api = BuildAPI(self)
        self.reports_api = ReportAPI(self)
        self.contract = CodeBuildContract(cloud.authorizer, self)
        self.credentials = CredentialsEndpoint()

    def start(self) -> None:
        self.cloud.sandboxes.warm(Path(self.cloud.state_dir) / "codebuild")  # the first build's sandbox

    def routes(self):
        return [(CREDENTIALS_PREFIX, self.credentials.app)]

    def operations(self) -> dict:
        return {**self.builds_api.operations(), **self.reports_api.operations()}

    # -- running builds ------------------------------------------------------------------------
    def submit(self, build: Build) -> None:
        """Queue a registered build; it leaves QUEUED when a worker is free."""
        runner = BuildRunner(self.cloud, self.backend, build, queued_at=time.monotonic(),
                             credentials=self.credentials)
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.max_concurrent_builds, thread_name_prefix="codebuild")
            self._pool.submit(runner.run)

    def stop_build(self, build: Build) -> None:
        """Ask a build to stop and wait briefly for it, so StopBuild answers with the stopped build."""
        build.stop_requested.set()
        build.stop_if_queued()
        build.completed.wait(5)

    def _shutdown(self) -> None:
        for build in self.backend.all_builds():
            build.stop_requested.set()
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=False)

    def stop(self) -> None:
        self._shutdown()

    def reset(self) -> None:
        self._shutdown()
        self.backend.reset()

    # -- what the door (contract.py) calls -------------------------------------------------------
    def start_pipeline_build(self, *, region: str, project_name: str, pipeline_name: str,
                             input_artifacts: list[dict], primary_source: str | None,
                             output_artifacts: list[dict], environment_variables: list[dict] | None = None,
                             source_version: str | None = None) -> str:
        """Start a build of `project_name` for a pipeline's Build action and return its id.

        input_artifacts / output_artifacts: [{"name", "bucket", "key"}]; the primary input (the
        first unless `primary_source` names one) becomes CODEBUILD_SRC_DIR, the others
        CODEBUILD_SRC_DIR_<name>; the buildspec's artifacts are zipped to exactly the first output's
        bucket/key (secondary-artifacts to the others, by name). environment_variables are the
        action's resolved EnvironmentVariables ([{name, value, type}]).
        """
        names = [a["name"] for a in input_artifacts]
        if primary_source is not None and primary_source not in names:
            raise InvalidInputException(f"primary source {primary_source} is not one of the input artifacts {names}")
        pipeline = {"name": pipeline_name, "input_artifacts": [dict(a) for a in input_artifacts],
                    "primary_source": primary_source, "output_artifacts": [dict(a) for a in output_artifacts],
                    "source_version": source_version}
        params = {"environmentVariablesOverride": environment_variables or []}
        primary = next((a for a in input_artifacts if a["name"] == (primary_source or names[0])), None) if names else None
        if primary is not None:
            # a pipeline build's sourceVersion is its primary input artifact's S3 object
            params["sourceVersion"] = f"arn:aws:s3:::{primary['bucket']}/{primary['key']}"
        with self.backend.lock:
            store = self.backend.region(region)
            project = store.projects.get(project_name)
            if project is None:
                raise ResourceNotFoundException(f"Project cannot be found: arn:aws:codebuild:{region}:{store.account}:project/{project_name}")
            build = self.builds_api.new_build(project, params, initiator=f"codepipeline/{pipeline_name}", pipeline=pipeline)
        self.submit(build)
        return build.id


def create(cloud) -> CodeBuildProvider:
    return CodeBuildProvider(cloud)
