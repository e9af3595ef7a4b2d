"""The verify profile: what a team tells the suite about a pipeline it built elsewhere.

    pipeline: release-pipeline          # the only required field
    region: eu-west-1                   # default: the target's Region
    stages:                             # optional: the stage names the checks expect
      source: Source
      build: Build
      approval: Approve
      deploy: Production
    app_url: https://app.example.com/   # or `alb:` a load balancer name or ARN
    version_marker: /version.txt        # the path that tells which release serves
    alarms: [app-5xx]                   # alarms that must be attached to the deployment group
    roles: [release-pipeline-role]      # extra roles to lint, names or ARNs

Everything the profile does not name is discovered from the pipeline (topology.py). A bad field
is refused before any AWS call, with its name and what to write instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

STAGE_ROLES = ("source", "build", "approval", "deploy")
# CodePipeline's pipeline-name pattern (botocore: PipelineName, [A-Za-z0-9.@\-_]+, 1..100)
PIPELINE_NAME = re.compile(r"[A-Za-z0-9.@\-_]{1,100}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
FIELDS = ("pipeline", "region", "stages", "app_url", "alb", "version_marker", "alarms", "roles")


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the field and what to write."""


@dataclass(frozen=True)
class Profile:
    pipeline: str
    region: str | None = None
    stages: dict[str, str] = field(default_factory=dict)
    app_url: str | None = None
    alb: str | None = None
    version_marker: str | None = None
    alarms: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pipeline": self.pipeline}
        for name in FIELDS[1:]:
            value = getattr(self, name)
            if value:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


def _text(data: dict, name: str, where: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ProfileError(f"{where}: `{name}` must be a non-empty string, got {value!r}")
    return value.strip()


def _names(data: dict, name: str, where: str) -> tuple[str, ...]:
    value = data.get(name)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ProfileError(f"{where}: `{name}` must be a list of names, got {value!r}")
    return tuple(v.strip() for v in value)


def from_dict(data: Any, where: str = "profile") -> Profile:
    """A Profile from parsed YAML/JSON, or ProfileError naming the bad field."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile is a mapping with at least `pipeline: NAME`, got {type(data).__name__}")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ProfileError(f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                           f"a profile may hold {', '.join(FIELDS)}")
    pipeline = _text(data, "pipeline", where)
    if pipeline is None:
        raise ProfileError(f"{where}: `pipeline` is required: the name of the CodePipeline pipeline to verify")
    if not PIPELINE_NAME.fullmatch(pipeline):
        raise ProfileError(f"{where}: `pipeline` {pipeline!r} is not a pipeline name "
                           "(1-100 characters of letters, digits, '.', '@', '-' and '_')")
    region = _text(data, "region", where)
    if region is not None and not REGION.fullmatch(region):
        raise ProfileError(f"{where}: `region` {region!r} is not a Region name such as eu-west-1")
    stages = data.get("stages") or {}
    if not isinstance(stages, dict):
        raise ProfileError(f"{where}: `stages` must map {', '.join(STAGE_ROLES)} to stage names, got {stages!r}")
    bad = sorted(set(stages) - set(STAGE_ROLES))
    if bad:
        raise ProfileError(f"{where}: unknown stage role(s) {', '.join(map(repr, bad))} under `stages`; "
                           f"use {', '.join(STAGE_ROLES)}")
    for role, name in stages.items():
        if not isinstance(name, str) or not name.strip():
            raise ProfileError(f"{where}: `stages.{role}` must be a stage name, got {name!r}")
    app_url = _text(data, "app_url", where)
    if app_url is not None and not app_url.startswith(("http://", "https://")):
        raise ProfileError(f"{where}: `app_url` must be an http(s) URL, got {app_url!r}")
    alb = _text(data, "alb", where)
    if app_url and alb:
        raise ProfileError(f"{where}: give `app_url` or `alb`, not both")
    marker = _text(data, "version_marker", where)
    if marker is not None and not marker.startswith("/"):
        raise ProfileError(f"{where}: `version_marker` must be a path starting with '/', got {marker!r}")
    return Profile(pipeline=pipeline, region=region, stages={k: v.strip() for k, v in stages.items()},
                   app_url=app_url, alb=alb, version_marker=marker,
                   alarms=_names(data, "alarms", where), roles=_names(data, "roles", where))


def load(path: str | Path) -> Profile:
    """The profile in a YAML (or JSON) file."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ProfileError(f"cannot read profile {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: not valid YAML: {exc}") from None
    return from_dict(data, where=str(path))
