"""Pipeline declaration rules CreatePipeline/UpdatePipeline enforce beyond the botocore model.

The router already checked the model (lengths, patterns, enums, required members). Here: the
structure rules of reference-pipeline-structure.html (docs/aws-behaviour.md, "CodePipeline"), with the exception
types AWS uses. Returns the declaration as GetPipeline shows it (defaults filled in).
"""
from __future__ import annotations

import copy

from localcloud.exceptions import ServiceError
from localcloud.codepipeline.actions import KNOWN_AWS_TYPES, RUNNERS, SHAPES, type_key
from localcloud.codepipeline.conditions import check_stage, has_conditions
from localcloud.codepipeline.exceptions import InvalidActionDeclarationException, InvalidStageDeclarationException, InvalidStructureException, ValidationException

V2_ONLY_MODES = ("QUEUED", "PARALLEL")



def normalize(declaration: dict, region: str) -> dict:
    d = copy.deepcopy(declaration)  # names were checked against the model by the router
    if bool(d.get("artifactStore")) == bool(d.get("artifactStores")):
        raise InvalidStructureException("You must include either artifactStore or artifactStores in your pipeline, but you cannot use "
                         "both. If you create a cross-region action in your pipeline, you must use artifactStores.")
    if d.get("artifactStores") and region not in d["artifactStores"]:
        raise InvalidStructureException(f"artifactStores must include an artifact store for the pipeline's Region {region}")
    _pipeline_type(d)
    stages = d["stages"]
    if len(stages) < 2:
        raise InvalidStructureException(f"Pipeline has only {len(stages)} stage(s). There should be a minimum of 2 stages in a pipeline")
    _unique([s["name"] for s in stages], "stage name", InvalidStageDeclarationException)
    produced: dict[str, tuple[int, int]] = {}      # artifact -> (stage index, runOrder)
    namespaces: set[str] = set()
    for index, stage in enumerate(stages):
        if not stage.get("actions"):
            raise InvalidStageDeclarationException(f"Stage {stage['name']} must contain at least one action")
        _unique([a["name"] for a in stage["actions"]], f"action name in stage {stage['name']}",
                InvalidStageDeclarationException)
        categories = {a["actionTypeId"]["category"] for a in stage["actions"]}
        if index == 0 and categories != {"Source"}:
            raise InvalidStructureException("The first stage of a pipeline must contain at least one source action, "
                             "and can only contain source actions.")
        if index > 0 and "Source" in categories:
            raise InvalidStructureException(f"Stage {stage['name']}: only the first stage of a pipeline may contain source actions.")
        for action in stage["actions"]:
            action.setdefault("runOrder", 1)
            action.setdefault("configuration", {})
            action.setdefault("outputArtifacts", [])
            action.setdefault("inputArtifacts", [])
            _action(action, index, produced, namespaces)
        check_stage(stage, index)
        for action in stage["actions"]:
            for artifact in action["outputArtifacts"]:
                if artifact["name"] in produced:
                    raise InvalidStructureException(f"Output artifact name {artifact['name']} is used more than once in the pipeline; "
                                     "artifact names must be unique")
                produced[artifact["name"]] = (index, action["runOrder"])
    _inputs_exist(stages)
    _triggers(d)
    return d


def _pipeline_type(d: dict) -> None:
    v2_features = bool(d.get("variables") or d.get("triggers") or d.get("executionMode") in V2_ONLY_MODES
                       or has_conditions(d))
    if "pipelineType" not in d:
        # "Including V2 parameters ... will result in the pipeline having the V2 type" (model doc).
        d["pipelineType"] = "V2" if v2_features else "V1"
    if d["pipelineType"] == "V1" and d.get("executionMode") in V2_ONLY_MODES:
        raise ValidationException(f"Execution mode {d['executionMode']} requires pipeline type V2")
    if d["pipelineType"] == "V1" and (d.get("variables") or d.get("triggers")):
        raise ValidationException("Pipeline variables and triggers require pipeline type V2")
    if d["pipelineType"] == "V1" and has_conditions(d):
        raise ValidationException("Stage conditions (beforeEntry, onSuccess, onFailure) require pipeline type V2")
    d.setdefault("executionMode", "SUPERSEDED")   # the API default, V2 included (concepts-how-it-works.html)


def _unique(names: list[str], what: str, error: type[ServiceError]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise error(f"Duplicate {what}: {name}")
        seen.add(name)


def _action(action: dict, stage_index: int, produced: dict, namespaces: set[str]) -> None:
    key = type_key(action)
    t = action["actionTypeId"]
    name = action["name"]
    if key not in RUNNERS and key not in KNOWN_AWS_TYPES:
        raise InvalidActionDeclarationException(f"ActionType (Category: '{t['category']}', Provider: '{t['provider']}', Owner: "
                            f"'{t['owner']}', Version: '{t['version']}') in action '{name}' is not available")
    if action.get("timeoutInMinutes") is not None and key != ("Approval", "AWS", "Manual"):
        raise InvalidActionDeclarationException(f"Action '{name}': timeoutInMinutes is available only to the manual approval action type")
    namespace = action.get("namespace")
    if namespace:
        if namespace in namespaces or namespace in ("codepipeline", "variables"):
            raise InvalidActionDeclarationException(f"Action '{name}': the namespace {namespace} is already in use")
        namespaces.add(namespace)
    shape = SHAPES.get(key)
    if shape is None:
        return
    config = action["configuration"]
    for required in shape["required"]:
        if not config.get(required):
            raise InvalidActionDeclarationException(f"Action configuration for action '{name}' is missing required configuration '{required}'")
    for present in config:
        if present not in shape["allowed"]:
            raise InvalidActionDeclarationException(f"Action configuration for action '{name}' contains unknown configuration '{present}'")
    if "PollForSourceChanges" in config and config["PollForSourceChanges"] not in ("true", "false"):
        raise InvalidActionDeclarationException(f"Action '{name}': PollForSourceChanges must be \"true\" or \"false\"")
    if config.get("OutputArtifactFormat", "CODE_ZIP") not in ("CODE_ZIP", "CODEBUILD_CLONE_REF"):
        raise InvalidActionDeclarationException(f"Action '{name}': OutputArtifactFormat must be CODE_ZIP or CODEBUILD_CLONE_REF")
    for direction, member in (("inputs", "inputArtifacts"), ("outputs", "outputArtifacts")):
        lo, hi = shape[direction]
        count = len(action[member])
        if not lo <= count <= hi:
            kind = "input" if direction == "inputs" else "output"
            bound = f"exactly {lo}" if lo == hi else f"between {lo} and {hi}"
            raise InvalidActionDeclarationException(f"Action '{name}' of type {t['category']}/{t['provider']} must have {bound} "
                                f"{kind} artifact(s), found {count}")


def _inputs_exist(stages: list[dict]) -> None:
    """An input artifact must be the output of an action that runs earlier."""
    available: set[str] = set()
    for stage in stages:
        by_order: dict[int, list[dict]] = {}
        for action in stage["actions"]:
            by_order.setdefault(action["runOrder"], []).append(action)
        for order in sorted(by_order):
            for action in by_order[order]:
                for artifact in action["inputArtifacts"]:
                    if artifact["name"] not in available:
                        raise InvalidStructureException(f"Input Artifact Bundle {artifact['name']} in action '{action['name']}' is "
                                         "not declared as an output artifact of any preceding action")
            for action in by_order[order]:
                available.update(a["name"] for a in action["outputArtifacts"])


def _triggers(d: dict) -> None:
    """V2 triggers drive CodeStarSourceConnection source actions only (the model's `providerType` enum)."""
    sources = {a["name"]: a for a in d["stages"][0]["actions"]}
    for trigger in d.get("triggers") or []:
        name = trigger["gitConfiguration"]["sourceActionName"]
        action = sources.get(name)
        if action is None:
            raise InvalidStructureException(f"Trigger source action {name} was not found in the pipeline's source stage")
        if action["actionTypeId"]["provider"] != "CodeStarSourceConnection":
            raise InvalidStructureException(f"Trigger configuration is only supported for CodeStarSourceConnection source actions; "
                             f"action {name} uses provider {action['actionTypeId']['provider']}")


def polling_sources(declaration: dict) -> list[dict]:
    """Source actions CodePipeline polls: PollForSourceChanges "true" or omitted (the default is
    polling, action-reference-CodeCommit.html), unless a V2 trigger takes over change detection for that action."""
    triggered = {t["gitConfiguration"]["sourceActionName"] for t in declaration.get("triggers") or []}
    out = []
    for action in declaration["stages"][0]["actions"]:
        key = type_key(action)
        if key not in (("Source", "AWS", "CodeCommit"), ("Source", "AWS", "S3")) or action["name"] in triggered:
            continue
        if (action.get("configuration") or {}).get("PollForSourceChanges", "true") == "true":
            out.append(action)
    return out
