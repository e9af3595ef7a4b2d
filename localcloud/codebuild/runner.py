"""Runs one build for real: phases, one shell session, masking, logs; reports are published by
reports.ReportPublisher and artifacts uploaded by artifacts.ArtifactUploader.

Phase transitions follow the user guide's build phase transitions: a failing command skips the rest of its phase but
`finally` still runs; a BUILD failure still runs POST_BUILD and UPLOAD_ARTIFACTS with
CODEBUILD_BUILD_SUCCEEDING=0; an INSTALL or PRE_BUILD failure goes to FINALIZING; `on-failure`
ABORT ends the build's phases there and CONTINUE moves on to the next phase.
"""
from __future__ import annotations

import logging
import shutil
import sys
import time
from pathlib import Path

from localcloud.codebuild import buildspec as buildspec_mod
from localcloud.codebuild import sources
from localcloud.codebuild.artifacts import ArtifactError, ArtifactUploader
from localcloud.codebuild.credentials import PREFIX as CREDENTIALS_PREFIX
from localcloud.codebuild.credentials import CredentialsEndpoint
from localcloud.codebuild.envvars import Resolver, VariableError, codebuild_variables
from localcloud.codebuild.logs import BuildLog, Masker
from localcloud.codebuild.models import SERVICE_PRINCIPAL, Build, CodeBuildBackend, project_arn
from localcloud.codebuild.reports import ReportPublisher
from localcloud.codebuild.shell import Interrupted, ShellSession
from localcloud.principal import Principal
from localcloud.sandbox import limits as sandbox_limits
from localcloud.sts.exceptions import AccessDenied, ValidationError
from localcloud.processes import clean_env, kill_owner

log = logging.getLogger("localcloud.codebuild")

# UNCONFIRMED (docs/aws-behaviour.md, "Module constants"): whether UPLOAD_ARTIFACTS runs after an INSTALL or PRE_BUILD
# failure. The documented transition diagram goes straight to FINALIZING, so it does not.
UPLOAD_AFTER_EARLY_FAILURE = False
NO_CONTEXT = [{"statusCode": "", "message": ""}]  # what AWS shows for a phase that succeeded
COMMAND_PHASES = (("install", "INSTALL"), ("pre_build", "PRE_BUILD"), ("build", "BUILD"), ("post_build", "POST_BUILD"))


class PhaseFailure(Exception):
    def __init__(self, status_code: str, message: str):
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class BuildRunner:
    def __init__(self, cloud, backend: CodeBuildBackend, build: Build, queued_at: float,
                 credentials: CredentialsEndpoint):
        self.cloud = cloud
        self.credentials = credentials  # where the build's commands get the role's credentials
        self.services = cloud.services  # every other service, through its door
        self.backend = backend
        self.build = build
        self.queued_at = queued_at
        self.owner = cloud.owner("build", build.id)
        self.masker = Masker()
        # The build's commands run in a sandbox where only its work directory is writable: a warm
        # one taken now, at StartBuild (its directory becomes the work directory), or one that
        # boots while the build is queued and provisioned, so the first command does not wait.
        self.sandbox, self.work = cloud.sandboxes.create(base=Path(cloud.state_dir) / "codebuild", name=build.uuid,
                                                         owner=self.owner,
                                                         limits=sandbox_limits.for_compute(build.environment or {}))
        self.src = self.work / "src"
        self.deadline: float | None = None
        self.log: BuildLog | None = None
        self.shell: ShellSession | None = None
        self.spec: buildspec_mod.Buildspec | None = None
        self.env: dict[str, str] = {}
        self.secret_names: set[str] = set()
        self.failed = False
        self.final_env: dict[str, str] | None = None
        self._released = False
        self.secondary_dirs: dict[str, Path] = {}
        # CodeBuild acts as the project's service role, in a session named after the build
        self.principal = Principal.assumed_role(build.service_role, f"AWSCodeBuild-{build.uuid}")

    # -- entry point (worker thread) ----------------------------------------------------------
    def run(self) -> None:
        build = self.build
        status = "FAULT"
        try:
            status = self._leave_queue() or self._run_phases()
        except Interrupted as stop:
            status = self._interrupted(stop.reason)
        except Exception as err:  # a localcloud defect: the build ends FAULT, localcloud serves on
            log.exception("build %s faulted", build.id)
            build.finish_open_phase("FAULT", [{"statusCode": "INTERNAL_ERROR", "message": f"localcloud fault: {err}"}])
        finally:
            # Processes, log lines and the work directory first, so that a client that sees the
            # build complete also sees its whole log, no process of it still running and nothing
            # of it left on disk.
            self._release()
            shutil.rmtree(self.work, ignore_errors=True)
            build.complete_with(status)

    def _leave_queue(self) -> str | None:
        """The final status if the build never leaves QUEUED (stopped or queued too long)."""
        build = self.build
        if build.stop_requested.is_set():
            build.finish_open_phase("STOPPED", None)
            return "STOPPED"
        waited = time.monotonic() - self.queued_at
        if waited > self.cloud.clock.scaled(build.queued_timeout_minutes * 60):
            build.finish_open_phase("TIMED_OUT", [{"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}])
            return "TIMED_OUT"
        if not build.begin():
            return build.status
        self.deadline = time.monotonic() + self.cloud.clock.scaled(build.timeout_minutes * 60)
        return None

    def _check(self) -> None:
        if self.build.stop_requested.is_set():
            raise Interrupted("STOPPED")
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise Interrupted("TIMED_OUT")

    # -- the phases -----------------------------------------------------------------------------
    def _run_phases(self) -> str:
        build = self.build
        try:
            self._provision()
        except PhaseFailure as failure:
            self._phase_failed("PROVISIONING", failure.status_code, failure.message)
            return self._finalize()
        build.finish_phase("SUCCEEDED", NO_CONTEXT)
        self._check()

        build.enter("DOWNLOAD_SOURCE")
        self._agent("Phase is DOWNLOAD_SOURCE")
        try:
            self._download_source()
            self._load_buildspec()
            self._resolve_environment()
        except PhaseFailure as failure:
            self._phase_failed("DOWNLOAD_SOURCE", failure.status_code, failure.message)
            return self._finalize()
        self._agent("Phase complete: DOWNLOAD_SOURCE State: SUCCEEDED")
        self._agent("Phase context status code:  Message: ")
        build.finish_phase("SUCCEEDED", NO_CONTEXT)
        self._check()

        self.shell = ShellSession(shell=self.spec.shell, env=self.env, cwd=self.src, owner=self.owner,
                                  script_dir=self.work / "tmp", on_output=self.log.output if self.log else _discard,
                                  sandbox=self.sandbox)
        if self._command_phases():
            self._check()
            self._upload_artifacts()
        return self._finalize()

    def _command_phases(self) -> bool:
        """Run INSTALL..POST_BUILD; return whether UPLOAD_ARTIFACTS is attempted."""
        for key, phase_type in COMMAND_PHASES:
            self._check()
            self.build.enter(phase_type)
            self._agent(f"Entering phase {phase_type}")
            phase = self.spec.phases.get(key)
            ok = self._run_phase(phase_type, phase)
            if ok:
                continue
            self._mark_failing()
            on_failure = phase.on_failure if phase else None
            if on_failure == "ABORT":
                return False
            if on_failure == "CONTINUE":
                continue
            if phase_type in ("INSTALL", "PRE_BUILD"):
                return UPLOAD_AFTER_EARLY_FAILURE
            # BUILD -> POST_BUILD -> UPLOAD_ARTIFACTS; POST_BUILD -> UPLOAD_ARTIFACTS
        self._capture_exports()
        return True

    def _run_phase(self, phase_type: str, phase) -> bool:
        failure = None
        if phase is not None:
            failure = self._run_commands(phase.commands)
            if phase.finally_commands:
                # `finally` runs whether or not a command failed; its own failure fails the phase
                # too (the context names the first command that failed)
                finally_failure = self._run_commands(phase.finally_commands)
                failure = failure or finally_failure
        if failure is None:
            self._agent(f"Phase complete: {phase_type} State: SUCCEEDED")
            self._agent("Phase context status code:  Message: ")
            self.build.finish_phase("SUCCEEDED", NO_CONTEXT)
            return True
        command, status = failure
        self._phase_failed(phase_type, "COMMAND_EXECUTION_ERROR",
                           f"Error while executing command: {command}. Reason: exit status {status}")
        return False

    def _run_commands(self, commands: list[str]) -> tuple[str, int] | None:
        """Run until one fails; return (command, exit status) of the failure, or None."""
        for command in commands:
            self._check()
            self._agent(f"Running command {command}")
            status = self.shell.run(command, deadline=self.deadline, cancelled=self.build.stop_requested,
                                    fresh=not self.spec.one_shell)
            if status != 0:
                self._agent(f"Command did not exit successfully {command} exit status {status}")
                return command, status
        return None

    def _phase_failed(self, phase_type: str, status_code: str, message: str) -> None:
        self.failed = True
        self._agent(f"Phase complete: {phase_type} State: FAILED")
        self._agent(f"Phase context status code: {status_code} Message: {message}")
        self.build.finish_phase("FAILED", [{"statusCode": status_code, "message": self.masker(message)}])

    def _mark_failing(self) -> None:
        # later phases see CODEBUILD_BUILD_SUCCEEDING=0 (post_build scripts branch on it)
        self.env["CODEBUILD_BUILD_SUCCEEDING"] = "0"
        self.shell.env = self.env
        self.shell.run("export CODEBUILD_BUILD_SUCCEEDING=0", deadline=self.deadline,
                       cancelled=self.build.stop_requested)

    def _finalize(self) -> str:
        self.build.enter("FINALIZING")
        self._release()
        self.build.finish_phase("SUCCEEDED", NO_CONTEXT)
        return "FAILED" if self.failed else "SUCCEEDED"

    def _interrupted(self, reason: str) -> str:
        kill_owner(self.owner)
        contexts = [{"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}] if reason == "TIMED_OUT" else None
        self.build.finish_open_phase(reason, contexts)
        return reason

    def _release(self) -> None:
        """Stop every process of the build and flush its log (idempotent)."""
        if self.shell is not None:
            self.shell.close()
            self.shell = None
        elif not self._released:
            kill_owner(self.owner)
        if self.sandbox is not None:
            self.sandbox.stop()  # no-op after the shell's close; a build that ended before its shell
        self._released = True
        self.credentials.revoke(self.build.uuid)
        if self.log is not None:
            self.log.close()

    # -- PROVISIONING ---------------------------------------------------------------------------
    def _provision(self) -> None:
        build = self.build
        for sub in ("src", "home", "tmp", "readonly"):
            (self.work / sub).mkdir(parents=True, exist_ok=True)
        cw = (build.logs_config or {}).get("cloudWatchLogs") or {}
        if cw.get("status", "ENABLED") == "ENABLED":
            build.log_group = cw.get("groupName") or f"/aws/codebuild/{build.project_name}"
            # a configured streamName is a prefix (CloudWatchLogsConfig.streamName)
            build.log_stream = f"{cw['streamName']}/{build.uuid}" if cw.get("streamName") else build.uuid
            self.log = BuildLog(self.services.logs, self.principal, build.region, build.log_group, build.log_stream,
                                self.masker)
            self.log.open()
        self._agent("Running on CodeBuild On-demand")
        self._agent("Waiting for agent ping")
        self._agent("Waiting for DOWNLOAD_SOURCE")
        if self.log is not None:
            self.log.flush()  # the first PutLogEvents: a role that may not write fails here
            if self.log.denied is not None:
                raise PhaseFailure("ACCESS_DENIED", log_denial_message(build, self.log.denied))

    def _agent(self, message: str) -> None:
        if self.log is not None:
            self.log.agent(message)

    # -- DOWNLOAD_SOURCE --------------------------------------------------------------------------
    def _download_source(self) -> None:
        try:
            self.secondary_dirs = sources.download(self.build, self.services, self.principal, self.src, self.work)
        except sources.SourceError as err:
            raise PhaseFailure(err.status_code, err.message) from None
        self._agent(f"CODEBUILD_SRC_DIR={self.src}")
        for name, path in self.secondary_dirs.items():
            self._agent(f"CODEBUILD_SRC_DIR_{name}={path}")

    def _load_buildspec(self) -> None:
        build = self.build
        value = build.buildspec_override or build.source.get("buildspec") or ""
        if value and ("\n" in value or not value.strip().endswith((".yml", ".yaml"))) and not value.startswith("arn:aws:s3:::"):
            location = self.work / "readonly" / "buildspec.yml"   # inline buildspec, as AWS stores it
            location.write_text(value)
        elif value.startswith("arn:aws:s3:::"):
            bucket, key = sources.split_s3_location(value)
            try:
                text = sources.s3_object(self.services.s3, self.principal, bucket, key).decode("utf-8", "replace")
            except sources.SourceError as err:
                raise PhaseFailure("YAML_FILE_ERROR", err.message) from None
            location = self.work / "readonly" / "buildspec.yml"
            location.write_text(text)
        else:
            location = self.src / (value.strip() or "buildspec.yml")
        self._agent(f"YAML location is {location}")
        if not location.is_file():
            raise PhaseFailure("YAML_FILE_ERROR", f"stat {location}: no such file or directory")
        try:
            self.spec = buildspec_mod.parse(location.read_text(errors="replace"))
        except buildspec_mod.BuildspecError as err:
            raise PhaseFailure("YAML_FILE_ERROR", str(err)) from None

    def _resolve_environment(self) -> None:
        build = self.build
        self._agent("Processing environment variables")
        spec = self.spec
        if spec.parameter_store or any(v.get("type") == "PARAMETER_STORE" for v in build.environment.get("environmentVariables") or []):
            self._agent("Decrypting parameter store environment variables")
        resolver = Resolver(self.services.ssm, self.services.secretsmanager, self.principal, build.region, self.masker)
        try:
            user = resolver.resolve(spec, build.environment.get("environmentVariables") or [], [])
        except VariableError as err:
            raise PhaseFailure(err.status_code, err.message) from None
        self.secret_names = resolver.secret_names
        runtimes = {k: v for p in spec.phases.values() for k, v in p.runtime_versions.items()}
        if runtimes:
            py = f"{sys.version_info.major}.{sys.version_info.minor}"
            self._agent("Skipping install of runtimes. Runtime version selection is not supported by this build image: "
                        f"localcloud runs the host's runtimes (python {py}), not {', '.join(f'{k} {v}' for k, v in runtimes.items())}")
        env = clean_env({**self.cloud.endpoint_env(build.region), **self._role_credentials()})
        env.update(HOME=str(self.work / "home"), TMPDIR=str(self.work / "tmp"))
        env.update(user)
        env.update(codebuild_variables(build, self.src, self.secondary_dirs))
        self.env = env
        self._agent(f"Moving to directory {self.src}")

    def _role_credentials(self) -> dict[str, str]:
        """The service role's session for the build's commands, through the container
        credentials endpoint (credentials.py); its secrets are masked in the log."""
        build = self.build
        try:
            session = self.services.sts.assume_role(Principal.service(SERVICE_PRINCIPAL, build.account),
                                                    build.service_role, self.principal.session_name,
                                                    source_arn=project_arn(build.region, build.account, build.project_name))
        except (AccessDenied, ValidationError):
            raise PhaseFailure("CLIENT_ERROR", f"CodeBuild is not authorized to perform: sts:AssumeRole on "
                               f"{build.service_role}") from None
        c = session.credentials
        for secret in (c.secret_access_key, c.session_token):
            self.masker.add(secret)
        token = self.credentials.register(build.uuid, session)
        self.masker.add(token)
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{self.cloud.url}{CREDENTIALS_PREFIX}{build.uuid}",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": token}

    # -- exported variables -------------------------------------------------------------------
    def _capture_exports(self) -> None:
        """Read the shell's final environment (exported-variables may be set by any command)."""
        dump = self.work / "tmp" / "final-env"
        status = self.shell.run(f"env -0 > '{dump}'", deadline=self.deadline, cancelled=self.build.stop_requested)
        if status != 0 or not dump.exists():
            return
        values = {}
        for entry in dump.read_bytes().split(b"\0"):
            name, sep, value = entry.decode("utf-8", "replace").partition("=")
            if sep:
                values[name] = value
        dump.unlink()
        self.final_env = values
        exported = []
        for name in self.spec.exported_variables:
            # Parameter Store / Secrets Manager values are never exported (they would leave the
            # build unmasked); a variable that was never set is left out.
            if name in self.secret_names or name not in values:
                continue
            exported.append({"name": name, "value": values[name]})
        self.build.exported_variables = exported

    # -- UPLOAD_ARTIFACTS ---------------------------------------------------------------------------
    def _upload_artifacts(self) -> None:
        build = self.build
        build.enter("UPLOAD_ARTIFACTS")
        self._agent("Entering phase UPLOAD_ARTIFACTS")
        ReportPublisher(self.backend, build, self.src, self.masker, self._agent).publish(self.spec.reports)
        try:
            ArtifactUploader(self.services.s3, self.principal, build, self.spec, self.src, self.final_env or self.env, self._agent).upload()
        except ArtifactError as err:
            self._phase_failed("UPLOAD_ARTIFACTS", "CLIENT_ERROR", str(err))
            return
        self._agent("Phase complete: UPLOAD_ARTIFACTS State: SUCCEEDED")
        self._agent("Phase context status code:  Message: ")
        build.finish_phase("SUCCEEDED", NO_CONTEXT)


def log_denial_message(build: Build, denied) -> str:
    """PROVISIONING's ACCESS_DENIED context when the service role may not use CloudWatch Logs:
    CodeBuild's sentence, then the service's own refusal."""
    what = "log groups" if denied.action == "logs:CreateLogGroup" else "log streams"
    return (f"Service role {build.service_role} does not allow AWS CodeBuild to create Amazon CloudWatch Logs "
            f"{what} for build {build.arn}. Error message: {denied.message}")


def _discard(_line: str) -> None:
    pass

