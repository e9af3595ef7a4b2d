"""The environment variables a build's commands see, resolved as CodeBuild resolves them.

Precedence (build-spec-ref): StartBuild override > project definition > buildspec `env`.
Parameter Store and Secrets Manager values are fetched through localcloud's own SSM and
Secrets Manager (as the service role would), registered with the masker, and remembered as
secret so they are never exported nor written to any field.
"""
from __future__ import annotations

import json
from pathlib import Path

from localcloud.codebuild.buildspec import Buildspec
from localcloud.codebuild.logs import Masker
from localcloud.codebuild.models import Build
from localcloud.exceptions import ServiceError


class VariableError(Exception):
    """Resolving a variable failed: the build fails in DOWNLOAD_SOURCE with this context."""

    def __init__(self, status_code: str, message: str):
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


class Resolver:
    def __init__(self, ssm, secretsmanager, principal, region: str, masker: Masker):
        self.ssm, self.secretsmanager = ssm, secretsmanager   # their doors
        self.principal = principal                              # the build's service-role session
        self.region = region
        self.masker = masker
        self.secret_names: set[str] = set()

    def resolve(self, spec: Buildspec, project_vars: list[dict], override_vars: list[dict]) -> dict[str, str]:
        """Variables from the three levels, lowest first so higher levels replace them."""
        values: dict[str, str] = dict(spec.variables)
        for name, ref in spec.parameter_store.items():
            values[name] = self._parameter(name, ref)
        for name, ref in spec.secrets_manager.items():
            values[name] = self._secret(name, ref)
        for level in (project_vars or [], override_vars or []):
            for var in level:
                name, raw, kind = var["name"], var.get("value", ""), var.get("type", "PLAINTEXT")
                self.secret_names.discard(name)
                if kind == "PARAMETER_STORE":
                    values[name] = self._parameter(name, raw)
                elif kind == "SECRETS_MANAGER":
                    values[name] = self._secret(name, raw)
                else:
                    values[name] = raw
        return values

    # -- Parameter Store ----------------------------------------------------------------------
    def _parameter(self, name: str, parameter: str) -> str:
        try:
            values, invalid = self.ssm.get_parameters(self.principal, [parameter], with_decryption=True,
                                                      region=self.region)
        except ServiceError as err:
            raise VariableError("Decrypted Variables Error", f"{err.code}: {err.message}") from None
        if invalid or parameter not in values:
            # the wording of CodeBuild's own context (public build logs)
            raise VariableError("Decrypted Variables Error", f"parameter does not exist: {parameter}")
        value = values[parameter]
        self._remember(name, value)
        return value

    # -- Secrets Manager ----------------------------------------------------------------------
    def _secret(self, name: str, reference: str) -> str:
        secret_id, json_key, stage, version_id = split_secret_reference(reference)
        try:
            found = self.secretsmanager.get_secret_value(self.principal, secret_id, version_id=version_id or None,
                                                         version_stage=None if version_id else (stage or None),
                                                         region=self.region)
        except ServiceError as err:
            raise VariableError("Secrets Manager Error", f"{err.code}: {err.message}") from None
        text = found.secret_string
        if text is None:
            raise VariableError("Secrets Manager Error", f"secret {secret_id} has no string value (binary secrets are not supported as environment variables)")
        if json_key:
            try:
                document = json.loads(text)
            except ValueError:
                raise VariableError("Secrets Manager Error", f"secret {secret_id} is not a JSON document, so json-key {json_key} cannot be read") from None
            if not isinstance(document, dict) or json_key not in document:
                raise VariableError("Secrets Manager Error", f"json-key {json_key} was not found in secret {secret_id}")
            value = document[json_key]
            text = value if isinstance(value, str) else json.dumps(value)
        self._remember(name, text)
        return text

    def _remember(self, name: str, value: str) -> None:
        self.secret_names.add(name)
        self.masker.add(value)


def split_secret_reference(reference: str) -> tuple[str, str | None, str | None, str | None]:
    """`secret-id:json-key:version-stage:version-id`; the secret id may be a full ARN (which
    itself holds six colons: arn:aws:secretsmanager:region:account:secret:name)."""
    parts = reference.split(":")
    if reference.startswith("arn:") and len(parts) >= 7:
        secret_id, rest = ":".join(parts[:7]), parts[7:]
    else:
        secret_id, rest = parts[0], parts[1:]
    rest = (rest + [None, None, None])[:3]
    json_key, stage, version_id = (r or None for r in rest)
    return secret_id, json_key, stage, version_id


def codebuild_variables(build: Build, src: Path, secondary_dirs: dict[str, Path]) -> dict[str, str]:
    """The CODEBUILD_* variables of a build whose primary source is in `src`."""
    source_version = build.source_version or ""
    variables = {
        "CODEBUILD_BUILD_ARN": build.arn,
        "CODEBUILD_BUILD_ID": build.id,
        "CODEBUILD_BUILD_IMAGE": build.environment.get("image", ""),
        "CODEBUILD_BUILD_NUMBER": str(build.number),
        "CODEBUILD_BUILD_SUCCEEDING": "1",
        "CODEBUILD_INITIATOR": build.initiator,
        "CODEBUILD_KMS_KEY_ID": build.encryption_key or "",
        "CODEBUILD_LOG_PATH": build.log_stream or "",
        "CODEBUILD_RESOLVED_SOURCE_VERSION": build.resolved_source_version or "",
        "CODEBUILD_SOURCE_REPO_URL": "" if build.pipeline is not None else build.source.get("location", "") or "",
        "CODEBUILD_SOURCE_VERSION": source_version,
        "CODEBUILD_SRC_DIR": str(src),
        "CODEBUILD_START_TIME": str(int(build.start_time.timestamp() * 1000)),
        "CODEBUILD_BUILD_URL": (f"https://{build.region}.console.aws.amazon.com/codesuite/codebuild/"
                                f"{build.account}/projects/{build.project_name}/build/{build.id.replace(':', '%3A')}"),
        "CODEBUILD_CI": "true",
    }
    for name, path in secondary_dirs.items():
        variables[f"CODEBUILD_SRC_DIR_{name}"] = str(path)
    return variables
