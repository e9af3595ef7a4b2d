"""Profiles from what infrastructure-as-code tools already print.

    terraform output -json              {"pipeline_name": {"value": "...", "type": "string", ...}, ...}
    CloudFormation stack outputs        DescribeStacks' answer, one stack of it, or its Outputs list
                                        ([{"OutputKey": "PipelineName", "OutputValue": "..."}])
    cdk deploy --outputs-file F         {"StackName": {"PipelineName": "...", ...}, ...}

An output counts when its name, lower-cased without '_' and '-', is one of ALIASES (so
`pipeline_name`, `PipelineName` and `pipeline-name` all say `pipeline`). Lists may be given as a
list or as a comma-separated string (CloudFormation outputs are strings). Unrelated outputs are
ignored; the result is validated as any profile is (profile.from_dict).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from capstone.verify.profile import Profile, ProfileError, from_dict

ALIASES = {
    "pipeline": "pipeline", "pipelinename": "pipeline",
    "region": "region", "awsregion": "region",
    "appurl": "app_url", "url": "app_url", "applicationurl": "app_url",
    "alb": "alb", "albname": "alb", "albarn": "alb", "loadbalancer": "alb", "loadbalancerarn": "alb",
    "loadbalancername": "alb",
    "versionmarker": "version_marker",
    "alarms": "alarms", "alarmnames": "alarms", "rollbackalarms": "alarms",
    "roles": "roles", "rolenames": "roles", "rolearns": "roles",
}
LISTS = {"alarms", "roles"}
FORMATS = ("terraform", "cloudformation", "cdk")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def from_outputs(outputs: dict[str, Any], where: str) -> Profile:
    data: dict[str, Any] = {}
    for name, value in outputs.items():
        field = ALIASES.get(_key(name))
        if field is None or value in (None, ""):
            continue
        if field in LISTS and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if field in data and data[field] != value:
            raise ProfileError(f"{where}: two outputs give `{field}` ({data[field]!r} and {value!r}); keep one")
        data[field] = value
    if "pipeline" not in data:
        raise ProfileError(f"{where}: no output names the pipeline; add an output called pipeline_name "
                           "(or PipelineName) whose value is the pipeline's name")
    return from_dict(data, where=where)


def terraform(document: Any, where: str = "terraform output -json") -> Profile:
    if not isinstance(document, dict) or not all(isinstance(v, dict) and "value" in v for v in document.values()):
        raise ProfileError(f"{where}: not the JSON of `terraform output -json` "
                           "(a mapping of output names to {\"value\": ...})")
    return from_outputs({k: v["value"] for k, v in document.items()}, where)


def cloudformation(document: Any, where: str = "CloudFormation outputs") -> Profile:
    if isinstance(document, dict) and "Stacks" in document:
        stacks = document["Stacks"]
        if len(stacks) != 1:
            raise ProfileError(f"{where}: {len(stacks)} stacks; describe exactly one (--stack-name)")
        document = stacks[0]
    if isinstance(document, dict) and "Outputs" in document:
        document = document["Outputs"]
    if not isinstance(document, list) or not all(isinstance(o, dict) and "OutputKey" in o for o in document):
        raise ProfileError(f"{where}: not CloudFormation stack outputs "
                           "(DescribeStacks' answer or a list of {\"OutputKey\", \"OutputValue\"})")
    return from_outputs({o["OutputKey"]: o.get("OutputValue") for o in document}, where)


def cdk(document: Any, where: str = "cdk outputs file") -> Profile:
    if not isinstance(document, dict) or not all(isinstance(v, dict) for v in document.values()):
        raise ProfileError(f"{where}: not a `cdk deploy --outputs-file` file (stack names to their outputs)")
    merged: dict[str, Any] = {}
    for stack, outputs in document.items():
        for key, value in outputs.items():
            if key in merged and merged[key] != value:
                raise ProfileError(f"{where}: output {key!r} differs between stacks; verify one stack at a time")
            merged[key] = value
    return from_outputs(merged, where)


def load(fmt: str, path: str | Path) -> Profile:
    if fmt not in FORMATS:
        raise ProfileError(f"unknown import format {fmt!r}: use one of {', '.join(FORMATS)}")
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    return {"terraform": terraform, "cloudformation": cloudformation, "cdk": cdk}[fmt](document, str(path))
