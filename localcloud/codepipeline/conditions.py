"""Stage conditions in a declaration (AWS CodePipeline User Guide, "Configure conditions for a
stage" and "How do stage conditions work?"): which result each kind of condition may engage.

- beforeEntry: FAIL or SKIP (default FAIL); SKIP only when every rule is a VariableCheck (or
  LambdaInvoke, which localcloud refuses anyway), as the rule reference's Commands page says.
- onSuccess: FAIL or ROLLBACK (default FAIL).
- onFailure: `result` ROLLBACK, FAIL or RETRY (with `retryConfiguration.retryMode`); its optional
  condition gates that result (see engine.py), and may name the same result itself.
The first stage can be neither rolled back nor retried on its own: it holds the source actions.
"""
from __future__ import annotations

from localcloud.codepipeline.exceptions import InvalidStructureException
from localcloud.codepipeline.rules import SKIPPABLE, check_rule

KINDS = ("beforeEntry", "onSuccess", "onFailure")
ALLOWED = {"beforeEntry": ("FAIL", "SKIP"), "onSuccess": ("FAIL", "ROLLBACK"), "onFailure": ("ROLLBACK", "FAIL", "RETRY")}
DEFAULT = {"beforeEntry": "FAIL", "onSuccess": "FAIL"}


def has_conditions(declaration: dict) -> bool:
    return any(stage.get(kind) for stage in declaration.get("stages") or [] for kind in KINDS)


def check_stage(stage: dict, index: int) -> None:
    for kind in KINDS:
        block = stage.get(kind)
        if block is None:
            continue
        where = f"the {kind} condition of stage {stage['name']}"
        results = []
        for condition in block.get("conditions") or []:
            result = condition.get("result")
            if result is not None:
                results.append(result)
            rules = condition.get("rules") or []
            if not rules:
                raise InvalidStructureException(f"A condition in {where} must contain at least one rule")
            names = [r["name"] for r in rules]
            if len(set(names)) != len(names):
                raise InvalidStructureException(f"Duplicate rule name in {where}")
            for rule in rules:
                check_rule(rule, f"stage {stage['name']}")
            if result == "SKIP" and any(r["ruleTypeId"]["provider"] not in SKIPPABLE for r in rules):
                raise InvalidStructureException(f"The SKIP result in {where} is only allowed with "
                                                f"{' or '.join(SKIPPABLE)} rules")
        if kind == "onFailure":
            if block.get("result") is not None:
                results.append(block["result"])
            if not results:
                raise InvalidStructureException(f"{where[0].upper()}{where[1:]} must specify a result")
            if len(set(results)) > 1:
                raise InvalidStructureException(f"The results of {where} disagree: {', '.join(results)}")
            if block.get("retryConfiguration") and results[0] != "RETRY":
                raise InvalidStructureException(f"retryConfiguration in {where} requires the RETRY result")
        for result in results:
            if result not in ALLOWED[kind]:
                raise InvalidStructureException(f"The result {result} is not allowed in {where}; "
                                                f"allowed: {', '.join(ALLOWED[kind])}")
        if index == 0 and any(r in ("ROLLBACK", "RETRY") for r in results):
            raise InvalidStructureException(f"Stage {stage['name']} is the source stage: it cannot be rolled back or "
                                            f"retried, so {where} cannot engage {results[0]}")


def engaged_result(stage: dict, kind: str) -> str | None:
    """The result a stage's condition of `kind` engages, or None if it has none."""
    block = stage.get(kind)
    if not block:
        return None
    for condition in block.get("conditions") or []:
        if condition.get("result"):
            return condition["result"]
    return block.get("result") or DEFAULT.get(kind)


def retry_mode(stage: dict) -> str:
    """onFailure RETRY's mode; FAILED_ACTIONS when retryConfiguration is absent (UNCONFIRMED)."""
    return ((stage.get("onFailure") or {}).get("retryConfiguration") or {}).get("retryMode") or "FAILED_ACTIONS"
