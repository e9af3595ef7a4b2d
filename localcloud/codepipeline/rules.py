"""Condition rules (AWS CodePipeline User Guide, "Rule structure reference"): the rule types AWS
offers, which of them localcloud evaluates, their configuration checks and their evaluation.

Evaluated: CloudWatchAlarm (the real alarm state in localcloud's CloudWatch, read through its door as
the rule's role), DeploymentWindow (cron.py) and VariableCheck. Refused at CreatePipeline and
UpdatePipeline with an error naming them: LambdaInvoke (localcloud has no Lambda), Commands and the
CodeBuild rule (they would need a CodeBuild build per rule check, which our CodeBuild runs only for
pipeline actions). Accepting them and never running them would be the defect this module exists to avoid.
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from localcloud.codepipeline.cron import CronError, window_open
from localcloud.codepipeline.exceptions import InvalidStructureException
from localcloud.codepipeline.models import now
from localcloud.codepipeline.variables import REFERENCE, UnresolvedVariable, resolve_text
from localcloud.iam.exceptions import AccessDeniedByPolicy
from localcloud.principal import Principal


def _prop(name, required, description, key=False, queryable=False, kind="String"):
    return {"name": name, "required": required, "key": key, "secret": False, "queryable": queryable,
            "description": description, "type": kind}


#: ListRuleTypes: AWS's rule types (rule-reference-*.html), all owner AWS, version 1
RULE_TYPES = {
    "CloudWatchAlarm": {"inputs": (0, 0), "properties": [
        _prop("AlarmName", True, "The name of the CloudWatch alarm the rule checks", key=True, queryable=True),
        _prop("AlarmStates", False, "The alarm states the rule watches for (ALARM, OK, INSUFFICIENT_DATA); default ALARM"),
        _prop("WaitTime", False, "Minutes to wait for the alarm to leave a watched state before the rule fails", kind="Number"),
    ]},
    "CodeBuild": {"inputs": (1, 5), "properties": [
        _prop("ProjectName", True, "The CodeBuild project that runs the check", key=True, queryable=True),
        _prop("PrimarySource", False, "The input artifact that is the build's primary source"),
    ]},
    "Commands": {"inputs": (0, 1), "properties": []},
    "DeploymentWindow": {"inputs": (0, 0), "properties": [
        _prop("Cron", True, "The Quartz cron expression of the times when the window is open", key=True),
        _prop("TimeZone", False, "The time zone of the cron expression; default UTC"),
    ]},
    "LambdaInvoke": {"inputs": (0, 5), "properties": [
        _prop("FunctionName", True, "The Lambda function that runs the check", key=True, queryable=True),
        _prop("UserParameters", False, "A string passed to the function"),
    ]},
    "VariableCheck": {"inputs": (0, 0), "properties": [
        _prop("Variable", True, "The variable to check, such as #{SourceVariables.BranchName}", key=True),
        _prop("Value", True, "The value the variable is compared with"),
        _prop("Operator", True, "EQ, NE, CONTAINS or MATCHES"),
    ]},
}
EVALUATED = ("CloudWatchAlarm", "DeploymentWindow", "VariableCheck")
NOT_EMULATED = {
    "LambdaInvoke": "localcloud has no Lambda to invoke",
    "Commands": "localcloud's CodeBuild runs builds for pipeline actions only, not per rule check",
    "CodeBuild": "localcloud's CodeBuild runs builds for pipeline actions only, not per rule check",
}
OPERATORS = ("EQ", "CONTAINS", "MATCHES", "NE")
ALARM_STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
#: Rules that may engage SKIP on an entry condition (rule-reference-Commands.html: only these two)
SKIPPABLE = ("LambdaInvoke", "VariableCheck")
#: How long a DeploymentWindow rule waits for its window without timeoutInMinutes (UNCONFIRMED)
DEFAULT_RULE_TIMEOUT_MINUTES = 7 * 24 * 60
#: How often (real seconds) a waiting rule looks again: each look of an alarm rule is a door call
POLL_SECONDS = 0.25


def rule_type_shape(provider: str) -> dict:
    spec = RULE_TYPES[provider]
    lo, hi = spec["inputs"]
    return {"id": {"category": "Rule", "owner": "AWS", "provider": provider, "version": "1"},
            "settings": {}, "ruleConfigurationProperties": [dict(p) for p in spec["properties"]],
            "inputArtifactDetails": {"minimumCount": lo, "maximumCount": hi}}


def _has_variable(value: str) -> bool:
    return bool(REFERENCE.search(value))


def check_rule(rule: dict, where: str) -> None:
    """The declaration rules of one rule; InvalidStructureException naming what is wrong."""
    t = rule["ruleTypeId"]
    name, provider, version = rule["name"], t["provider"], t.get("version", "1")
    label = (f"RuleType (Category: '{t['category']}', Provider: '{provider}', Owner: '{t.get('owner', 'AWS')}', "
             f"Version: '{version}') in rule '{name}' of {where}")
    if provider not in RULE_TYPES or version != "1":
        raise InvalidStructureException(f"{label} is not available")
    if provider in NOT_EMULATED:
        raise InvalidStructureException(f"{label} is not supported by localcloud: {NOT_EMULATED[provider]}. "
                                        f"localcloud evaluates the {', '.join(EVALUATED)} rules")
    config = rule.get("configuration") or {}
    known = {p["name"]: p for p in RULE_TYPES[provider]["properties"]}
    for prop in known.values():
        if prop["required"] and not config.get(prop["name"]):
            raise InvalidStructureException(f"Rule configuration for rule '{name}' of {where} is missing "
                                            f"required configuration '{prop['name']}'")
    for present in config:
        if present not in known:
            raise InvalidStructureException(f"Rule configuration for rule '{name}' of {where} contains "
                                            f"unknown configuration '{present}'")
    if rule.get("commands"):
        raise InvalidStructureException(f"Rule '{name}' of {where}: commands are only allowed in Commands rules")
    lo, hi = RULE_TYPES[provider]["inputs"]
    count = len(rule.get("inputArtifacts") or [])
    if not lo <= count <= hi:
        raise InvalidStructureException(f"Rule '{name}' of {where} of type {provider} must have between {lo} and "
                                        f"{hi} input artifact(s), found {count}")
    problem = _configuration_problem(provider, config)
    if problem:
        raise InvalidStructureException(f"Rule '{name}' of {where}: {problem}")


def _configuration_problem(provider: str, config: dict) -> str | None:
    if provider == "VariableCheck":
        if config["Operator"] not in OPERATORS:
            return f"Operator {config['Operator']} is not valid; use one of {', '.join(OPERATORS)}"
        if config["Operator"] == "MATCHES" and not _has_variable(config["Value"]):
            try:
                re.compile(config["Value"])
            except re.error as err:
                return f"Value {config['Value']!r} is not a valid regular expression: {err}"
    elif provider == "DeploymentWindow":
        if not _has_variable(config["Cron"]) and not _has_variable(config.get("TimeZone", "")):
            try:
                window_open(config["Cron"], config.get("TimeZone"), now())
            except CronError as err:
                return f"Cron {config['Cron']!r} is not valid: {err}"
    elif provider == "CloudWatchAlarm":
        wait = config.get("WaitTime")
        if wait is not None and not _has_variable(wait) and not (wait.isdigit()):
            return f"WaitTime {wait!r} must be a whole number of minutes"
        for state in _states(config):
            if state not in ALARM_STATES:
                return f"AlarmStates value {state!r} is not valid; use {', '.join(ALARM_STATES)}"
    return None


def _states(config: dict) -> list[str]:
    raw = config.get("AlarmStates") or "ALARM"
    return [s.strip().strip('"[]') for s in raw.split(",") if s.strip().strip('"[]')]


# -- evaluation ------------------------------------------------------------------------------------
@dataclass
class RuleCheck:
    """Everything a rule's evaluation needs."""
    cloud: Any
    principal: Principal
    region: str
    configuration: dict[str, str]          # resolved
    timeout_minutes: int | None
    stop: threading.Event                  # set when the condition is overridden or the execution abandons it


@dataclass
class RuleResult:
    succeeded: bool
    summary: str
    error_code: str | None = None


def resolve(configuration: dict, namespaces: dict) -> dict:
    """Rule configuration with its #{namespace.variable} references resolved (UnresolvedVariable if not)."""
    return {k: resolve_text(v, namespaces) for k, v in configuration.items()}


def _wait_until(check: RuleCheck, ready: Callable[[], bool], seconds: float) -> bool | None:
    """Poll `ready` for up to `seconds` of AWS time (scaled); None if stopped meanwhile."""
    deadline = time.monotonic() + check.cloud.clock.scaled(seconds)
    while True:
        if ready():
            return True
        if time.monotonic() >= deadline:
            return False
        if check.stop.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic()))):
            return None


def evaluate(provider: str, check: RuleCheck) -> RuleResult:
    try:
        return EVALUATORS[provider](check)
    except AccessDeniedByPolicy as err:
        return RuleResult(False, "The provided role does not have permissions to perform this action. "
                          f"Underlying error: {getattr(err, 'message', err)}", "AccessDenied")


def _variable_check(check: RuleCheck) -> RuleResult:
    c = check.configuration
    variable, value, operator = c["Variable"], c["Value"], c["Operator"]
    if operator == "EQ":
        ok = variable == value
    elif operator == "NE":
        ok = variable != value
    elif operator == "CONTAINS":
        ok = value in variable
    else:   # MATCHES: Java's String.matches, a whole-string match (Python's re stands in for Java regex)
        try:
            ok = re.fullmatch(value, variable) is not None
        except re.error as err:
            return RuleResult(False, f"Value {value!r} is not a valid regular expression: {err}", "ConfigurationError")
    verdict = "meets" if ok else "does not meet"
    return RuleResult(ok, f"Variable value {variable!r} {verdict} the check {operator} {value!r}")


def _alarm(check: RuleCheck) -> RuleResult:
    c = check.configuration
    name, watched = c["AlarmName"], set(_states(c))
    cloudwatch = check.cloud.services.cloudwatch

    def state() -> str | None:
        found = cloudwatch.alarms(check.principal, [name], check.region)
        return found[name].state if name in found else None

    first = state()
    if first is None:
        return RuleResult(False, f"The CloudWatch alarm {name} does not exist in {check.region}", "ResourceNotFound")
    if first not in watched:
        return RuleResult(True, f"Alarm {name} is in state {first}")
    wait_minutes = int(c.get("WaitTime") or 0)
    if check.timeout_minutes is not None:
        wait_minutes = min(wait_minutes, check.timeout_minutes)
    last = {"state": first}

    def left() -> bool:
        last["state"] = state()
        return last["state"] is not None and last["state"] not in watched

    if wait_minutes and _wait_until(check, left, wait_minutes * 60):
        return RuleResult(True, f"Alarm {name} changed to state {last['state']}")
    return RuleResult(False, f"Alarm {name} is in state {last['state']}")


def _window(check: RuleCheck) -> RuleResult:
    c = check.configuration
    try:
        is_open = lambda: window_open(c["Cron"], c.get("TimeZone"), now())   # noqa: E731
        if is_open():
            return RuleResult(True, "The deployment window is open")
    except CronError as err:
        return RuleResult(False, f"Cron {c['Cron']!r} is not valid: {err}", "ConfigurationError")
    minutes = check.timeout_minutes or DEFAULT_RULE_TIMEOUT_MINUTES
    opened = _wait_until(check, is_open, minutes * 60)
    if opened:
        return RuleResult(True, "The deployment window opened")
    return RuleResult(False, "The deployment window did not open within the rule's timeout", "Timeout")


EVALUATORS = {"CloudWatchAlarm": _alarm, "DeploymentWindow": _window, "VariableCheck": _variable_check}
__all__ = ["RULE_TYPES", "check_rule", "evaluate", "RuleCheck", "RuleResult", "resolve", "UnresolvedVariable"]
