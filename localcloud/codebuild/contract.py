"""CodeBuild's door: what CodePipeline's Build and Test actions do with CodeBuild.

Inside AWS, CodePipeline calls StartBuild as the pipeline's service role with a CODEPIPELINE
source, then follows the build until it ends. Here the start is in-process and the wait is on the
build's own completion event: nothing polls BatchGetBuilds through the router.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localcloud.contract import Contract, wait_for_end
from localcloud.principal import Principal
from localcloud.codebuild.exceptions import ResourceNotFoundException

if TYPE_CHECKING:
    from localcloud.codebuild.provider import CodeBuildProvider


@dataclass(frozen=True)
class PhaseOutcome:
    phase_type: str
    status: str | None
    status_code: str | None
    message: str | None


@dataclass(frozen=True)
class BuildResult:
    build_id: str
    status: str                               # SUCCEEDED | FAILED | FAULT | TIMED_OUT | STOPPED
    phases: tuple[PhaseOutcome, ...]
    exported_variables: dict[str, str]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def failing_phase(self) -> PhaseOutcome | None:
        """The first phase that did not succeed (what CodePipeline's error message names)."""
        return next((p for p in self.phases
                     if p.status in ("FAILED", "FAULT", "TIMED_OUT", "STOPPED", "CLIENT_ERROR")), None)


class CodeBuildContract(Contract):
    action_prefix = "codebuild"

    def __init__(self, authorizer, provider: "CodeBuildProvider"):
        super().__init__(authorizer)
        self._provider = provider

    def start_pipeline_build(self, principal: Principal, *, region: str, project_name: str, pipeline_name: str,
                             input_artifacts: list[dict], primary_source: str | None,
                             output_artifacts: list[dict], environment_variables: list[dict] | None = None,
                             source_version: str | None = None) -> str:
        """Start a build of `project_name` for a pipeline's Build action and return its id.

        input_artifacts / output_artifacts: [{"name", "bucket", "key"}]; the primary input (the
        first unless `primary_source` names one) becomes CODEBUILD_SRC_DIR, the others
        CODEBUILD_SRC_DIR_<name>; the buildspec's artifacts are zipped to exactly the first
        output's bucket/key (secondary artifacts to the others, by name). environment_variables
        are the action's resolved EnvironmentVariables ([{name, value, type}]).
        """
        arn = f"arn:aws:codebuild:{region}:{principal.account_id}:project/{project_name}"
        self._authorize(principal, "StartBuild", arn)
        return self._provider.start_pipeline_build(
            region=region, project_name=project_name, pipeline_name=pipeline_name,
            input_artifacts=input_artifacts, primary_source=primary_source, output_artifacts=output_artifacts,
            environment_variables=environment_variables, source_version=source_version)

    def wait_for_build(self, principal: Principal, region: str, build_id: str, *, stop: threading.Event,
                       timeout: float) -> BuildResult | None:
        """The build's result once it ends; None if `stop` is set first. TimeoutError after
        `timeout` seconds (already scaled) without an end."""
        with self._provider.backend.lock:
            build = self._provider.backend.region(region).builds.get(build_id)
        if build is None:
            raise ResourceNotFoundException(f"Build {build_id} does not exist")
        # BatchGetBuilds is authorized on the project's ARN
        self._authorize(principal, "BatchGetBuilds",
                        f"arn:aws:codebuild:{region}:{build.account}:project/{build.project_name}")
        if not wait_for_end(build.completed, stop, timeout, f"build {build_id}"):
            return None
        with build.lock:
            phases = tuple(PhaseOutcome(p.phase_type, p.status,
                                        (p.contexts or [{}])[0].get("statusCode") if p.contexts else None,
                                        (p.contexts or [{}])[0].get("message") if p.contexts else None)
                           for p in build.phases)
            exported = {v["name"]: v.get("value", "") for v in build.exported_variables}
            return BuildResult(build.id, build.status, phases, exported)
