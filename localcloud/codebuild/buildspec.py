"""Buildspec parsing and validation (versions 0.1 and 0.2), refusing what CodeBuild refuses.

Every problem raises `BuildspecError` whose message is what CodeBuild puts after
`Phase context status code: YAML_FILE_ERROR Message:` (wording taken from public build logs,
e.g. "Invalid buildspec phase name: artifacts. Expecting: build,install,post_build,pre_build").
"""
from __future__ import annotations

from dataclasses import dataclass, field

import yaml

PHASE_NAMES = ("install", "pre_build", "build", "post_build")
ON_FAILURE = ("ABORT", "CONTINUE")
SHELLS = ("bash", "/bin/sh", "sh", "/bin/bash")
REPORT_FORMATS = {
    "TEST": ("JUNITXML", "CUCUMBERJSON", "NUNITXML", "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX"),
    "CODE_COVERAGE": ("CLOVERXML", "COBERTURAXML", "JACOCOXML", "SIMPLECOV"),
}


class BuildspecError(Exception):
    """The buildspec is missing or invalid: the build fails with YAML_FILE_ERROR."""


@dataclass
class Phase:
    name: str                       # "install", "pre_build", ...
    commands: list[str] = field(default_factory=list)
    finally_commands: list[str] = field(default_factory=list)
    on_failure: str | None = None   # None = the default phase transitions
    runtime_versions: dict = field(default_factory=dict)


@dataclass
class FileSelection:
    """The shared shape of `artifacts`, `secondary-artifacts` entries and `reports` entries."""
    files: list[str]
    base_directory: str | None = None
    discard_paths: bool = False
    name: str | None = None
    exclude_paths: list[str] = field(default_factory=list)
    file_format: str | None = None  # reports only


@dataclass
class Buildspec:
    version: str
    shell: str = "bash"
    variables: dict[str, str] = field(default_factory=dict)
    parameter_store: dict[str, str] = field(default_factory=dict)
    secrets_manager: dict[str, str] = field(default_factory=dict)
    exported_variables: list[str] = field(default_factory=list)
    phases: dict[str, Phase] = field(default_factory=dict)
    reports: dict[str, FileSelection] = field(default_factory=dict)
    artifacts: FileSelection | None = None
    secondary_artifacts: dict[str, FileSelection] = field(default_factory=dict)

    @property
    def one_shell(self) -> bool:
        # 0.2 runs every command of the build in one shell instance; 0.1 a shell per command.
        return self.version == "0.2"


def parse(text: str) -> Buildspec:
    try:
        doc = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else "?"
        raise BuildspecError(f"{err.problem} at line {line}") from None
    except yaml.YAMLError as err:
        raise BuildspecError(str(err)) from None
    if not isinstance(doc, dict):
        raise BuildspecError("YAML file does not contain a buildspec: expected a mapping with `version` and `phases`")

    version = _version(doc.get("version"))
    spec = Buildspec(version=version)
    _env(doc.get("env"), spec)
    _phases(doc.get("phases"), spec)
    _reports(doc.get("reports"), spec)
    if doc.get("artifacts") is not None:
        artifacts = _mapping(doc["artifacts"], "artifacts")
        spec.artifacts = _selection(artifacts, "artifacts", required_files=False)
        for ident, entry in (_mapping(artifacts.get("secondary-artifacts") or {}, "secondary-artifacts")).items():
            spec.secondary_artifacts[str(ident)] = _selection(_mapping(entry, f"secondary-artifacts/{ident}"),
                                                              f"secondary-artifacts/{ident}", required_files=True)
    return spec


def _version(raw) -> str:
    if raw is None:
        raise BuildspecError("buildspec `version` is not specified, see documentation")
    text = f"{raw:.1f}" if isinstance(raw, float) else str(raw).strip()
    if text not in ("0.1", "0.2"):
        raise BuildspecError(f"invalid buildspec `version` specified: {text}, see documentation")
    return text


def _mapping(value, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BuildspecError(f"Expected {where} to be of map type: found {_kind(value)} instead")
    return value


def _kind(value) -> str:
    if isinstance(value, dict):
        return "subkeys"
    if isinstance(value, list):
        return "a list"
    return f"scalar {value!r}"


def _scalar(value, where: str) -> str:
    if isinstance(value, (dict, list)):
        raise BuildspecError(f"Expected {where} to be of string type: found {_kind(value)} instead")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _commands(value, where: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        value = [value]  # a single command given as a string is accepted
    return [_scalar(item, f"{where}[{i}]") for i, item in enumerate(value)]


def _env(value, spec: Buildspec) -> None:
    env = _mapping(value, "env")
    shell = env.get("shell")
    if shell is not None:
        shell = _scalar(shell, "env/shell")
        if shell not in SHELLS:
            raise BuildspecError(f"invalid shell '{shell}' in env/shell: expecting one of bash, /bin/sh")
        spec.shell = "bash" if shell in ("bash", "/bin/bash") else "sh"
    for key, target in (("variables", spec.variables), ("parameter-store", spec.parameter_store),
                        ("secrets-manager", spec.secrets_manager)):
        for name, val in _mapping(env.get(key), f"env/{key}").items():
            name = str(name)
            if not name:
                raise BuildspecError(f"empty variable name in env/{key}")
            target[name] = _scalar(val, f"env/{key}/{name}")
    exported = env.get("exported-variables")
    if exported is not None:
        if not isinstance(exported, list):
            raise BuildspecError("Expected env/exported-variables to be of list type")
        spec.exported_variables = [_scalar(v, "env/exported-variables") for v in exported]
        bad = [v for v in spec.exported_variables if v.startswith("AWS_")]
        if bad:
            raise BuildspecError(f"invalid exported variable {bad[0]}: names starting with AWS_ cannot be exported")


def _phases(value, spec: Buildspec) -> None:
    phases = _mapping(value, "phases")
    for raw_name, body in phases.items():
        name = str(raw_name)
        if name not in PHASE_NAMES:
            raise BuildspecError(f"Invalid buildspec phase name: {name}. Expecting: build,install,post_build,pre_build")
        body = _mapping(body, f"phases/{name}")
        if name != "install" and body.get("commands") is None:
            # "commands: Required if <phase> is specified" (build-spec-ref)
            raise BuildspecError(f"Phase {name} is missing required commands")
        on_failure = body.get("on-failure")
        if on_failure is not None:
            on_failure = _scalar(on_failure, f"phases/{name}/on-failure")
            if on_failure.startswith("RETRY"):
                # Newer CodeBuild documents RETRY variants (UNCONFIRMED in our sources); refused
                # loudly rather than silently treated as ABORT.
                raise BuildspecError(f"on-failure {on_failure} in phase {name} is not supported by localcloud: use ABORT or CONTINUE")
            if on_failure not in ON_FAILURE:
                raise BuildspecError(f"invalid on-failure value '{on_failure}' in phase {name}: expecting ABORT or CONTINUE")
        spec.phases[name] = Phase(
            name=name,
            commands=_commands(body.get("commands"), f"phases/{name}/commands"),
            finally_commands=_commands(body.get("finally"), f"phases/{name}/finally"),
            on_failure=on_failure,
            runtime_versions=_mapping(body.get("runtime-versions"), f"phases/{name}/runtime-versions"),
        )


def _selection(body: dict, where: str, *, required_files: bool) -> FileSelection:
    files = body.get("files")
    if files is None:
        raise BuildspecError(f"{where} is missing required files")
    if not isinstance(files, list):
        files = [files]
    exclude = body.get("exclude-paths") or []
    if not isinstance(exclude, list):
        exclude = [exclude]
    base = body.get("base-directory")
    return FileSelection(
        files=[_scalar(f, f"{where}/files") for f in files],
        base_directory=_scalar(base, f"{where}/base-directory") if base is not None else None,
        discard_paths=_flag(body.get("discard-paths"), f"{where}/discard-paths"),
        name=_scalar(body["name"], f"{where}/name") if body.get("name") is not None else None,
        exclude_paths=[_scalar(e, f"{where}/exclude-paths") for e in exclude],
        file_format=_scalar(body["file-format"], f"{where}/file-format") if body.get("file-format") is not None else None,
    )


def _flag(value, where: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true"):
        return True
    if text in ("no", "false"):
        return False
    raise BuildspecError(f"invalid value '{value}' for {where}: expecting yes or no")


def _reports(value, spec: Buildspec) -> None:
    for key, body in _mapping(value, "reports").items():
        key = str(key)
        selection = _selection(_mapping(body, f"reports/{key}"), f"reports/{key}", required_files=True)
        fmt = (selection.file_format or "JUNITXML").upper()
        if not any(fmt in formats for formats in REPORT_FORMATS.values()):
            allowed = ", ".join(f for formats in REPORT_FORMATS.values() for f in formats)
            raise BuildspecError(f"invalid file-format {fmt} in reports/{key}: expecting one of {allowed}")
        selection.file_format = fmt
        spec.reports[key] = selection
    if len(spec.reports) > 5:
        # "A project can have a maximum of five report groups."
        raise BuildspecError(f"too many report groups ({len(spec.reports)}): a project can have at most 5")


def report_type(file_format: str) -> str:
    return next(kind for kind, formats in REPORT_FORMATS.items() if file_format in formats)
