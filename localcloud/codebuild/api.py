"""CodeBuild's project and build operations over real builds.

Handlers take the request dict (already checked against the botocore model by the router) and
return the response dict; CodeBuild-specific refusals raise InvalidInputException,
ResourceAlreadyExistsException or ResourceNotFoundException with AWS's wording where public
sources show it (moto's messages copy AWS's; others are marked in place).
"""
from __future__ import annotations

import copy
import re
import uuid

from localcloud.aws import RequestContext
from localcloud.codebuild.models import SERVICE_PRINCIPAL, Build, Project, now, project_arn
from localcloud.codebuild.paging import page, sort_listing
from localcloud.codebuild.shapes import build_shape, project_shape
from localcloud.principal import Principal
from localcloud.sts.exceptions import AccessDenied, ValidationError
from localcloud.codebuild.exceptions import InvalidInputException, ResourceAlreadyExistsException, ResourceNotFoundException

PROJECT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-_]{1,149}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:.*/)?([^/]+)$")
SOURCES_NEEDING_LOCATION = ("CODECOMMIT", "S3", "GITHUB", "GITHUB_ENTERPRISE", "BITBUCKET", "GITLAB", "GITLAB_SELF_MANAGED")
BUILD_ID = re.compile(r"^(?:arn:aws[a-z-]*:codebuild:[^:]+:\d{12}:build/)?([^:]+:[0-9a-f-]{36})$")




class BuildAPI:
    """Project and build operations; `provider` runs builds (`submit`) and holds the state."""

    def __init__(self, provider):
        self.provider = provider
        self.cloud = provider.cloud
        self.backend = provider.backend
        self._idempotency: dict[tuple[str, str], str] = {}

    def operations(self) -> dict:
        return {
            "CreateProject": self.create_project, "UpdateProject": self.update_project,
            "DeleteProject": self.delete_project, "BatchGetProjects": self.batch_get_projects,
            "ListProjects": self.list_projects, "StartBuild": self.start_build,
            "BatchGetBuilds": self.batch_get_builds, "ListBuilds": self.list_builds,
            "ListBuildsForProject": self.list_builds_for_project, "StopBuild": self.stop_build,
            "RetryBuild": self.retry_build, "BatchDeleteBuilds": self.batch_delete_builds,
        }

    # -- projects -----------------------------------------------------------------------------
    def create_project(self, params: dict, ctx: RequestContext) -> dict:
        name = params["name"]
        if not PROJECT_NAME.match(name):
            raise InvalidInputException("Only alphanumeric characters, dash, and underscore are supported")
        config = {k: copy.deepcopy(v) for k, v in params.items() if k != "name"}
        self._check_project(config, ctx, project_arn(ctx.region, ctx.account_id, name))
        self._apply_defaults(config, ctx)
        with self.backend.lock:
            store = self.backend.region(ctx.region)
            if name in store.projects:
                raise ResourceAlreadyExistsException(f"Project already exists: {project_arn(ctx.region, ctx.account_id, name)}")
            project = store.projects[name] = Project(name=name, region=ctx.region, account=ctx.account_id, config=config)
            return {"project": project_shape(project)}

    def update_project(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            project = self._project(ctx, params["name"])
            config = copy.deepcopy(project.config)
        for key, value in params.items():
            if key != "name":
                config[key] = copy.deepcopy(value)
        self._check_project(config, ctx, project.arn)
        self._apply_defaults(config, ctx)
        with self.backend.lock:
            project.config = config
            project.last_modified = now()
            return {"project": project_shape(project)}

    def delete_project(self, params: dict, ctx: RequestContext) -> dict:
        name = _project_name(params["name"])
        with self.backend.lock:
            self.backend.region(ctx.region).projects.pop(name, None)  # idempotent, as AWS
        return {}

    def batch_get_projects(self, params: dict, ctx: RequestContext) -> dict:
        names = params["names"]
        if not 1 <= len(names) <= 100:
            raise InvalidInputException("Number of project names must be between 1 and 100")
        found, missing = [], []
        with self.backend.lock:
            store = self.backend.region(ctx.region)
            for raw in names:
                project = store.projects.get(_project_name(raw))
                (found.append(project_shape(project)) if project else missing.append(raw))
        return {"projects": found, "projectsNotFound": missing}

    def list_projects(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            projects = sort_listing(self.backend.region(ctx.region).projects.values(), params, "NAME")
        names, token = page([p.name for p in projects], params.get("nextToken"), 100)
        return {"projects": names, "nextToken": token}

    def _project(self, ctx: RequestContext, name_or_arn: str) -> Project:
        name = _project_name(name_or_arn)
        project = self.backend.region(ctx.region).projects.get(name)
        if project is None:
            raise ResourceNotFoundException(f"Project cannot be found: {project_arn(ctx.region, ctx.account_id, name)}")
        return project

    def _check_project(self, config: dict, ctx: RequestContext, arn: str) -> None:
        source, artifacts = config["source"], config["artifacts"]
        if (source["type"] == "CODEPIPELINE") != (artifacts["type"] == "CODEPIPELINE"):
            raise InvalidInputException("Invalid input: when using CodePipeline both sourceType, and artifactType must be set to: CODEPIPELINE")
        if source["type"] in SOURCES_NEEDING_LOCATION and not source.get("location"):
            raise InvalidInputException("Project source location is required")
        if source["type"] == "NO_SOURCE" and not source.get("buildspec"):
            # Terraform's docs (from AWS's API behaviour): buildspec "must be set when type is NO_SOURCE"
            raise InvalidInputException("Invalid input: buildspec must be specified when source type is NO_SOURCE")
        if artifacts["type"] == "NO_ARTIFACTS" and artifacts.get("location"):
            raise InvalidInputException("Invalid artifacts: artifact type NO_ARTIFACTS should have null location")
        if artifacts["type"] == "S3" and not artifacts.get("location"):
            raise InvalidInputException("Invalid artifacts: artifact location is required for artifact type S3")
        for var in config["environment"].get("environmentVariables") or []:
            if not var.get("name"):
                raise InvalidInputException("Invalid input: environment variable name must not be empty")
        self._check_service_role(config["serviceRole"], ctx, arn)

    def _check_service_role(self, role_arn: str, ctx: RequestContext, source_arn: str) -> None:
        """AWS assumes the role when the project is saved: it must exist and trust CodeBuild."""
        match = ROLE_ARN.match(role_arn)
        if not match:
            raise InvalidInputException("Invalid service role")
        if match.group(1) != ctx.account_id:
            raise InvalidInputException("Invalid service role: Service role account ID does not match caller's account")
        try:
            self.provider.cloud.services.sts.assume_role(Principal.service(SERVICE_PRINCIPAL, ctx.account_id),
                                                         role_arn, "AWSCodeBuild-validation", source_arn=source_arn)
        except (AccessDenied, ValidationError):
            raise InvalidInputException(f"CodeBuild is not authorized to perform: sts:AssumeRole on {role_arn}") from None

    @staticmethod
    def _apply_defaults(config: dict, ctx: RequestContext) -> None:
        """What CreateProject fills in when a member is left out (as BatchGetProjects shows it)."""
        config.setdefault("timeoutInMinutes", 60)
        config.setdefault("queuedTimeoutInMinutes", 480)
        config.setdefault("encryptionKey", f"arn:aws:kms:{ctx.region}:{ctx.account_id}:alias/aws/s3")
        config.setdefault("tags", [])
        config.setdefault("secondarySources", [])
        config.setdefault("secondarySourceVersions", [])
        config.setdefault("secondaryArtifacts", [])
        config.setdefault("projectVisibility", "PRIVATE")
        config["badge"] = {"badgeEnabled": bool(config.pop("badgeEnabled", False) or config.get("badge", {}).get("badgeEnabled"))}
        logs = config.setdefault("logsConfig", {})
        logs.setdefault("cloudWatchLogs", {"status": "ENABLED"})
        logs.setdefault("s3Logs", {"status": "DISABLED", "encryptionDisabled": False})
        env = config["environment"]
        env.setdefault("environmentVariables", [])
        env.setdefault("privilegedMode", False)
        env.setdefault("imagePullCredentialsType", "CODEBUILD")
        for var in env["environmentVariables"]:
            var.setdefault("type", "PLAINTEXT")
        config["source"].setdefault("insecureSsl", False)
        artifacts = config["artifacts"]
        if artifacts["type"] == "S3":
            artifacts.setdefault("namespaceType", "NONE")
            artifacts.setdefault("packaging", "NONE")
            artifacts.setdefault("overrideArtifactName", False)
            artifacts.setdefault("encryptionDisabled", False)

    # -- builds -------------------------------------------------------------------------------
    def start_build(self, params: dict, ctx: RequestContext) -> dict:
        token = params.get("idempotencyToken")
        with self.backend.lock:
            project = self._project(ctx, params["projectName"])
            if token and (project.name, token) in self._idempotency:
                build = self.backend.region(ctx.region).builds.get(self._idempotency[(project.name, token)])
                if build is not None:
                    return {"build": build_shape(build)}
            build = self.new_build(project, params, initiator=_initiator(ctx))
            if token:
                self._idempotency[(project.name, token)] = build.id
        self.provider.submit(build)
        return {"build": build_shape(build)}

    def new_build(self, project: Project, params: dict, *, initiator: str, pipeline: dict | None = None) -> Build:
        """A build of `project` with StartBuild's overrides applied, registered (call under the lock)."""
        config = project.config
        source = copy.deepcopy(config["source"])
        if params.get("sourceTypeOverride"):
            source["type"] = params["sourceTypeOverride"]
        if params.get("sourceLocationOverride"):
            source["location"] = params["sourceLocationOverride"]
        environment = copy.deepcopy(config["environment"])
        for member, key in (("imageOverride", "image"), ("computeTypeOverride", "computeType"),
                            ("environmentTypeOverride", "type"), ("privilegedModeOverride", "privilegedMode"),
                            ("certificateOverride", "certificate")):
            if params.get(member) is not None:
                environment[key] = params[member]
        environment["environmentVariables"] = _merge_variables(environment.get("environmentVariables") or [],
                                                               params.get("environmentVariablesOverride") or [])
        artifacts = copy.deepcopy(params.get("artifactsOverride") or config["artifacts"])
        if pipeline is not None:
            source, artifacts = {"type": "CODEPIPELINE", **({"buildspec": source["buildspec"]} if source.get("buildspec") else {})}, {"type": "CODEPIPELINE"}
        project.build_counter += 1
        build_uuid = str(uuid.uuid4())
        build_id = f"{project.name}:{build_uuid}"
        build = Build(
            id=build_id,
            arn=f"arn:aws:codebuild:{project.region}:{project.account}:build/{build_id}",
            number=project.build_counter,
            project_name=project.name,
            region=project.region,
            account=project.account,
            source=source,
            secondary_sources=copy.deepcopy(params.get("secondarySourcesOverride") or config.get("secondarySources") or []),
            source_version=params.get("sourceVersion") or config.get("sourceVersion"),
            secondary_source_versions=copy.deepcopy(params.get("secondarySourcesVersionOverride") or config.get("secondarySourceVersions") or []),
            artifacts_config=artifacts,
            secondary_artifacts_config=copy.deepcopy(params.get("secondaryArtifactsOverride") or config.get("secondaryArtifacts") or []),
            environment=environment,
            service_role=params.get("serviceRoleOverride") or config["serviceRole"],
            timeout_minutes=params.get("timeoutInMinutesOverride") or config["timeoutInMinutes"],
            queued_timeout_minutes=params.get("queuedTimeoutInMinutesOverride") or config["queuedTimeoutInMinutes"],
            initiator=initiator,
            logs_config=copy.deepcopy(params.get("logsConfigOverride") or config["logsConfig"]),
            encryption_key=params.get("encryptionKeyOverride") or config.get("encryptionKey"),
            buildspec_override=params.get("buildspecOverride"),
            pipeline=pipeline,
        )
        build.enter("SUBMITTED")
        build.finish_phase("SUCCEEDED", None)
        build.enter("QUEUED")
        self.backend.region(project.region).builds[build.id] = build
        return build

    def batch_get_builds(self, params: dict, ctx: RequestContext) -> dict:
        ids = params["ids"]
        if not 1 <= len(ids) <= 100:
            raise InvalidInputException("Number of build ids must be between 1 and 100")
        found, missing = [], []
        with self.backend.lock:
            builds = self.backend.region(ctx.region).builds
            for raw in ids:
                build = builds.get(_build_id(raw))
                (found.append(build) if build else missing.append(raw))
        return {"builds": [build_shape(b) for b in found], "buildsNotFound": missing}

    def list_builds(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            builds = list(self.backend.region(ctx.region).builds.values())
        return self._list_ids(builds, params)

    def list_builds_for_project(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            project = self._project(ctx, params["projectName"])
            builds = [b for b in self.backend.region(ctx.region).builds.values() if b.project_name == project.name]
        return self._list_ids(builds, params)

    @staticmethod
    def _list_ids(builds: list[Build], params: dict) -> dict:
        if params.get("sortOrder", "DESCENDING") == "DESCENDING":  # most recent first by default
            builds = list(reversed(builds))
        ids, token = page([b.id for b in builds], params.get("nextToken"), 100)
        return {"ids": ids, "nextToken": token}

    def _build(self, ctx: RequestContext, raw_id: str | None) -> Build:
        if not raw_id or ":" not in raw_id:
            raise InvalidInputException("Invalid build ID provided")
        build = self.backend.region(ctx.region).builds.get(_build_id(raw_id))
        if build is None:
            raise ResourceNotFoundException(f"Build {raw_id} does not exist")
        return build

    def stop_build(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            build = self._build(ctx, params["id"])
        if not build.complete:
            self.provider.stop_build(build)
        return {"build": build_shape(build)}

    def retry_build(self, params: dict, ctx: RequestContext) -> dict:
        with self.backend.lock:
            old = self._build(ctx, params.get("id"))
            project = self._project(ctx, old.project_name)
            overrides = {
                "sourceVersion": old.source_version, "buildspecOverride": old.buildspec_override,
                "environmentVariablesOverride": old.environment.get("environmentVariables"),
                "timeoutInMinutesOverride": old.timeout_minutes, "artifactsOverride": old.artifacts_config,
            }
            build = self.new_build(project, overrides, initiator=_initiator(ctx), pipeline=copy.deepcopy(old.pipeline))
        self.provider.submit(build)
        return {"build": build_shape(build)}

    def batch_delete_builds(self, params: dict, ctx: RequestContext) -> dict:
        deleted, not_deleted = [], []
        with self.backend.lock:
            builds = self.backend.region(ctx.region).builds
            for raw in params["ids"]:
                build = builds.get(_build_id(raw))
                if build is None:
                    not_deleted.append({"id": raw, "statusCode": "BUILD_NOT_FOUND"})
                elif not build.complete:
                    not_deleted.append({"id": raw, "statusCode": "BUILD_IN_PROGRESS"})
                else:
                    del builds[build.id]
                    deleted.append(raw)
        return {"buildsDeleted": deleted, "buildsNotDeleted": not_deleted}


def _project_name(name_or_arn: str) -> str:
    return name_or_arn.rsplit("project/", 1)[-1] if name_or_arn.startswith("arn:") else name_or_arn


def _build_id(raw: str) -> str:
    match = BUILD_ID.match(raw)
    return match.group(1) if match else raw


def _initiator(ctx: RequestContext) -> str:
    # AWS shows the caller: an IAM user's name, or "<role>/<session>" for an assumed role.
    arn = ctx.caller_arn
    resource = arn.split(":", 5)[-1]
    return resource.split("/", 1)[-1] if "/" in resource else resource


def _merge_variables(base: list[dict], overrides: list[dict]) -> list[dict]:
    merged = {v["name"]: {**v, "type": v.get("type", "PLAINTEXT")} for v in base}
    for var in overrides:
        merged[var["name"]] = {**var, "type": var.get("type", "PLAINTEXT")}
    return list(merged.values())
