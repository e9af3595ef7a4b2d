"""IAM identity-policy evaluation, as AWS documents it for a single account: an explicit Deny
wins, then any Allow, else the request is implicitly denied.

Hand-written on purpose: moto's evaluator (moto.iam.access_control) is built for moto's own
request checks and is more lenient than AWS (case-sensitive actions, ARN characters taken as
regex, no `?`, no NotResource, a failed condition on an Allow counted as a Deny), and no
maintained Python library evaluates identity policies offline.

Covered: Effect, Action/NotAction (case-insensitive, `*` and `?`), Resource/NotResource (`*`
and `?`, case-sensitive as ARNs are), Condition with StringEquals, StringNotEquals,
StringEqualsIgnoreCase, StringLike, StringNotLike, ArnEquals, ArnLike, ArnNotEquals,
ArnNotLike, Bool, Null, the `...IfExists` forms and the `ForAnyValue:`/`ForAllValues:`
qualifiers. A condition operator outside that list never matches (so an Allow that needs it
does not apply, and a Deny that needs it does not apply either): one documented choice.
Sources: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
"""
from __future__ import annotations

import fnmatch
import json
import re
from functools import lru_cache
from typing import Iterable, Mapping

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"


def _listed(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern:
    return re.compile(fnmatch.translate(glob), re.IGNORECASE if ignore_case else 0)


def _glob(pattern: str, value: str, ignore_case: bool = False) -> bool:
    # fnmatch's [] classes are not IAM wildcards: escape them, keep only * and ?
    safe = pattern.replace("[", "[[]")
    return bool(_pattern(safe, ignore_case).match(value))


def _matches(statement: dict, key: str, value: str, ignore_case: bool) -> bool:
    if key in statement:
        return any(_glob(p, value, ignore_case) for p in _listed(statement[key]))
    not_key = "Not" + key
    if not_key in statement:
        return not any(_glob(p, value, ignore_case) for p in _listed(statement[not_key]))
    return False


def _compare(operator: str, wanted: list[str], actual: str) -> bool | None:
    base = operator.removesuffix("IfExists")
    if base in ("StringEquals", "ArnEquals"):
        return actual in wanted
    if base == "StringEqualsIgnoreCase":
        return actual.lower() in [w.lower() for w in wanted]
    if base in ("StringNotEquals", "ArnNotEquals"):
        return actual not in wanted
    if base in ("StringLike", "ArnLike"):
        return any(_glob(w, actual) for w in wanted)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(_glob(w, actual) for w in wanted)
    if base == "Bool":
        return actual.lower() in [w.lower() for w in wanted]
    return None  # not supported


def condition_holds(block: Mapping, context: Mapping[str, object]) -> bool:
    """Does a statement's Condition block hold in `context` (condition keys -> values)?"""
    for raw_operator, keys in block.items():
        qualifier, _, operator = raw_operator.rpartition(":")
        for key, wanted in keys.items():
            wanted = [str(w).lower() if isinstance(w, bool) else str(w) for w in _listed(wanted)]
            present = {k.lower(): v for k, v in context.items()}.get(key.lower())
            if operator == "Null":
                if (present is None) != (wanted[0].lower() == "true"):
                    return False
                continue
            if present is None:
                if operator.endswith("IfExists") or operator.startswith("StringNot") or operator.startswith("ArnNot"):
                    continue
                return False
            values = [str(v).lower() if isinstance(v, bool) else str(v) for v in _listed(present)]
            results = [_compare(operator, wanted, v) for v in values]
            if any(r is None for r in results):
                return False
            if qualifier == "ForAllValues":
                if not all(results):
                    return False
            elif not any(results):  # single-valued keys and ForAnyValue
                return False
    return True


@lru_cache(maxsize=1024)
def _parsed(text: str) -> dict:
    # IAM keeps documents as text; parsing one per evaluation was most of a request's cost
    return json.loads(text)


def _statements(document) -> Iterable[dict]:
    if isinstance(document, str):
        document = _parsed(document)
    yield from _listed((document or {}).get("Statement"))


def evaluate(documents: Iterable, action: str, resource: str, context: Mapping[str, object] | None = None) -> str:
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for `action` on `resource` under identity policies."""
    context = context or {}
    allowed = False
    for document in documents:
        for statement in _statements(document):
            if not (_matches(statement, "Action", action, True) and _matches(statement, "Resource", resource, False)):
                continue
            if "Condition" in statement and not condition_holds(statement["Condition"], context):
                continue
            if statement.get("Effect") == "Deny":
                return EXPLICIT_DENY
            if statement.get("Effect") == "Allow":
                allowed = True
    return ALLOW if allowed else IMPLICIT_DENY
