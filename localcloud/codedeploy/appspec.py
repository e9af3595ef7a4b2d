"""appspec.yml for EC2/On-premises, parsed and validated as the CodeDeploy agent does.

Messages are the agent's own (aws-codedeploy-agent `application_specification.rb`,
`script_info.rb`, `command_executor.rb`), so a revision that fails here fails the same way, at
the same lifecycle event, as on a real instance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_TIMEOUT = 3600
SUPPORTED_OSES = ("linux", "windows")
#: lifecycle events a revision may attach scripts to (CodeDeploy's "all possible lifecycle
#: events" for an EC2 deployment, minus the reserved ones).
SCRIPTABLE_EVENTS = (
    "ApplicationStop", "BeforeInstall", "AfterInstall", "ApplicationStart", "ValidateService",
    "BeforeBlockTraffic", "AfterBlockTraffic", "BeforeAllowTraffic", "AfterAllowTraffic",
)
APPSPEC_NAMES = ("appspec.yml", "appspec.yaml")


class AppSpecError(Exception):
    """The revision's appspec is invalid; the message is what the agent reports."""


@dataclass(frozen=True)
class Script:
    location: str
    timeout: int = DEFAULT_TIMEOUT
    runas: str | None = None


@dataclass(frozen=True)
class FileMapping:
    source: str
    destination: str


@dataclass(frozen=True)
class Permission:
    object: str
    pattern: str = "**"
    except_: tuple[str, ...] = ()
    mode: str | None = None
    types: tuple[str, ...] = ("file", "directory")


@dataclass
class AppSpec:
    version: float
    os: str
    files: list[FileMapping] = field(default_factory=list)
    permissions: list[Permission] = field(default_factory=list)
    hooks: dict[str, list[Script]] = field(default_factory=dict)
    file_exists_behavior: str | None = None
    filename: str = "appspec.yml"

    def scripts(self, event: str) -> list[Script]:
        return self.hooks.get(event, [])


def find(archive_dir: Path) -> Path | None:
    """The agent's lookup order: appspec.yml, then appspec.yaml."""
    for name in APPSPEC_NAMES:
        candidate = archive_dir / name
        if candidate.is_file():
            return candidate
    return None


def missing_message(name: str = "appspec.yml") -> str:
    return (f'The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at '
            f'revision-relative path "{name}". The revision was unpacked to directory '
            f'"deployment-archive", and the AppSpec file was expected but not found at path "{name}". '
            'Consult the AWS CodeDeploy Appspec documentation for more information at '
            'http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html')


def load(archive_dir: Path) -> AppSpec:
    path = find(archive_dir)
    if path is None:
        raise AppSpecError(missing_message())
    spec = parse(path.read_text(encoding="utf-8", errors="replace"))
    spec.filename = path.name
    return spec


def parse(text: str) -> AppSpec:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AppSpecError(f"The deployment failed because the application specification file is not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        doc = {}
    version = doc.get("version")
    # The agent compares against the YAML *number* 0.0: the string "0.0" is not in [0.0].
    if isinstance(version, bool) or not isinstance(version, (int, float)) or float(version) != 0.0:
        shown = "" if version is None else version
        raise AppSpecError(
            f"The deployment failed because an invalid version value ({shown}) was entered in the application "
            'specification file. Make sure your AppSpec file specifies "0.0" as the version, and then try again.'
        )
    os_name = doc.get("os")
    if os_name not in SUPPORTED_OSES:
        raise AppSpecError(
            f"The deployment failed because the application specification file specifies an unsupported operating "
            f'system ({os_name or ""}). Specify either "linux" or "windows" in the os section of the AppSpec file, '
            "and then try again."
        )
    spec = AppSpec(version=float(version), os=os_name)
    spec.hooks = _hooks(doc.get("hooks") or {})
    spec.files = [FileMapping(str(m.get("source", "")), str(m.get("destination", ""))) for m in (doc.get("files") or []) if isinstance(m, dict)]
    spec.permissions = _permissions(doc.get("permissions") or [], os_name)
    behavior = doc.get("file_exists_behavior")
    if behavior is not None:
        behavior = str(behavior).upper()
        if behavior not in ("DISALLOW", "OVERWRITE", "RETAIN"):
            raise AppSpecError(
                f"The deployment failed because an invalid file_exists_behavior value ({behavior}) was entered in the "
                "application specification file. Specify DISALLOW, OVERWRITE or RETAIN, and then try again."
            )
        spec.file_exists_behavior = behavior
    return spec


def _hooks(raw) -> dict[str, list[Script]]:
    if not isinstance(raw, dict):
        raise AppSpecError("The deployment failed because the hooks section of the application specification file is not a map of lifecycle events to scripts.")
    hooks: dict[str, list[Script]] = {}
    for event, scripts in raw.items():
        parsed = []
        for script in scripts or []:
            if not isinstance(script, dict) or script.get("location") in (None, ""):
                raise AppSpecError(
                    "The deployment failed because the application specification file specifies a script with no "
                    "location value. Specify the location in the hooks section of the AppSpec file, and then try again."
                )
            timeout = script.get("timeout", DEFAULT_TIMEOUT)
            try:
                timeout = int(timeout if timeout is not None else DEFAULT_TIMEOUT)
            except (TypeError, ValueError):
                timeout = 0
            if timeout <= 0:
                raise AppSpecError(
                    "The deployment failed because an invalid timeout value was provided for a script in the "
                    "application specification file. Make corrections in the hooks section of the AppSpec file, "
                    "and then try again."
                )
            runas = script.get("runas")
            parsed.append(Script(str(script["location"]).strip(), timeout, str(runas).strip() if runas is not None else None))
        hooks[str(event)] = parsed
    return hooks


def _permissions(raw, os_name: str) -> list[Permission]:
    perms = []
    for item in raw:
        if not isinstance(item, dict) or item.get("object") is None:
            raise AppSpecError(
                "The deployment failed because a permission listed in the application specification file has no "
                "object value. Update the permissions section of the AppSpec file, and then try again."
            )
        if os_name != "linux":
            raise AppSpecError(
                "The deployment failed because the application specification file specifiles file permissions, but "
                "the deployment is targeting one or more Windows Server instances. Permissions are supported only for "
                "Amazon Linux, Ubuntu Server, and Red Hat Enterprise Linux (RHEL) instances. Update the permissions "
                "section of the AppSpec file, and then try again."
            )
        types = tuple(item.get("type") or ("file", "directory"))
        for kind in types:
            if kind not in ("file", "directory"):
                raise AppSpecError(
                    "The deployment failed because the application specification file specifies a permission for an "
                    f"object type not supported for permissions ({kind}). Update the permissions section of the "
                    "AppSpec file, and then try again."
                )
        mode = item.get("mode")
        perms.append(Permission(str(item["object"]).strip(), str(item.get("pattern") or "**"),
                                tuple(item.get("except") or ()), None if mode is None else str(mode), types))
    return perms


def unknown_events(spec: AppSpec) -> list[str]:
    """Hooks naming events CodeDeploy does not know, or reserved ones (which cannot run scripts)."""
    return [name for name in spec.hooks if name not in SCRIPTABLE_EVENTS]


def unknown_events_message(spec: AppSpec, unknown: list[str]) -> str:
    # Ruby renders the list as ["A", "B"] inside the agent's message.
    rendered = "[" + ", ".join(f'"{u}"' for u in unknown) + "]"
    return f"{spec.filename} file contains unknown lifecycle events: {rendered}"
